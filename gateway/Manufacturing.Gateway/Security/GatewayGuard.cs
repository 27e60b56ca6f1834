using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Manufacturing.Common.V1;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;
using Manufacturing.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Manufacturing.Gateway.Security;

/// <summary>The gateway's limits, from configuration section <c>Gateway</c>.</summary>
internal sealed class GatewayLimits
{
    private readonly IConfiguration _configuration;
    private readonly ConcurrentDictionary<string, RateLimiter> _buckets = new(StringComparer.Ordinal);

    public GatewayLimits(IConfiguration configuration)
    {
        _configuration = configuration;
        MaxRequestBodyBytes = configuration.GetValue("Gateway:MaxRequestBodyBytes", 1024L * 1024);
        DefaultDeadline = configuration.GetValue("Gateway:DefaultDeadline", TimeSpan.FromSeconds(30));
        StreamsPerPlant = configuration.GetValue("Gateway:StreamsPerPlant", 32);
    }

    /// <summary>How many client-streaming calls (plant event streams) one plant may hold open at once.</summary>
    public int StreamsPerPlant { get; }

    private readonly ConcurrentDictionary<string, RateLimiter> _streams = new(StringComparer.Ordinal);

    /// <summary>
    /// Takes one of the plant's stream slots, held until the stream ends. A plant-fenced caller counts
    /// against its plant; any other caller against its own client name.
    /// </summary>
    public RateLimitLease AcquireStream(CallerIdentity caller) =>
        _streams.GetOrAdd(caller.Plant is { } plant ? $"plant:{plant}" : $"client:{caller.Client}", _ => new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = StreamsPerPlant,
            QueueLimit = 0,
        })).AttemptAcquire();

    /// <summary>The largest request body (REST) or gRPC message the gateway forwards.</summary>
    public long MaxRequestBodyBytes { get; }

    /// <summary>The deadline given to gRPC calls that carry none (<c>grpc-timeout</c>).</summary>
    public TimeSpan DefaultDeadline { get; }

    /// <summary>
    /// Takes one token from the caller's bucket. Each client has its own token bucket, sized by its
    /// class (<c>Gateway:RateLimits:{class}:…</c>, falling back to <c>Gateway:RateLimits:default:…</c>).
    /// </summary>
    public RateLimitLease Acquire(CallerIdentity caller) =>
        _buckets.GetOrAdd(caller.Client, _ => new TokenBucketRateLimiter(BucketFor(caller.RateClass))).AttemptAcquire();

    private TokenBucketRateLimiterOptions BucketFor(string rateClass)
    {
        string? Setting(string name) => _configuration[$"Gateway:RateLimits:{rateClass}:{name}"] ?? _configuration[$"Gateway:RateLimits:default:{name}"];
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = int.TryParse(Setting("TokenLimit"), out var limit) ? limit : 200,
            TokensPerPeriod = int.TryParse(Setting("TokensPerPeriod"), out var tokens) ? tokens : 100,
            ReplenishmentPeriod = TimeSpan.TryParse(Setting("ReplenishmentPeriod"), System.Globalization.CultureInfo.InvariantCulture, out var period) ? period : TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }
}

