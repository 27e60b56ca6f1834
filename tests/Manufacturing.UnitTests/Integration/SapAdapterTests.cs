using System.Collections.Immutable;
using System.Net;
using Manufacturing.Integration.Connectors;
using Manufacturing.Integration.Connectors.Sap;
using Manufacturing.Integration.Domain;

namespace Manufacturing.UnitTests.Integration;

/// <summary>The SAP adapter's idempotency and SAP's error bodies, against scripted HTTP answers.</summary>
public sealed class SapAdapterTests
{
    private static readonly ConnectorOptions Options = new()
    {
        Name = "sap-test", Kind = "sap", Protocol = "odata", BaseUrl = "http://127.0.0.1:1", Login = "U", Secret = "p",
        Plants = ["P200"], SapPlants = new() { ["P200"] = "1020" },
    };

    /// <summary>Answers each request from a script and records them.</summary>
    private sealed class Script(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<string> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add($"{request.Method} {request.RequestUri!.AbsolutePath}");
            return Task.FromResult(answer(request));
        }
    }

    private static HttpResponseMessage Json(string body, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };

    private static IntegrationEvent Completed() => new()
    {
        EventId = "production_order/P200/1000123/9/0", EventType = "OperationCompleted", AggregateType = "production_order",
        AggregateKey = "P200/1000123", Plant = "P200", AggregateVersion = 9, OccurredAt = DateTimeOffset.UnixEpoch,
        Data = ImmutableDictionary<string, string>.Empty.Add("good_quantity", "10 EA").Add("state.state", "COMPLETED").Add("state.product", "000000000000004711"),
    };

    [Fact]
    public async Task A_receipt_already_posted_for_the_event_is_found_by_its_header_text_and_not_posted_again()
    {
        var http = new Script(_ => Json("""{"d": {"results": [{"MaterialDocument": "4900000007", "MaterialDocumentYear": "2026"}]}}"""));
        var adapter = new SapAdapter(new SapODataClient(new HttpClient(http), Options), Options);

        var receipt = await adapter.DeliverAsync(Completed(), CancellationToken.None);

        Assert.Equal("material-document/2026/4900000007", receipt.ExternalRef);
        Assert.Equal(["GET /sap/opu/odata/sap/API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader"], http.Requests);
        Assert.Equal(25, SapAdapter.HeaderText(Completed().EventId).Length);
    }

    private const string SapError = """
        {"error": {"code": "M7/021", "message": {"lang": "en", "value": "Deficit of BA Unrestricted-use 10 EA"},
         "innererror": {"errordetails": [{"code": "M7/021", "message": "Deficit", "severity": "error"}]}}}
        """;

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, false)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    public async Task Sap_error_bodies_become_clear_refusals_or_transient_failures(HttpStatusCode status, bool transient)
    {
        var http = new Script(request => request.Method == HttpMethod.Get && request.Headers.Contains("X-CSRF-Token")
            ? new HttpResponseMessage(HttpStatusCode.OK) { Headers = { { "X-CSRF-Token", "t0k" } }, Content = new StringContent("{}") }
            : request.Method == HttpMethod.Get
                ? Json("""{"d": {"results": []}}""")
                : Json(SapError, status));
        var adapter = new SapAdapter(new SapODataClient(new HttpClient(http), Options), Options);

        var failed = await Assert.ThrowsAsync<ErpException>(() => adapter.DeliverAsync(Completed(), CancellationToken.None));

        Assert.Equal(transient, failed.Transient);
        Assert.Contains("M7/021: Deficit of BA Unrestricted-use 10 EA", failed.Message);
        Assert.Equal(["GET", "GET", "POST"], http.Requests.Select(r => r.Split(' ')[0]));
    }
}
