using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Manufacturing.Common.V1;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.ServiceDefaults.Grpc;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Manufacturing.ServiceDefaults.Security;

/// <summary>
/// Defence in depth: every service authenticates the caller's token itself and applies the same
/// access table and plant tenancy as the gateway, so a caller that reaches a service directly gets
/// nothing it could not get through the gateway. The identity is put on the call for
/// <see cref="CallerSource"/> and on the Orleans request context for the grains. Every command's
/// outcome and every refusal is written to the audit trail.
/// </summary>
public sealed partial class CallerInterceptor(Authenticator authenticator, AuditTrail audit, ServiceIdentity service, ILogger<CallerInterceptor> logger) : Interceptor
{
    private static readonly HashSet<StatusCode> Refusals = [StatusCode.Unauthenticated, StatusCode.PermissionDenied, StatusCode.InvalidArgument, StatusCode.ResourceExhausted];

    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var call = await AdmitAsync(context, request as IMessage);
        Enter(call);
        try
        {
            var response = await continuation(request, context);
            await AuditAsync(call, StatusCode.OK, "");
            return response;
        }
        catch (RpcException e)
        {
            await AuditAsync(call, e.StatusCode, Reason(e));
            throw;
        }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Enter(await AdmitAsync(context, request as IMessage));
        await continuation(request, responseStream, context);
    }

    /// <inheritdoc />
    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var call = await AdmitAsync(context, null);
        Enter(call);
        var checkedStream = new CheckedStream<TRequest>(requestStream, this, call);
        try
        {
            var response = await continuation(checkedStream, context);
            await AuditStreamAsync(call, checkedStream, StatusCode.OK, "");
            return response;
        }
        catch (RpcException e)
        {
            await AuditStreamAsync(call, checkedStream, e.StatusCode, Reason(e));
            throw;
        }
    }

    /// <inheritdoc />
    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var call = await AdmitAsync(context, null);
        Enter(call);
        var checkedStream = new CheckedStream<TRequest>(requestStream, this, call);
        try
        {
            await continuation(checkedStream, responseStream, context);
            await AuditStreamAsync(call, checkedStream, StatusCode.OK, "");
        }
        catch (RpcException e)
        {
            await AuditStreamAsync(call, checkedStream, e.StatusCode, Reason(e));
            throw;
        }
    }

    /// <summary>
    /// A client stream whose every message gets the tenancy check a unary request gets: a message
    /// naming another plant ends the stream with PERMISSION_DENIED (audited), before the service sees it.
    /// </summary>
    private sealed class CheckedStream<T>(IAsyncStreamReader<T> inner, CallerInterceptor owner, Call? call) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public long Messages { get; private set; }

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await inner.MoveNext(cancellationToken))
            {
                return false;
            }

            Messages++;
            if (call is not null && inner.Current is IMessage message && Tenancy.MessageRefusal(call.Caller, message) is { } tenancy)
            {
                throw await owner.RefuseAsync(call.Record, message, StatusCode.PermissionDenied, ErrorReason.OtherPlant, tenancy);
            }

            return true;
        }
    }

    // A stream is audited once, when it ends: who, how many messages, and how it ended (its refused
    // events are audited one by one by the service).
    private async Task AuditStreamAsync<T>(Call? call, CheckedStream<T> stream, StatusCode code, string reason)
    {
        if (call is null || (code != StatusCode.OK && !Refusals.Contains(code) && code != StatusCode.Cancelled && code != StatusCode.Unavailable))
        {
            return;
        }

        await audit.RecordAsync(call.Record with
        {
            Outcome = code == StatusCode.OK ? AuditRecord.Accepted : AuditRecord.Refused,
            Status = AuditFields.StatusName(code),
            Reason = $"stream of {stream.Messages} message(s){(reason.Length > 0 ? ": " + reason : "")}",
        });
    }

    // The Orleans request context is async-local: it is set in the handler that then calls the
    // continuation (a change made inside an awaited async method is undone when that method returns).
    private static void Enter(Call? call)
    {
        if (call is not null)
        {
            RequestContext.Set(GrainMeters.CallerKey, call.Caller.Client);
        }
    }

    /// <summary>An admitted call: who, what it needed, and its audit record so far (without the request's fields).</summary>
    private sealed record Call(CallerIdentity Caller, Access Access, AuditRecord Record, IMessage? Request);

    // Admits the call or throws its refusal (audited); null for calls that need nothing (health).
    private async Task<Call?> AdmitAsync(ServerCallContext context, IMessage? request)
    {
        var access = AccessPolicy.ForRpc(context.Method);
        if (access == Access.Anonymous)
        {
            return null;
        }

        var http = context.GetHttpContext();
        var record = new AuditRecord
        {
            Component = service.Name,
            Identity = AuditRecord.Unauthenticated,
            CorrelationId = http.Request.Headers[Correlation.HeaderName].ToString(),
            Rpc = context.Method,
            Outcome = AuditRecord.Refused,
            Status = "",
        };
        var outcome = await authenticator.AuthenticateAsync(http);
        if (outcome.Unauthenticated is { } unauthenticated)
        {
            throw await RefuseAsync(record, request, StatusCode.Unauthenticated, ErrorReason.Unauthenticated, unauthenticated);
        }

        if (outcome.Denied is { } denied)
        {
            throw await RefuseAsync(record, request, StatusCode.PermissionDenied, ErrorReason.NotPermitted, denied);
        }

        var caller = outcome.Identity!;
        record = record with
        {
            Identity = caller.Client,
            SourceSystem = access == Access.Review ? SourceSystems.WireName(SourceSystem.Reviewer)
                : caller.Source == SourceSystem.Unspecified ? "" : SourceSystems.WireName(caller.Source),
        };
        if (AccessPolicy.Refusal(caller, access, context.Method) is { } scope)
        {
            throw await RefuseAsync(record, request, StatusCode.PermissionDenied, ErrorReason.ScopeMissing, scope);
        }

        if (request is not null && Tenancy.MessageRefusal(caller, request) is { } tenancy)
        {
            throw await RefuseAsync(record, request, StatusCode.PermissionDenied, ErrorReason.OtherPlant, tenancy);
        }

        http.Items[CallerSource.ItemKey] = caller;
        return new Call(caller, access, record, request);
    }

    /// <summary>Commands are audited whatever their outcome; reads only when refused.</summary>
    private async Task AuditAsync(Call? call, StatusCode code, string reason)
    {
        if (call is null || (call.Access is not (Access.Write or Access.Review) && !Refusals.Contains(code)))
        {
            return;
        }

        await audit.RecordAsync(WithRequest(call.Record, call.Request) with
        {
            Outcome = code == StatusCode.OK ? AuditRecord.Accepted : AuditRecord.Refused,
            Status = AuditFields.StatusName(code),
            Reason = reason,
        });
    }

    private async Task<RpcException> RefuseAsync(AuditRecord record, IMessage? request, StatusCode code, ErrorReason reason, string message)
    {
        LogRefused(logger, record.Rpc, record.Identity, code, message);
        var error = RpcErrors.Create(code, message, reason, service.ErrorDomain);
        await audit.RecordAsync(WithRequest(record, request) with { Status = AuditFields.StatusName(code), Reason = Reason(error) });
        return error;
    }

    // The request's message id and resource are read (by reflection) only for records actually written.
    private static AuditRecord WithRequest(AuditRecord record, IMessage? request) =>
        request is null ? record : record with { MessageId = AuditFields.MessageId(request), Resource = AuditFields.Resource(request) };

    private static string Reason(RpcException error) =>
        error.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>() is { } info ? $"{info.Reason}: {error.Status.Detail}" : error.Status.Detail;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} for {Client}: {Code} {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string client, StatusCode code, string reason);
}

