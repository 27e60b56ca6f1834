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
/// cancel a document (<see cref="Cancel"/>) as a reversal in SAP would, to make drift.
/// </summary>
public sealed class FakeSap : IAsyncDisposable
{
    /// <summary>The communication user and its password.</summary>
    public const string User = "MFG_COMM", Password = "fake-sap-password";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _sessions = new(); // session cookie → token
    private readonly ConcurrentDictionary<string, JsonObject> _documents = new();
    private long _number = 4900000000;
    private int _rejectedPosts;

    private FakeSap(WebApplication app) => _app = app;

    /// <summary>Where it listens.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Posts refused for a missing or expired CSRF token.</summary>
    public int RejectedPosts => _rejectedPosts;

    /// <summary>The material documents posted, by header text.</summary>
    public IReadOnlyList<JsonObject> Documents(string headerText) =>
        [.. _documents.Values.Where(d => d["MaterialDocumentHeaderText"]?.GetValue<string>() == headerText)];

    /// <summary>Cancels the documents with <paramref name="headerText"/>: their items are <c>GoodsMovementIsCancelled</c> from now on.</summary>
    public void Cancel(string headerText)
    {
        foreach (var item in Documents(headerText).SelectMany(d => d["to_MaterialDocumentItem"]!["results"]!.AsArray()))
        {
            item!["GoodsMovementIsCancelled"] = true;
        }
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

    private async Task<IResult> PostAsync(HttpContext context)
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
