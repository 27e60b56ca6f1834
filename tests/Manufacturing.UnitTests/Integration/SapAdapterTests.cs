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

    private static IntegrationEvent Confirmed(string date = "2026-12-12") => new()
    {
        EventId = "purchase_order/P200/4500000017/3/0", EventType = "PurchaseOrderLineConfirmed", AggregateType = "purchase_order",
        AggregateKey = "P200/4500000017", Plant = "P200", AggregateVersion = 3, OccurredAt = DateTimeOffset.UnixEpoch,
        Data = ImmutableDictionary<string, string>.Empty.Add("line_id", "00010").Add("confirmed_quantity", "2000 KG").Add("confirmed_delivery_date", date),
    };

    private const string LinePath = "/sap/opu/odata/sap/API_PURCHASEORDER_PROCESS_SRV/A_PurchaseOrderScheduleLine(PurchasingDocument='4500000017',PurchasingDocumentItem='10',ScheduleLine='1')";

    // A schedule line with the given delivery date and ETag version; the token fetch answers a token.
    private static HttpResponseMessage Line(HttpRequestMessage request, DateOnly delivery, int version)
    {
        if (request.Headers.TryGetValues("X-CSRF-Token", out var fetch) && fetch.Single() == "Fetch")
        {
            return new HttpResponseMessage(HttpStatusCode.OK) { Headers = { { "X-CSRF-Token", "t0k" } }, Content = new StringContent("{}") };
        }

        var response = Json(new System.Text.Json.Nodes.JsonObject
        {
            ["d"] = new System.Text.Json.Nodes.JsonObject { ["PurchasingDocument"] = "4500000017", ["ScheduleLineDeliveryDate"] = SapAdapter.ODataDate(delivery) },
        }.ToJsonString());
        response.Headers.TryAddWithoutValidation("ETag", $"W/\"datetimeoffset'v{version}'\"");
        return response;
    }

    [Fact]
    public void OData_dates_are_read_and_written_as_days()
    {
        Assert.Equal("/Date(1797033600000)/", SapAdapter.ODataDate(new DateOnly(2026, 12, 12)));
        Assert.Equal(new DateOnly(2026, 12, 12), SapAdapter.ODataDate("/Date(1797033600000)/"));
        Assert.Equal(new DateOnly(2026, 12, 12), SapAdapter.ODataDate("/Date(1797033600000+0000)/"));
        Assert.Null(SapAdapter.ODataDate("2026-12-12"));
        Assert.Null(SapAdapter.ODataDate(null));
    }

    [Fact]
    public async Task A_confirmed_date_is_patched_onto_the_schedule_line_with_the_etag_it_was_read_with()
    {
        var patches = new List<(string? IfMatch, string? Token, string Body)>();
        var http = new Script(request =>
        {
            if (request.Method == HttpMethod.Patch)
            {
                patches.Add((request.Headers.TryGetValues("If-Match", out var m) ? m.Single() : null, request.Headers.GetValues("X-CSRF-Token").Single(),
                    request.Content!.ReadAsStringAsync().Result));
                return new HttpResponseMessage(HttpStatusCode.NoContent);
            }

            return Line(request, new DateOnly(2026, 12, 10), 1);
        });
        var adapter = new SapAdapter(new SapODataClient(new HttpClient(http), Options), Options);

        var receipt = await adapter.DeliverAsync(Confirmed(), CancellationToken.None);

        Assert.Equal("purchase-order-schedule-line/4500000017/10/1", receipt.ExternalRef);
        var patch = Assert.Single(patches);
        Assert.Equal(("W/\"datetimeoffset'v1'\"", "t0k"), (patch.IfMatch, patch.Token));
        Assert.Equal("""{"ScheduleLineDeliveryDate":"/Date(1797033600000)/"}""", patch.Body);
        Assert.Contains($"GET {LinePath}", http.Requests);
    }

    [Fact]
    public async Task A_schedule_line_that_already_has_the_date_is_not_written_again()
    {
        var http = new Script(request => Line(request, new DateOnly(2026, 12, 12), 4));
        var adapter = new SapAdapter(new SapODataClient(new HttpClient(http), Options), Options);

        await adapter.DeliverAsync(Confirmed(), CancellationToken.None);

        Assert.Equal([$"GET {LinePath}"], http.Requests);
    }

    [Fact]
    public async Task A_412_reads_the_line_again_and_a_second_412_is_transient()
    {
        var version = 1;
        var http = new Script(request =>
        {
            if (request.Method != HttpMethod.Patch)
            {
                return Line(request, new DateOnly(2026, 12, 10), version);
            }

            version++; // someone else saved the line each time
            return Json("""{"error": {"code": "/IWBEP/CM_MGW_RT/022", "message": {"lang": "en", "value": "Precondition failed"}}}""", HttpStatusCode.PreconditionFailed);
        });
        var adapter = new SapAdapter(new SapODataClient(new HttpClient(http), Options), Options);

        var failed = await Assert.ThrowsAsync<ErpException>(() => adapter.DeliverAsync(Confirmed(), CancellationToken.None));

        Assert.True(failed.Transient);
        Assert.Contains("changed in SAP again", failed.Message);
        Assert.Equal(2, http.Requests.Count(r => r.StartsWith("PATCH", StringComparison.Ordinal)));
        Assert.Equal(2, http.Requests.Count(r => r == $"GET {LinePath}"));
    }

    [Fact]
    public async Task A_missing_schedule_line_is_a_refusal()
    {
        var http = new Script(_ => Json("""{"error": {"code": "/IWBEP/CM_MGW_RT/020", "message": {"lang": "en", "value": "Resource not found"}}}""", HttpStatusCode.NotFound));
        var adapter = new SapAdapter(new SapODataClient(new HttpClient(http), Options), Options);

        var failed = await Assert.ThrowsAsync<ErpException>(() => adapter.DeliverAsync(Confirmed(), CancellationToken.None));

        Assert.False(failed.Transient);
        Assert.Contains("no schedule line 1 of purchase order 4500000017 item 10", failed.Message);
    }
}
