using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Manufacturing.IntegrationTests.Support;

/// <summary>
/// A test double that speaks Odoo 19's JSON-2 API as a real HTTP server on loopback:
/// <c>POST /json/2/{model}/{method}</c> with <c>Authorization: bearer {key}</c> and named arguments,
/// errors as a status with <c>{name, message, arguments, context, debug}</c> (401 for a bad key, 404
/// for an unknown model or method, 422 for a validation error, 503 when made unavailable). It keeps
/// <c>mrp.production</c>, <c>stock.lot</c> and <c>quality.alert</c> records in memory and counts
/// every call, so the tests can prove what the connector posted, and how often.
/// </summary>
public sealed class FakeOdoo : IAsyncDisposable
{
    /// <summary>The API key the fake accepts.</summary>
    public const string ApiKey = "fake-odoo-api-key";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<long, JsonObject> _productions = new();
    private readonly ConcurrentDictionary<long, JsonObject> _alerts = new();
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private long _nextId = 100;
    private int _unavailable;

    private FakeOdoo(WebApplication app) => _app = app;

    /// <summary>Where it listens.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>While set, quality alerts are refused with a 422 ValidationError carrying this message (a business error).</summary>
    public string? RefuseAlerts { get; set; }

    /// <summary>Starts the fake on a free loopback port.</summary>
    public static async Task<FakeOdoo> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Nothing from the test folder's appsettings.json (the gateway's is copied there, with its ports).
        var port = Ports.Next();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = $"http://127.0.0.1:{port}" });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeOdoo(app) { Address = new Uri($"http://127.0.0.1:{port}") };
        app.MapPost("/json/2/{model}/{method}", fake.HandleAsync);
        await app.StartAsync();

        // It answers before anyone relies on it: a call without a key is refused with 401.
        using var probe = new HttpClient();
        using var answer = await probe.PostAsync(new Uri(fake.Address, "/json/2/res.users/context_get"), new StringContent("{}"));
        return answer.StatusCode == System.Net.HttpStatusCode.Unauthorized
            ? fake
            : throw new InvalidOperationException($"The fake Odoo at {fake.Address} answered {answer.StatusCode} instead of 401 (listening on {string.Join(", ", app.Urls)}).");
    }

    /// <summary>How many times <c>{model}.{method}</c> was called.</summary>
    public int Calls(string model, string method) => _calls.GetValueOrDefault($"{model}.{method}");

    /// <summary>Adds a confirmed manufacturing order named <paramref name="name"/>; returns its id.</summary>
    public long AddProduction(string name, decimal quantity)
    {
        var id = Interlocked.Increment(ref _nextId);
        _productions[id] = new JsonObject
        {
            ["id"] = id, ["name"] = name, ["state"] = "confirmed", ["qty_producing"] = 0m, ["product_qty"] = quantity,
            ["marked_done"] = 0, ["mark_done_calls"] = 0,
        };
        return id;
    }

    /// <summary>The manufacturing order named <paramref name="name"/>, or null.</summary>
    public JsonObject? Production(string name) => _productions.Values.FirstOrDefault(p => p["name"]!.GetValue<string>() == name);

    /// <summary>The quality alerts carrying <paramref name="eventId"/> in the reference field.</summary>
    public IReadOnlyList<JsonObject> AlertsFor(string eventId) =>
        [.. _alerts.Values.Where(a => a["x_mfg_event_id"]?.GetValue<string>() == eventId)];

    /// <summary>Every quality alert about lot <paramref name="lotId"/> (by its title).</summary>
    public IReadOnlyList<JsonObject> AlertsAboutLot(string lotId) =>
        [.. _alerts.Values.Where(a => a["title"]?.GetValue<string>() == $"Lot {lotId} blocked")];

    /// <summary>Makes the next <paramref name="calls"/> calls fail with 503 (Odoo down or restarting); 0 brings it back.</summary>
    public void FailNext(int calls) => Volatile.Write(ref _unavailable, calls);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task<IResult> HandleAsync(string model, string method, HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.Equals($"bearer {ApiKey}", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.WWWAuthenticate = "bearer";
            return Error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey");
        }

        if (Interlocked.Decrement(ref _unavailable) >= 0)
        {
            return Error(503, "werkzeug.exceptions.ServiceUnavailable", "Service Unavailable");
        }

        Interlocked.Exchange(ref _unavailable, 0);
        JsonObject body;
        try
        {
            body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        }
        catch (Exception)
        {
            return Error(400, "werkzeug.exceptions.BadRequest", "The body is not JSON.");
        }

        _calls.AddOrUpdate($"{model}.{method}", 1, (_, n) => n + 1);
        return (model, method) switch
        {
            ("mrp.production", "search_read") => Json(Search(_productions.Values, body)),
            ("mrp.production", "write") => Write(body),
            ("mrp.production", "button_mark_done") => MarkDone(body),
            ("stock.lot", "search_read") => Json(new JsonArray()),
            ("quality.alert", "search_read") => Json(Search(_alerts.Values, body)),
            ("quality.alert", "create") => CreateAlert(body),
            _ => Error(404, "werkzeug.exceptions.NotFound", $"the model '{model}' has no method '{method}'"),
        };
    }

    // Domains of the form [[field, "=", value]] (all the adapter sends).
    private static JsonArray Search(IEnumerable<JsonObject> records, JsonObject body)
    {
        var terms = body["domain"]!.AsArray().Select(t => (Field: t![0]!.GetValue<string>(), Value: t[2]!.ToJsonString())).ToList();
        var limit = body["limit"]?.GetValue<int>() ?? int.MaxValue;
        return [.. records.Where(r => terms.All(t => r[t.Field]?.ToJsonString() == t.Value)).Take(limit).Select(r => (JsonNode)r.DeepClone())];
    }

    private IResult Write(JsonObject body)
    {
        foreach (var id in body["ids"]!.AsArray().Select(i => i!.GetValue<long>()))
        {
            if (!_productions.TryGetValue(id, out var production))
            {
                return Error(404, "odoo.exceptions.MissingError", $"Record does not exist or has been deleted. (Record: mrp.production({id},))");
            }

            lock (production)
            {
                foreach (var (field, value) in body["vals"]!.AsObject())
                {
                    production[field] = value?.DeepClone();
                }
            }
        }

        return Json(JsonValue.Create(true));
    }

    private IResult MarkDone(JsonObject body)
    {
        foreach (var id in body["ids"]!.AsArray().Select(i => i!.GetValue<long>()))
        {
            var production = _productions[id];
            lock (production)
            {
                production["mark_done_calls"] = production["mark_done_calls"]!.GetValue<int>() + 1;
                if (production["state"]!.GetValue<string>() == "done")
                {
                    return Error(422, "odoo.exceptions.UserError", "The production order is already done.");
                }

                production["state"] = "done";
                production["marked_done"] = production["marked_done"]!.GetValue<int>() + 1;
            }
        }

        return Json(JsonValue.Create(true));
    }

    private IResult CreateAlert(JsonObject body)
    {
        if (RefuseAlerts is { } refusal)
        {
            return Error(422, "odoo.exceptions.ValidationError", refusal);
        }

        var ids = new JsonArray();
        foreach (var values in body["vals_list"]!.AsArray())
        {
            var id = Interlocked.Increment(ref _nextId);
            var alert = (JsonObject)values!.DeepClone();
            alert["id"] = id;
            _alerts[id] = alert;
            ids.Add(id);
        }

        return Json(ids);
    }

    private static IResult Json(JsonNode? node) => Results.Content(node?.ToJsonString() ?? "null", "application/json");

    private static IResult Error(int status, string name, string message) => Results.Content(new JsonObject
    {
        ["name"] = name,
        ["message"] = message,
        ["arguments"] = new JsonArray(message, status),
        ["context"] = new JsonObject(),
        ["debug"] = $"Traceback (most recent call last):\n  ...\n{name}: {message}",
    }.ToJsonString(), "application/json", statusCode: status);
}
