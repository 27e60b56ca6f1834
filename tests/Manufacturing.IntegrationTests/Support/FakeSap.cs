using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Manufacturing.IntegrationTests.Support;

/// <summary>
/// A test double that speaks SAP Gateway's OData V2 for <c>API_MATERIAL_DOCUMENT_SRV</c> as a real
/// HTTP server on loopback, with SAP's CSRF protocol: basic authentication; <c>GET</c> with
/// <c>X-CSRF-Token: Fetch</c> answers a token and a session cookie; a <c>POST</c> without the token
/// and cookie of a live session gets <c>403</c> with <c>X-CSRF-Token: Required</c>. Errors use SAP's
/// <c>{"error": {"code", "message": {"lang", "value"}, "innererror": {"errordetails"}}}</c>. It keeps
/// the posted material documents and counts the posts; their items answer
/// <c>A_MaterialDocumentItem</c> queries by manufacturing order and movement type, and a test can
/// cancel a document (<see cref="Cancel"/>) as a reversal in SAP would, to make drift. For
/// <c>API_PURCHASEORDER_PROCESS_SRV</c> it keeps purchase order schedule lines with OData's
/// optimistic concurrency: a read answers the line's <c>ETag</c>; a <c>PATCH</c> without
/// <c>If-Match</c> gets 428, with a stale one 412, and a change bumps the ETag.
/// </summary>
public sealed class FakeSap : IAsyncDisposable
{
    /// <summary>The communication user and its password.</summary>
    public const string User = "MFG_COMM", Password = "fake-sap-password";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _sessions = new(); // session cookie → token
    private readonly ConcurrentDictionary<string, JsonObject> _documents = new();
    private readonly ConcurrentDictionary<string, ScheduleLine> _scheduleLines = new(StringComparer.Ordinal);
    private long _number = 4900000000;
    private int _preconditionFailures;
    private int _rejectedPosts;

    private FakeSap(WebApplication app) => _app = app;

    /// <summary>Where it listens.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Posts refused for a missing or expired CSRF token.</summary>
    public int RejectedPosts => _rejectedPosts;

    /// <summary>The material documents posted, by header text.</summary>
    public IReadOnlyList<JsonObject> Documents(string headerText) =>
        [.. _documents.Values.Where(d => d["MaterialDocumentHeaderText"]?.GetValue<string>() == headerText)];

    /// <summary>The material documents with an item whose <paramref name="field"/> is <paramref name="value"/> (<c>PurchaseOrder</c>, <c>ManufacturingOrder</c>).</summary>
    public IReadOnlyList<JsonObject> DocumentsFor(string field, string value) =>
        [.. _documents.Values.Where(d => d["to_MaterialDocumentItem"]!["results"]!.AsArray().Any(i => i?[field]?.GetValue<string>() == value))];

    /// <summary>Cancels the documents with <paramref name="headerText"/>: their items are <c>GoodsMovementIsCancelled</c> from now on.</summary>
    public void Cancel(string headerText)
    {
        foreach (var item in Documents(headerText).SelectMany(d => d["to_MaterialDocumentItem"]!["results"]!.AsArray()))
        {
            item!["GoodsMovementIsCancelled"] = true;
        }
    }

    /// <summary>A schedule line of a purchase order item: its fields, its version (the ETag), and the PATCHes it took.</summary>
    public sealed class ScheduleLine
    {
        internal ScheduleLine(JsonObject fields) => Fields = fields;

        /// <summary>The OData fields.</summary>
        public JsonObject Fields { get; }

        /// <summary>Bumped by every change.</summary>
        public int Version { get; internal set; } = 1;

        /// <summary>PATCHes applied.</summary>
        public int Patches { get; internal set; }

        /// <summary>When set, the next PATCH finds the line changed by someone else just before it (and gets 412).</summary>
        public bool ChangeBeforeNextPatch { get; set; }

        internal string ETag => $"W/\"datetimeoffset'2026-11-24T12%3A00%3A{Version:00}.0000000Z'\"";
    }