/// <summary>The audited fields of a request, read from the message without knowing its type.</summary>
public static class AuditFields
{
    /// <summary>The command's <c>metadata.message_id</c>, or empty.</summary>
    public static string MessageId(IMessage request) =>
        request.Descriptor.FindFieldByName("metadata")?.Accessor.GetValue(request) is Manufacturing.Common.V1.CommandMetadata metadata ? metadata.MessageId : "";

    /// <summary>
    /// The resource the request names: its first top-level resource name, or for a create
    /// (<c>parent</c> plus <c>{thing}_id</c>) the name it creates.
    /// </summary>
    public static string Resource(IMessage request)
    {
        var fields = request.Descriptor.Fields.InFieldNumberOrder().Where(f => f.FieldType == Google.Protobuf.Reflection.FieldType.String && !f.IsRepeated).ToList();
        string Value(Google.Protobuf.Reflection.FieldDescriptor f) => (string)f.Accessor.GetValue(request);
        var parent = fields.FirstOrDefault(f => f.Name == "parent");
        var id = fields.FirstOrDefault(f => f.Name.EndsWith("_id", StringComparison.Ordinal) && f.Name != "line_id" && f.Name != "operation_id");
        if (parent is not null && id is not null && Value(parent).StartsWith("plants/", StringComparison.Ordinal) && Value(id).Length > 0)
        {
            var words = id.Name[..^3].Split('_');
            var collection = words[0] + string.Concat(words.Skip(1).Select(w => char.ToUpperInvariant(w[0]) + w[1..])) + "s";
            return $"{Value(parent)}/{collection}/{Value(id)}";
        }

        return fields.Select(Value).FirstOrDefault(v => v.StartsWith("plants/", StringComparison.Ordinal)) ?? "";
    }

    /// <summary>The gRPC status code's canonical name (<c>PERMISSION_DENIED</c>).</summary>
    public static string StatusName(StatusCode code) => EventText.UpperSnake(code) switch
    {
        "O_K" => "OK",
        var name => name,
    };
}
