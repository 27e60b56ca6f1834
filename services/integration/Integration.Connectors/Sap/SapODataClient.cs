using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Manufacturing.Integration.Connectors.Sap;

/// <summary>
/// SAP Gateway OData V2 for S/4HANA: basic authentication with the communication user, a CSRF token
/// fetched with <c>X-CSRF-Token: Fetch</c> on the service root and sent back, with the session
/// cookies of that fetch, on every modifying request; a <c>403</c> with <c>X-CSRF-Token: Required</c>
/// (the token or session expired) fetches a new token once and repeats the request. Updates send the
/// entity's ETag as <c>If-Match</c> (optimistic concurrency: SAP answers 412 when it changed). Errors are SAP's
/// <c>{"error": {"code", "message": {"value"}, "innererror": {"errordetails": [...]}}}</c>:
/// 4xx are refusals, 408/429/5xx transient.
/// </summary>
public sealed class SapODataClient
{
    private readonly HttpClient _http;
    private readonly ConnectorOptions _options;
    private readonly AuthenticationHeaderValue _authorization;
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private string? _token;

    /// <summary>A client over <paramref name="http"/>, whose handler must keep cookies (the CSRF token is bound to the session).</summary>
    public SapODataClient(HttpClient http, ConnectorOptions options)
    {
        _http = http;
        _options = options;
        _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Login}:{options.ReadSecret()}")));
    }

    /// <summary>GET <paramref name="path"/> (relative to the base address, with its query) of <paramref name="service"/>; returns the JSON <c>d</c>.</summary>
    public async Task<JsonNode?> GetAsync(string service, string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => Request(HttpMethod.Get, service, path, null), cancellationToken);
        return (await ReadAsync(response, service, cancellationToken))?["d"];
    }

    /// <summary>
    /// GET one entity at <paramref name="path"/> of <paramref name="service"/>: its JSON <c>d</c> and its
    /// ETag (the <c>ETag</c> header, or <c>__metadata.etag</c>), which an update must send back as
    /// <c>If-Match</c>. Null when SAP answers 404 (no such entity).
    /// </summary>
    public async Task<(JsonNode Entity, string? ETag)?> GetEntityAsync(string service, string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => Request(HttpMethod.Get, service, path, null), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var entity = (await ReadAsync(response, service, cancellationToken))?["d"]
            ?? throw new ErpException($"SAP {service} answered {path} without an entity.", transient: false);
        // Read raw: SAP's weak ETags (W/"datetimeoffset'2026-…'") need not parse as an entity tag here.
        var etag = (response.Headers.TryGetValues("ETag", out var values) ? values.FirstOrDefault() : null) ?? entity["__metadata"]?["etag"]?.GetValue<string>();
        return (entity, etag);
    }

    /// <summary>POST <paramref name="body"/> to <paramref name="path"/> of <paramref name="service"/> with the CSRF token; returns the JSON <c>d</c>.</summary>
    public Task<JsonNode?> PostAsync(string service, string path, JsonObject body, CancellationToken cancellationToken) =>
        ModifyAsync(HttpMethod.Post, service, path, body, null, cancellationToken);

    /// <summary>
    /// PATCH <paramref name="body"/> onto the entity at <paramref name="path"/> with the CSRF token and
    /// <c>If-Match: <paramref name="etag"/></c>, so SAP refuses it (<c>412</c>, an
    /// <see cref="ErpException"/> with <see cref="ErpException.Status"/> 412) when the entity changed
    /// since it was read.
    /// </summary>
    public Task<JsonNode?> PatchAsync(string service, string path, JsonObject body, string etag, CancellationToken cancellationToken) =>
        ModifyAsync(HttpMethod.Patch, service, path, body, etag, cancellationToken);

    private async Task<JsonNode?> ModifyAsync(HttpMethod method, string service, string path, JsonObject body, string? etag, CancellationToken cancellationToken)
    {
        var token = _token ?? await FetchTokenAsync(service, null, cancellationToken);
        var response = await SendAsync(() => Request(method, service, path, body, token, etag), cancellationToken);
        if (response.StatusCode == HttpStatusCode.Forbidden && CsrfRequired(response))
        {
            // The token (or the session it belongs to) expired: fetch a new one once, then repeat.
            response.Dispose();
            token = await FetchTokenAsync(service, token, cancellationToken);
            response = await SendAsync(() => Request(method, service, path, body, token, etag), cancellationToken);
        }

        using (response)
        {
            return (await ReadAsync(response, service, cancellationToken))?["d"];
        }
    }

    private static bool CsrfRequired(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-CSRF-Token", out var values) && values.Any(v => v.Equals("Required", StringComparison.OrdinalIgnoreCase));

    private async Task<string> FetchTokenAsync(string service, string? stale, CancellationToken cancellationToken)
    {
        await _fetching.WaitAsync(cancellationToken);
        try
        {
            if (_token is { } current && current != stale)
            {
                return current; // another delivery fetched a fresh one meanwhile
            }

            using var response = await SendAsync(() =>
            {
                var request = Request(HttpMethod.Get, service, "", null);
                request.Headers.Add("X-CSRF-Token", "Fetch");
                return request;
            }, cancellationToken);
            await ReadAsync(response, service, cancellationToken);
            return _token = response.Headers.TryGetValues("X-CSRF-Token", out var values) && values.FirstOrDefault() is { Length: > 0 } token && token != "Required"
                ? token
                : throw new ErpException($"SAP {service} returned no CSRF token.", transient: false);
        }
        finally
        {
            _fetching.Release();
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string service, string path, JsonObject? body, string? token = null, string? etag = null)
    {
        var query = _options.SapClient.Length > 0 ? (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"sap-client={_options.SapClient}" : "";
        var request = new HttpRequestMessage(method, new Uri(new Uri(_options.BaseUrl), $"/sap/opu/odata/sap/{service}/{path}{query}"));
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (token is not null)
        {
            request.Headers.Add("X-CSRF-Token", token);
        }

        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", etag);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        using var message = request();
        try
        {
            return await _http.SendAsync(message, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ErpException($"SAP is not reachable at {message.RequestUri?.GetLeftPart(UriPartial.Authority)}: {e.Message}", transient: true, e);
        }
    }

    private static async Task<JsonNode?> ReadAsync(HttpResponseMessage response, string service, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonNode? body = null;
        try
        {
            body = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON (an HTML error page of a proxy, "CSRF Token required"): described by the status below.
        }

        if (response.IsSuccessStatusCode)
        {
            return body;
        }

        var status = (int)response.StatusCode;
        var error = body?["error"];
        var detail = error is null ? (text.Length > 200 ? text[..200] : text)
            : $"{error["code"]?.GetValue<string>()}: {error["message"]?["value"]?.GetValue<string>()}"
              + string.Concat((error["innererror"]?["errordetails"] as JsonArray ?? []).Select(d => $"; {d?["code"]?.GetValue<string>()}: {d?["message"]?.GetValue<string>()}"));
        throw new ErpException($"SAP {service}: HTTP {status} {detail}", transient: status is 408 or 429 || status >= 500)
        {
            RetryAfter = response.Headers.RetryAfter?.Delta,
            Status = status,
        };
    }
}