    /// <summary>PATCHes refused with 412 because the ETag was stale.</summary>
    public int PreconditionFailures => _preconditionFailures;

    /// <summary>Adds schedule line 1 of item <paramref name="item"/> (SAP's form, "10") of purchase order <paramref name="purchaseOrder"/>.</summary>
    public ScheduleLine AddScheduleLine(string purchaseOrder, string item, DateOnly delivery, decimal quantity) =>
        _scheduleLines[$"{purchaseOrder}/{item}/1"] = new ScheduleLine(new JsonObject
        {
            ["PurchasingDocument"] = purchaseOrder, ["PurchasingDocumentItem"] = item, ["ScheduleLine"] = "1",
            ["ScheduleLineDeliveryDate"] = $"/Date({new DateTimeOffset(delivery.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds()})/",
            ["ScheduleLineOrderQuantity"] = quantity.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

    /// <summary>The schedule line's delivery date.</summary>
    public static DateOnly DeliveryDate(ScheduleLine line)
    {
        var text = line.Fields["ScheduleLineDeliveryDate"]!.GetValue<string>();
        return DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(text[6..^2], System.Globalization.CultureInfo.InvariantCulture)).UtcDateTime);
    }

    /// <summary>Ends every session, as SAP does when sessions time out: the next post needs a new token.</summary>
    public void ExpireSessions() => _sessions.Clear();

