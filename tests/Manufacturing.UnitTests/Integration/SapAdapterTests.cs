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

    private static IntegrationEvent Movement(string aggregateType, string key, string eventType, params (string Key, string Value)[] data) => new()
    {
        EventId = $"{aggregateType}/{key}/5/0", EventType = eventType, AggregateType = aggregateType,
        AggregateKey = key, Plant = "P200", AggregateVersion = 5, OccurredAt = new DateTimeOffset(2026, 11, 24, 15, 30, 0, TimeSpan.Zero),
        Data = data.ToImmutableDictionary(d => d.Key, d => d.Value),
    };

    private static readonly ConnectorOptions Locations = Options with { StorageLocations = new() { ["RM-01"] = "0002", ["LINE-1"] = "0003" } };

    /// <summary>Posts a goods movement through a scripted SAP (no earlier document) and answers the header it posted.</summary>
    private static async Task<System.Text.Json.Nodes.JsonObject> PostedAsync(IntegrationEvent e, ConnectorOptions options, Manufacturing.Domain.CodeMap? codes = null)
    {
        string? body = null;
        var http = new Script(request =>
        {
            if (request.Method == HttpMethod.Post)
            {
                body = request.Content!.ReadAsStringAsync().Result;
                return Json("""{"d": {"MaterialDocument": "4900000042", "MaterialDocumentYear": "2026"}}""", HttpStatusCode.Created);
            }

            return request.Headers.Contains("X-CSRF-Token")
                ? new HttpResponseMessage(HttpStatusCode.OK) { Headers = { { "X-CSRF-Token", "t0k" } }, Content = new StringContent("{}") }
                : Json("""{"d": {"results": []}}""");
        });
        var receipt = await new SapAdapter(new SapODataClient(new HttpClient(http), options), options, codes).DeliverAsync(e, CancellationToken.None);
        Assert.Equal("material-document/2026/4900000042", receipt.ExternalRef);
        return System.Text.Json.Nodes.JsonNode.Parse(body!)!.AsObject();
    }

    private static System.Text.Json.Nodes.JsonObject Item(System.Text.Json.Nodes.JsonObject header) =>
        Assert.Single(header["to_MaterialDocumentItem"]!["results"]!.AsArray())!.AsObject();

    private static string? Field(System.Text.Json.Nodes.JsonObject item, string name) => item[name]?.GetValue<string>();

    [Fact]
    public async Task A_consumption_is_a_261_goods_issue_to_the_manufacturing_order_from_the_lots_batch()
    {
        var e = Movement("production_order", "P200/1000123", "MaterialConsumed", ("component", "000000000000004711"), ("lot", "plants/P200/lots/l-77"), ("quantity", "12.5 KG"));

        var header = await PostedAsync(e, Options);

        Assert.Equal(("03", SapAdapter.HeaderText(e.EventId), "2026-11-24T00:00:00"), (Field(header, "GoodsMovementCode"), Field(header, "MaterialDocumentHeaderText"), Field(header, "PostingDate")));
        var item = Item(header);
        Assert.Equal(["261", "1000123", "4711", "1020", "0001", "12.5", "KG", "L-77"],
            new[] { "GoodsMovementType", "ManufacturingOrder", "Material", "Plant", "StorageLocation", "QuantityInEntryUnit", "EntryUnit", "Batch" }.Select(f => Field(item, f)));
    }

    [Fact]
    public async Task A_purchase_receipt_is_a_101_against_the_purchase_order_item_into_the_lots_batch()
    {
        var e = Movement("purchase_order", "P200/4500000017", "GoodsReceived", ("line_id", "00010"), ("material", "STEEL-S235"), ("quantity", "1500 KG"), ("lot", "plants/P200/lots/R-1"));

        // Our STEEL-S235 is SAP's material 12345 (Codes__sap__000000000000012345=STEEL-S235): SAP hears its own number.
        var header = await PostedAsync(e, Options, new([(Manufacturing.Domain.SourceSystem.Sap, "000000000000012345", "STEEL-S235")]));

        Assert.Equal("01", Field(header, "GoodsMovementCode"));
        var item = Item(header);
        Assert.Equal(["101", "B", "4500000017", "10", "12345", "1020", "1500", "KG", "R-1"],
            new[] { "GoodsMovementType", "GoodsMovementRefDocType", "PurchaseOrder", "PurchaseOrderItem", "Material", "Plant", "QuantityInEntryUnit", "EntryUnit", "Batch" }.Select(f => Field(item, f)));
    }

    [Fact]
    public async Task A_lot_transfer_is_a_311_between_the_mapped_storage_locations_and_without_batches_when_sap_keeps_none()
    {
        var e = Movement("lot", "P200/R-1", "LotTransferred", ("from_location", "RM-01"), ("to_location", "LINE-1"), ("quantity", "300 KG"), ("state.material", "RM-STEEL"));

        var item = Item(await PostedAsync(e, Locations));
        Assert.Equal(["311", "RM-STEEL", "1020", "0002", "1020", "0003", "300", "KG", "R-1", "R-1"],
            new[] { "GoodsMovementType", "Material", "Plant", "StorageLocation", "IssuingOrReceivingPlant", "IssuingOrReceivingStorageLoc", "QuantityInEntryUnit", "EntryUnit", "Batch", "IssgOrRcvgBatch" }.Select(f => Field(item, f)));

        var unbatched = Item(await PostedAsync(e, Locations with { Batches = false }));
        Assert.False(unbatched.ContainsKey("Batch") || unbatched.ContainsKey("IssgOrRcvgBatch"));
    }

    [Theory]
    [InlineData("LINE-9", "LINE-1", "300 KG", "StorageLocations__LINE-9")]
    [InlineData("RM-01", "LINE-1", "0 KG", "no usable quantity: '0 KG'")]
    [InlineData("RM-01", "LINE-1", "lots", "no usable quantity: 'lots'")]
    public async Task A_movement_sap_cannot_take_is_refused_before_anything_is_posted(string from, string to, string quantity, string reason)
    {
        var e = Movement("lot", "P200/R-1", "LotTransferred", ("from_location", from), ("to_location", to), ("quantity", quantity), ("state.material", "RM-STEEL"));
        var http = new Script(request => request.Method == HttpMethod.Get ? Json("""{"d": {"results": []}}""") : Json("{}", HttpStatusCode.Created));

        var failed = await Assert.ThrowsAsync<ErpException>(() => new SapAdapter(new SapODataClient(new HttpClient(http), Locations), Locations).DeliverAsync(e, CancellationToken.None));

        Assert.False(failed.Transient);
        Assert.Contains(reason, failed.Message);
        Assert.DoesNotContain(http.Requests, r => r.StartsWith("POST", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_lot_name_longer_than_an_sap_batch_is_refused()
    {
        var e = Movement("production_order", "P200/1000123", "MaterialConsumed", ("component", "4711"), ("lot", "plants/P200/lots/LOT-2026-000001"), ("quantity", "1 KG"));
        var http = new Script(_ => Json("""{"d": {"results": []}}"""));

        var failed = await Assert.ThrowsAsync<ErpException>(() => new SapAdapter(new SapODataClient(new HttpClient(http), Options), Options).DeliverAsync(e, CancellationToken.None));

        Assert.False(failed.Transient);
        Assert.Contains("10 characters of an SAP batch", failed.Message);
    }
}
