using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Manufacturing.Integration.Connectors.Odoo;

/// <summary>One call of an Odoo model method with named arguments (<c>ids</c>, <c>context</c> and the method's own), over either external API.</summary>
public interface IOdooClient
{
    /// <summary>Calls <paramref name="method"/> of <paramref name="model"/>; returns its result or throws an <see cref="ErpException"/>.</summary>
    Task<JsonNode?> CallAsync(string model, string method, JsonObject arguments, CancellationToken cancellationToken);
}

/// <summary>
/// Odoo 19+'s JSON-2 API: <c>POST /json/2/{model}/{method}</c> with <c>Authorization: bearer {api key}</c>
/// (and <c>X-Odoo-Database</c> when set), named arguments as the JSON body; each call is its own
/// transaction. Errors come as a non-2xx status with <c>{name, message, arguments, context, debug}</c>:
/// 401/403/404/422/400 are refusals, 409 (a lock), 429 and 5xx are transient.
/// </summary>
public sealed class OdooJson2Client(HttpClient http, ConnectorOptions options) : IOdooClient
{
    private readonly string _key = options.ReadSecret();

    /// <inheritdoc />
    public async Task<JsonNode?> CallAsync(string model, string method, JsonObject arguments, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(options.BaseUrl), $"/json/2/{model}/{method}"))
        {
            Content = JsonContent.Create(arguments),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("bearer", _key);
        if (options.Database.Length > 0)
        {
            request.Headers.Add("X-Odoo-Database", options.Database);
        }

        using var response = await OdooHttp.SendAsync(http, request, cancellationToken);
        var body = await OdooHttp.ReadJsonAsync(response, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return body;
        }

        var status = (int)response.StatusCode;
        var transient = status is 408 or 409 or 429 || status >= 500;
        throw new ErpException($"Odoo {model}.{method}: HTTP {status} {OdooHttp.Describe(body)}", transient)
        {
            RetryAfter = response.Headers.RetryAfter?.Delta,
        };
    }
}

/// <summary>
/// Odoo 16–18's JSON-RPC API: <c>POST /jsonrpc</c>, <c>common.login</c> once for the user id, then
/// <c>object.execute_kw(db, uid, key, model, method, args, kwargs)</c>. Every answer is HTTP 200;
/// errors are <c>{"error": {"code", "message", "data": {"name", "message", …}}}</c>: Odoo's
/// business exceptions are refusals, a lock or serialization failure is transient, and a session
/// problem (code 100) logs in again.
/// </summary>
public sealed class OdooJsonRpcClient(HttpClient http, ConnectorOptions options) : IOdooClient
{
    private readonly string _key = options.ReadSecret();
    private long _id;
    private long? _uid;

    /// <inheritdoc />
    public async Task<JsonNode?> CallAsync(string model, string method, JsonObject arguments, CancellationToken cancellationToken)
    {
        var uid = _uid ??= await LoginAsync(cancellationToken);
        var kwargs = (JsonObject)arguments.DeepClone();
        var args = new JsonArray();
        if (method == "create" && kwargs.Remove("vals_list", out var values))
        {
            args.Add(values); // create's result id list depends on a positional argument
        }
        else if (kwargs.Remove("ids", out var ids))
        {
            args.Add(ids);
        }

        try
        {
            return await RpcAsync("object", "execute_kw", [options.Database, uid, _key, model, method, args, kwargs], cancellationToken);
        }
        catch (OdooRpcException e) when (e.Code == 100)
        {
            _uid = null; // the session expired: log in again on the next call
            throw new ErpException($"Odoo {model}.{method}: session expired", transient: true, e);
        }
        catch (OdooRpcException e)
        {
            throw new ErpException($"Odoo {model}.{method}: {e.Message}", e.Transient, e);
        }
    }

    private async Task<long> LoginAsync(CancellationToken cancellationToken)
    {
        try
        {
            var uid = await RpcAsync("common", "login", [options.Database, options.Login, _key], cancellationToken);
            return uid is JsonValue value && value.TryGetValue<long>(out var id) && id > 0
                ? id
                : throw new ErpException($"Odoo refused the login of {options.Login} to {options.Database} (wrong login, key or database).", transient: false);
        }
        catch (OdooRpcException e)
        {
            throw new ErpException($"Odoo login: {e.Message}", e.Transient, e);
        }
    }

    private async Task<JsonNode?> RpcAsync(string service, string method, JsonArray args, CancellationToken cancellationToken)
    {
        var call = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["method"] = "call",
            ["params"] = new JsonObject { ["service"] = service, ["method"] = method, ["args"] = args },
            ["id"] = Interlocked.Increment(ref _id),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(options.BaseUrl), "/jsonrpc")) { Content = JsonContent.Create(call) };
        using var response = await OdooHttp.SendAsync(http, request, cancellationToken);
        var body = await OdooHttp.ReadJsonAsync(response, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new OdooRpcException(0, $"HTTP {(int)response.StatusCode}", (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests);
        }

        if (body?["error"] is JsonObject error)
        {
            var code = error["code"]?.GetValue<int>() ?? 0;
            var name = error["data"]?["name"]?.GetValue<string>() ?? "";
            var transient = name.Contains("LockError", StringComparison.Ordinal) || name.Contains("SerializationFailure", StringComparison.Ordinal)
                || name.Contains("OperationalError", StringComparison.Ordinal);
            throw new OdooRpcException(code, OdooHttp.Describe(error["data"] ?? error), transient);
        }

        return body?["result"];
    }

    private sealed class OdooRpcException(int code, string message, bool transient) : Exception(message)
    {
        public int Code { get; } = code;

        public bool Transient { get; } = transient;
    }
}

internal static class OdooHttp
{
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ErpException($"Odoo is not reachable at {request.RequestUri?.GetLeftPart(UriPartial.Authority)}: {e.Message}", transient: true, e);
        }
    }

    public static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return JsonValue.Create(text.Length > 200 ? text[..200] : text);
        }
    }

    // "odoo.exceptions.UserError: The lot is blocked" from an Odoo error object; the traceback (debug) is left out.
    public static string Describe(JsonNode? error) => error is JsonObject o
        ? $"{o["name"]?.GetValue<string>() ?? "error"}: {o["message"]?.GetValue<string>() ?? ""}".Trim()
        : error?.ToJsonString() ?? "no body";
}