    /// <summary>Starts the fake on a free loopback port.</summary>
    public static async Task<FakeSap> StartAsync()
    {
        var (app, address) = LoopbackApp.Create();
        var fake = new FakeSap(app) { Address = address };
        app.MapGet("/sap/opu/odata/sap/API_MATERIAL_DOCUMENT_SRV/{**path}", fake.Get);
        app.MapPost("/sap/opu/odata/sap/API_MATERIAL_DOCUMENT_SRV/A_MaterialDocumentHeader", (Delegate)fake.PostAsync);
        app.MapGet("/sap/opu/odata/sap/API_PURCHASEORDER_PROCESS_SRV/{**path}", fake.GetPurchaseOrder);
        app.MapMethods("/sap/opu/odata/sap/API_PURCHASEORDER_PROCESS_SRV/{**path}", ["PATCH"], fake.PatchAsync);
        await app.StartAsync();
        return fake;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static bool Authenticated(HttpContext context) =>
        context.Request.Headers.Authorization.ToString() == "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{User}:{Password}"));

    private IResult Get(string? path, HttpContext context)
    {
        if (!Authenticated(context))
        {
            return Error(401, "/IWFND/CM_CONSUMER/101", "Logon failed");
        }

        if (context.Request.Headers["X-CSRF-Token"] == "Fetch")
        {
            var session = Guid.NewGuid().ToString("N");
            var token = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
            _sessions[session] = token;
            context.Response.Headers["X-CSRF-Token"] = token;
            context.Response.Cookies.Append("SAP_SESSIONID_S4D_100", session);
            context.Response.Cookies.Append("sap-usercontext", "sap-client=100");
        }

        if (path == "A_MaterialDocumentHeader")
        {
            // $filter=MaterialDocumentHeaderText eq '…' (the only filter the adapter sends).
            var filter = context.Request.Query["$filter"].ToString();
            var text = filter.Split('\'').ElementAtOrDefault(1) ?? "";
            var results = new JsonArray([.. Documents(text).Select(d => (JsonNode)new JsonObject
            {
                ["MaterialDocument"] = d["MaterialDocument"]!.DeepClone(), ["MaterialDocumentYear"] = d["MaterialDocumentYear"]!.DeepClone(),
            })]);
            return Results.Content(new JsonObject { ["d"] = new JsonObject { ["results"] = results } }.ToJsonString(), "application/json");
        }

        if (path == "A_MaterialDocumentItem")
        {
            // $filter=(ManufacturingOrder eq 'A' or ManufacturingOrder eq 'B') and GoodsMovementType eq '101' (what reconciliation sends).
            var filter = context.Request.Query["$filter"].ToString();
            var orders = System.Text.RegularExpressions.Regex.Matches(filter, "ManufacturingOrder eq '([^']*)'").Select(m => m.Groups[1].Value).ToHashSet();
            var type = System.Text.RegularExpressions.Regex.Match(filter, "GoodsMovementType eq '([^']*)'").Groups[1].Value;
            var items = new JsonArray([.. _documents.Values.SelectMany(d => d["to_MaterialDocumentItem"]!["results"]!.AsArray().Select(i => (Document: d, Item: i!)))
                .Where(x => orders.Contains(x.Item["ManufacturingOrder"]?.GetValue<string>() ?? "") && x.Item["GoodsMovementType"]?.GetValue<string>() == type)
                .Select(x => (JsonNode)new JsonObject
                {
                    ["MaterialDocument"] = x.Document["MaterialDocument"]!.DeepClone(),
                    ["MaterialDocumentYear"] = x.Document["MaterialDocumentYear"]!.DeepClone(),
                    ["ManufacturingOrder"] = x.Item["ManufacturingOrder"]!.DeepClone(),
                    ["QuantityInEntryUnit"] = x.Item["QuantityInEntryUnit"]!.DeepClone(),
                    ["GoodsMovementIsCancelled"] = x.Item["GoodsMovementIsCancelled"]?.GetValue<bool>() ?? false,
                })]);
            return Results.Content(new JsonObject { ["d"] = new JsonObject { ["results"] = items } }.ToJsonString(), "application/json");
        }

        return Results.Content(new JsonObject { ["d"] = new JsonObject { ["EntitySets"] = new JsonArray("A_MaterialDocumentHeader", "A_MaterialDocumentItem") } }.ToJsonString(), "application/json");
    }

    // A_PurchaseOrderScheduleLine(PurchasingDocument='4500000001',PurchasingDocumentItem='10',ScheduleLine='1') → "4500000001/10/1".
    private static string? ScheduleLineKey(string? path)
    {
        var match = System.Text.RegularExpressions.Regex.Match(path ?? "",
            @"^A_PurchaseOrderScheduleLine\(PurchasingDocument='([^']*)',PurchasingDocumentItem='([^']*)',ScheduleLine='([^']*)'\)$");
        return match.Success ? $"{match.Groups[1].Value}/{match.Groups[2].Value}/{match.Groups[3].Value}" : null;
    }

    private IResult GetPurchaseOrder(string? path, HttpContext context)
    {
        if (!Authenticated(context))
        {
            return Error(401, "/IWFND/CM_CONSUMER/101", "Logon failed");
        }

        if (context.Request.Headers["X-CSRF-Token"] == "Fetch")
        {
            return Get(null, context); // the token fetch on the service root
        }

        if (path == "A_PurchaseOrderScheduleLine")
        {
            // $filter=(PurchasingDocument eq 'A' or PurchasingDocument eq 'B') and ScheduleLine eq '1' (what reconciliation sends).
            var filter = context.Request.Query["$filter"].ToString();
            var orders = System.Text.RegularExpressions.Regex.Matches(filter, "PurchasingDocument eq '([^']*)'").Select(m => m.Groups[1].Value).ToHashSet();
            var number = System.Text.RegularExpressions.Regex.Match(filter, "ScheduleLine eq '([^']*)'").Groups[1].Value;
            var results = new JsonArray([.. _scheduleLines.Values.Where(l => orders.Contains(l.Fields["PurchasingDocument"]!.GetValue<string>())
                    && (number.Length == 0 || l.Fields["ScheduleLine"]!.GetValue<string>() == number))
                .Select(l => { lock (l) { return (JsonNode)l.Fields.DeepClone(); } })]);
            return Results.Content(new JsonObject { ["d"] = new JsonObject { ["results"] = results } }.ToJsonString(), "application/json");
        }

        if (ScheduleLineKey(path) is not { } key || !_scheduleLines.TryGetValue(key, out var line))
        {
            return Error(404, "/IWBEP/CM_MGW_RT/020", $"Resource not found for segment '{path}'");
        }

        lock (line)
        {
            var entity = (JsonObject)line.Fields.DeepClone();
            entity["__metadata"] = new JsonObject { ["etag"] = line.ETag, ["type"] = "API_PURCHASEORDER_PROCESS_SRV.A_PurchaseOrderScheduleLineType" };
            context.Response.Headers.ETag = line.ETag;
            return Results.Content(new JsonObject { ["d"] = entity }.ToJsonString(), "application/json");
        }
    }

    private async Task<IResult> PatchAsync(string? path, HttpContext context)
    {
        if (Refused(context) is { } refused)
        {
            return refused;
        }

        if (ScheduleLineKey(path) is not { } key || !_scheduleLines.TryGetValue(key, out var line))
        {
            return Error(404, "/IWBEP/CM_MGW_RT/020", $"Resource not found for segment '{path}'");
        }

        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        lock (line)
        {
            if (line.ChangeBeforeNextPatch)
            {
                line.ChangeBeforeNextPatch = false;
                line.Version++; // a buyer saved the line in SAP a moment ago
            }

            var ifMatch = context.Request.Headers.IfMatch.ToString();
            if (ifMatch.Length == 0)
            {
                return Error(428, "/IWBEP/CM_MGW_RT/024", "Precondition required: send If-Match with the entity's ETag");
            }

            if (ifMatch != line.ETag)
            {
                Interlocked.Increment(ref _preconditionFailures);
                return Error(412, "/IWBEP/CM_MGW_RT/022", "Precondition failed: the entity was changed by another user");
            }

            foreach (var (field, value) in body)
            {
                line.Fields[field] = value?.DeepClone();
            }

            line.Version++;
            line.Patches++;
            return Results.StatusCode(204);
        }
    }

    // Basic authentication, then the CSRF token of a live session: what SAP checks before any change.
    private IResult? Refused(HttpContext context)
    {
        if (!Authenticated(context))
        {
            return Error(401, "/IWFND/CM_CONSUMER/101", "Logon failed");
        }

        var session = context.Request.Cookies["SAP_SESSIONID_S4D_100"];
        if (session is null || !_sessions.TryGetValue(session, out var token) || context.Request.Headers["X-CSRF-Token"] != token)
        {
            Interlocked.Increment(ref _rejectedPosts);
            context.Response.Headers["X-CSRF-Token"] = "Required";
            return Results.Text("CSRF Token required", statusCode: 403);
        }

        return null;
    }

    private async Task<IResult> PostAsync(HttpContext context)
    {
        if (Refused(context) is { } refused)
        {
            return refused;
        }

        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        var items = body["to_MaterialDocumentItem"]?["results"] as JsonArray;
        if (body["GoodsMovementCode"]?.GetValue<string>() is not ("01" or "02" or "03" or "04") || items is not { Count: > 0 })
        {
            return Error(400, "MM_IM_ODATA_API_MDOC/001", "Goods movement code or items missing");
        }

        var document = (JsonObject)body.DeepClone();
        document["MaterialDocument"] = Interlocked.Increment(ref _number).ToString(System.Globalization.CultureInfo.InvariantCulture);
        document["MaterialDocumentYear"] = DateTime.UtcNow.Year.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _documents[document["MaterialDocument"]!.GetValue<string>()] = document;
        return Results.Content(new JsonObject { ["d"] = document.DeepClone() }.ToJsonString(), "application/json", statusCode: 201);
    }

    private static IResult Error(int status, string code, string message) => Results.Content(new JsonObject
    {
        ["error"] = new JsonObject
        {
            ["code"] = code,
            ["message"] = new JsonObject { ["lang"] = "en", ["value"] = message },
            ["innererror"] = new JsonObject
            {
                ["transactionid"] = Guid.NewGuid().ToString("N").ToUpperInvariant(),
                ["errordetails"] = new JsonArray(new JsonObject { ["code"] = code, ["message"] = message, ["propertyref"] = "", ["severity"] = "error", ["target"] = "" }),
            },
        },
    }.ToJsonString(), "application/json", statusCode: status);
}