/// <summary>
/// The gateway's governance, in front of every proxied route: identity headers from outside are
/// stripped; the bearer token is validated; the caller's scopes are checked against the access table
/// (<see cref="AccessPolicy"/>); a plant-fenced caller may not name another plant in the path; each
/// client has a token-bucket rate limit; bodies are capped; gRPC calls without a deadline get one.
/// Refusals answer gRPC callers with a gRPC status (and google.rpc details) and REST callers with the
/// matching HTTP status and a google.rpc.Status JSON body.
/// </summary>
internal sealed partial class GatewayGuard(
    Authenticator authenticator, GatewayLimits limits, AuditTrail audit, ILogger<GatewayGuard> logger,
    ClientCertificateSettings? certificates = null, ForwardingTokens? forwarding = null)
{
    private const string ErrorDomain = "gateway.manufacturing";

    /// <summary>Request headers that only the suite itself may set; removed from every incoming request.</summary>
    public static readonly string[] IdentityHeaders = ["x-mfg-source-system", "x-mfg-client", "x-mfg-identity", "x-mfg-plant", "x-forwarded-client-cert"];

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        foreach (var header in IdentityHeaders)
        {
            request.Headers.Remove(header);
        }

        var grpc = request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;
        var path = request.Path.Value ?? "";
        var access = grpc ? AccessPolicy.ForRpc(path) : AccessPolicy.ForRest(request.Method, path);
        CallerIdentity? caller = null;
        if (access != Access.Anonymous)
        {
            if (certificates is not null && forwarding is not null && !request.Headers.ContainsKey("authorization")
                && await context.Connection.GetClientCertificateAsync(context.RequestAborted) is { } certificate)
            {
                if (!certificates.Validate(certificate))
                {
                    await RefuseAsync(context, grpc, StatusCode.Unauthenticated, ErrorReason.Unauthenticated,
                        "The client certificate is not issued by the trusted CA for client authentication, or has expired.", "");
                    return;
                }

                if (certificates.IdentityOf(certificate) is not { } device)
                {
                    await RefuseAsync(context, grpc, StatusCode.PermissionDenied, ErrorReason.NotPermitted,
                        $"The client certificate's subject '{certificate.Subject}' names no edge:{{plant}} or mes:{{plant}} client.", "");
                    return;
                }

                // The services see no certificate behind the gateway: they get the gateway's signed word for it.
                request.Headers.Authorization = $"Bearer {forwarding.Mint(device)}";
                caller = device;
            }

            if (caller is null)
            {
                var outcome = await authenticator.AuthenticateAsync(context);
                if (outcome.Unauthenticated is { } unauthenticated)
                {
                    await RefuseAsync(context, grpc, StatusCode.Unauthenticated, ErrorReason.Unauthenticated, unauthenticated, "");
                    return;
                }

                if (outcome.Denied is { } denied)
                {
                    await RefuseAsync(context, grpc, StatusCode.PermissionDenied, ErrorReason.NotPermitted, denied, "");
                    return;
                }

                caller = outcome.Identity!;
            }

            if (AccessPolicy.Refusal(caller, access, path) is { } scope)
            {
                await RefuseAsync(context, grpc, StatusCode.PermissionDenied, ErrorReason.ScopeMissing, scope, caller.Client);
                return;
            }

            if (Tenancy.PathRefusal(caller, path) is { } tenancy)
            {
                await RefuseAsync(context, grpc, StatusCode.PermissionDenied, ErrorReason.OtherPlant, tenancy, caller.Client);
                return;
            }

            using var lease = limits.Acquire(caller);
            if (!lease.IsAcquired)
            {
                var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                await RefuseAsync(context, grpc, StatusCode.ResourceExhausted, ErrorReason.RateLimited,
                    $"{caller.Client} exceeded its rate limit ({caller.RateClass} class); retry after {Math.Ceiling(retryAfter.TotalSeconds)} s.", caller.Client, retryAfter);
                return;
            }
        }

        var streaming = grpc && StreamingMethods.Contains(path);
        var streamer = streaming ? caller : null;
        using var streamSlot = streamer is null ? null : limits.AcquireStream(streamer);
        if (streamSlot is { IsAcquired: false })
        {
            await RefuseAsync(context, grpc, StatusCode.ResourceExhausted, ErrorReason.TooManyStreams,
                $"{streamer!.Plant ?? streamer.Client} already holds {limits.StreamsPerPlant} open event streams, the most the gateway allows; close one or retry later.",
                streamer.Client, TimeSpan.FromSeconds(1));
            return;
        }

        if (request.ContentLength > limits.MaxRequestBodyBytes)
        {
            await RefuseAsync(context, grpc, StatusCode.ResourceExhausted, ErrorReason.TooLarge,
                $"The request body is {request.ContentLength} bytes; the gateway accepts at most {limits.MaxRequestBodyBytes}.", caller?.Client ?? "");
            return;
        }

        if (grpc && UnaryMethods.Contains(path) && await FirstMessageLengthAsync(request) is { } length && length > limits.MaxRequestBodyBytes)
        {
            await RefuseAsync(context, grpc, StatusCode.ResourceExhausted, ErrorReason.TooLarge,
                $"The gRPC message is {length} bytes; the gateway accepts at most {limits.MaxRequestBodyBytes}.", caller?.Client ?? "");
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            // gRPC bodies carry a 5-byte frame header per message; the service's own message limit answers first.
            // A stream's body is unbounded in total: each of its messages is capped by the service's message limit.
            bodyLimit.MaxRequestBodySize = streaming ? null : limits.MaxRequestBodyBytes + (grpc ? 16 * 1024 : 0);
        }

        if (streaming && context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } dataRate)
        {
            // A plant stream may be quiet between bursts; that is not a slow client.
            dataRate.MinDataRate = null;
        }

        // A default deadline would cut a long-lived stream: streams end when their sender ends them.
        if (grpc && !streaming && !request.Headers.ContainsKey("grpc-timeout"))
        {
            request.Headers["grpc-timeout"] = $"{(long)limits.DefaultDeadline.TotalMilliseconds}m";
        }

        await next();
    }

    /// <summary>The RPCs whose client sends a stream of messages (plant event streams).</summary>
    private static readonly HashSet<string> StreamingMethods = Methods(m => m.IsClientStreaming);

    /// <summary>The unary RPCs of the suite's contracts (their request is one message, so its size can be read up front).</summary>
    private static readonly HashSet<string> UnaryMethods = Methods(m => !m.IsClientStreaming && !m.IsServerStreaming);

    private static HashSet<string> Methods(Func<Google.Protobuf.Reflection.MethodDescriptor, bool> filter) =>
        typeof(Manufacturing.Common.V1.CommandReflection).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(t => t.GetProperty("Descriptor", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)?.GetValue(null))
            .OfType<Google.Protobuf.Reflection.FileDescriptor>()
            .SelectMany(f => f.Services).SelectMany(s => s.Methods)
            .Where(filter)
            .Select(m => $"/{m.Service.FullName}/{m.Name}")
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The declared length of a unary gRPC request's message, from its 5-byte frame header, peeked
    /// without consuming the body (the proxy forwards it unchanged); null when the body ends sooner.
    /// </summary>
    private static async Task<long?> FirstMessageLengthAsync(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        var reader = request.BodyReader;
        var result = await reader.ReadAtLeastAsync(5, request.HttpContext.RequestAborted);
        var buffer = result.Buffer;
        try
        {
            if (buffer.Length < 5)
            {
                return null;
            }

            Span<byte> header = stackalloc byte[5];
            buffer.Slice(0, 5).CopyTo(header);
            return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        }
        finally
        {
            reader.AdvanceTo(buffer.Start);
        }
    }

    private async Task RefuseAsync(HttpContext context, bool grpc, StatusCode code, ErrorReason reason, string message, string client, TimeSpan? retryAfter = null)
    {
        var path = context.Request.Path.Value ?? "";
        LogRefused(logger, context.Request.Method, path, client.Length == 0 ? AuditRecord.Unauthenticated : client, code, message);
        await audit.RecordAsync(new AuditRecord
        {
            Component = "gateway",
            Identity = client.Length == 0 ? AuditRecord.Unauthenticated : client,
            CorrelationId = context.Request.Headers[Correlation.HeaderName].ToString(),
            Resource = grpc ? "" : ResourceOf(path),
            Rpc = grpc ? path : $"{context.Request.Method} {path}",
            Outcome = AuditRecord.Refused,
            Status = AuditFields.StatusName(code),
            Reason = $"{RpcErrors.ReasonName(reason)}: {message}",
        });
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        status.Details.Add(Any.Pack(new ErrorInfo { Reason = RpcErrors.ReasonName(reason), Domain = ErrorDomain }));
        var response = context.Response;
        if (retryAfter is { } wait)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(wait) }));
            response.Headers.RetryAfter = ((long)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (grpc)
        {
            // A trailers-only gRPC response: the status travels in the (only) header block.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray());
            return;
        }

        response.StatusCode = code switch
        {
            StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
            StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
            StatusCode.ResourceExhausted when reason == ErrorReason.TooLarge => StatusCodes.Status413PayloadTooLarge,
            StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
            _ => StatusCodes.Status400BadRequest,
        };
        if (code == StatusCode.Unauthenticated)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        response.ContentType = "application/json";
        await response.WriteAsync(StatusJson(status));
    }

    /// <summary>The resource name in a REST path: <c>/shop-floor/v1/plants/P100/productionOrders/WO-1:start</c> → <c>plants/P100/productionOrders/WO-1</c>.</summary>
    private static string ResourceOf(string path)
    {
        var start = path.IndexOf("/plants/", StringComparison.Ordinal);
        if (start < 0)
        {
            return "";
        }

        var name = path[(start + 1)..];
        var verb = name.LastIndexOf(':');
        return verb > 0 ? name[..verb] : name;
    }

    // google.rpc.Status as grpc-gateway / JSON transcoding write it: {"code", "message", "details": [{"@type", …}]}.
    private static readonly JsonFormatter StatusFormatter =
        new(new JsonFormatter.Settings(false, Google.Protobuf.Reflection.TypeRegistry.FromMessages(ErrorInfo.Descriptor, RetryInfo.Descriptor)));

    private static string StatusJson(Google.Rpc.Status status) => StatusFormatter.Format(status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway refused {Method} {Path} for {Client}: {Code} {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string client, StatusCode code, string reason);
}
