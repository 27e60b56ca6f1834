using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Manufacturing.Common.V1;
using Manufacturing.Grains;
using Manufacturing.ServiceDefaults.Grpc;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Manufacturing.ServiceDefaults.Security;

/// <summary>
/// Defence in depth: every service authenticates the caller's token itself and applies the same
/// access table and plant tenancy as the gateway, so a caller that reaches a service directly gets
/// nothing it could not get through the gateway. The identity is put on the call for
/// <see cref="CallerSource"/> and on the Orleans request context for the grains.
/// </summary>
public sealed partial class CallerInterceptor(Authenticator authenticator, ServiceIdentity service, ILogger<CallerInterceptor> logger) : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Enter(await AdmitAsync(context, request as IMessage));
        return await continuation(request, context);
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
        Enter(await AdmitAsync(context, null));
        return await continuation(requestStream, context);
    }

    /// <inheritdoc />
    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Enter(await AdmitAsync(context, null));
        await continuation(requestStream, responseStream, context);
    }

    // The request context is async-local: it must be set in the handler that calls the continuation,
    // not inside AdmitAsync, whose changes are undone when it returns.
    private static void Enter(CallerIdentity? caller)
    {
        if (caller is not null)
        {
            RequestContext.Set(GrainMeters.CallerKey, caller.Client);
        }
    }

    private async Task<CallerIdentity?> AdmitAsync(ServerCallContext context, IMessage? request)
    {
        var access = AccessPolicy.ForRpc(context.Method);
        if (access == Access.Anonymous)
        {
            return null;
        }

        var http = context.GetHttpContext();
        var outcome = await authenticator.AuthenticateAsync(http);
        if (outcome.Unauthenticated is { } unauthenticated)
        {
            throw Refuse(context, StatusCode.Unauthenticated, ErrorReason.Unauthenticated, unauthenticated, "");
        }

        if (outcome.Denied is { } denied)
        {
            throw Refuse(context, StatusCode.PermissionDenied, ErrorReason.NotPermitted, denied, "");
        }

        var caller = outcome.Identity!;
        if (AccessPolicy.Refusal(caller, access, context.Method) is { } scope)
        {
            throw Refuse(context, StatusCode.PermissionDenied, ErrorReason.ScopeMissing, scope, caller.Client);
        }

        if (request is not null && Tenancy.MessageRefusal(caller, request) is { } tenancy)
        {
            throw Refuse(context, StatusCode.PermissionDenied, ErrorReason.OtherPlant, tenancy, caller.Client);
        }

        http.Items[CallerSource.ItemKey] = caller;
        return caller;
    }

    private RpcException Refuse(ServerCallContext context, StatusCode code, ErrorReason reason, string message, string client)
    {
        LogRefused(logger, context.Method, client.Length == 0 ? "(unauthenticated)" : client, code, message);
        return RpcErrors.Create(code, message, reason, service.ErrorDomain);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} for {Client}: {Code} {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string client, StatusCode code, string reason);
}
