using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Manufacturing.ServiceDefaults;

/// <summary>
/// The correlation id that ties one caller's request together across the gateway, the hosts, the
/// grains and the logs. The gateway sets <c>x-correlation-id</c> when the caller did not; a host
/// reached directly does the same.
/// </summary>
public static class Correlation
{
    /// <summary>The HTTP/gRPC header (metadata key) that carries it.</summary>
    public const string HeaderName = "x-correlation-id";

    /// <summary>The Orleans request-context key under which it travels into grain calls.</summary>
    public const string RequestContextKey = Manufacturing.Grains.GrainMeters.CorrelationIdKey;

    /// <summary>The longest correlation id taken from a caller; longer ones are replaced.</summary>
    public const int MaxLength = 128;

    /// <summary>The caller's id when it is usable, otherwise a new one.</summary>
    public static string FromOrNew(string? incoming) =>
        !string.IsNullOrWhiteSpace(incoming) && incoming.Length <= MaxLength && incoming.All(c => c is > ' ' and < (char)127)
            ? incoming
            : Guid.NewGuid().ToString("N");

    internal sealed class Middleware(RequestDelegate next, ILogger<Middleware> logger)
    {
        public async Task InvokeAsync(HttpContext context)
        {
            var id = FromOrNew(context.Request.Headers[HeaderName]);
            context.Request.Headers[HeaderName] = id;
            // Set when the response starts, replacing any copy a proxied host sent back, so the caller
            // sees exactly one value.
            context.Response.OnStarting(() =>
            {
                context.Response.Headers[HeaderName] = id;
                return Task.CompletedTask;
            });
            Activity.Current?.SetTag("correlation.id", id);
            RequestContext.Set(RequestContextKey, id);
            using (logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = id }))
            {
                await next(context);
            }
        }
    }
}
