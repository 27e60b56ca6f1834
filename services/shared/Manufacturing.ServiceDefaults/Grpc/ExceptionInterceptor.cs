using System.Data.Common;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Manufacturing.Common.V1;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Storage;

namespace Manufacturing.ServiceDefaults.Grpc;

/// <summary>
/// Turns what escapes a gRPC method into a status a client can act on: cluster and storage failures are
/// UNAVAILABLE (retry with the same message_id), a concurrent writer is ABORTED, a defect is INTERNAL
/// with no detail beyond the correlation id. Domain refusals are already <see cref="RpcException"/>s.
/// </summary>
public sealed class ExceptionInterceptor(ILogger<ExceptionInterceptor> logger, ServiceIdentity identity) : Interceptor
{
    private readonly string _domain = identity.ErrorDomain;

    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    /// <inheritdoc />
    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    /// <inheritdoc />
    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    private RpcException Map(Exception exception, ServerCallContext context)
    {
        var correlationId = context.GetHttpContext().Request.Headers[Correlation.HeaderName].ToString();
        if (exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            return new RpcException(new global::Grpc.Core.Status(StatusCode.Cancelled, "The call was cancelled."));
        }

        return ToStatus(exception, _domain, correlationId, logger, context.Method).ToRpcException();
    }

    /// <summary>
    /// The status for a failure that escaped a call (also for one plant event of a stream): ABORTED for
    /// a concurrent writer, UNAVAILABLE for cluster and storage failures (both retryable with the same
    /// message id), INTERNAL (logged, no detail) for a defect.
    /// </summary>
    public static Google.Rpc.Status ToStatus(Exception exception, string domain, string correlationId, ILogger logger, string method)
    {
        if (Find<InconsistentStateException>(exception) is not null)
        {
            logger.LogWarning(exception, "Concurrent write conflict in {Method}", method);
            return RpcErrors.CreateStatus(StatusCode.Aborted,
                $"The resource was changed concurrently; retry with the same message_id (correlation id {correlationId}).",
                ErrorReason.TemporarilyUnavailable, domain);
        }

        if (IsUnavailable(exception))
        {
            logger.LogWarning(exception, "Cluster or storage unavailable in {Method}", method);
            return RpcErrors.CreateStatus(StatusCode.Unavailable,
                $"The service cannot reach the component or storage that owns this resource; retry with the same message_id (correlation id {correlationId}).",
                ErrorReason.TemporarilyUnavailable, domain);
        }

        logger.LogError(exception, "Unhandled error in {Method}", method);
        return RpcErrors.CreateStatus(StatusCode.Internal, $"Internal error (correlation id {correlationId}).", ErrorReason.Unspecified, domain);
    }

    private static bool IsUnavailable(Exception exception) =>
        Find<DbException>(exception) is not null ||
        Find<SocketException>(exception) is not null ||
        Find<TimeoutException>(exception) is not null ||
        Find<SiloUnavailableException>(exception) is not null ||
        Find<OrleansMessageRejectionException>(exception) is not null ||
        (Find<OrleansException>(exception) is { } orleans && orleans.Message.Contains("Could not find an implementation", StringComparison.Ordinal)) ||
        (exception is ArgumentException && exception.Message.Contains("Could not find an implementation", StringComparison.Ordinal));

    private static T? Find<T>(Exception? exception) where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }

            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (Find<T>(inner) is { } found)
                    {
                        return found;
                    }
                }
            }
        }

        return null;
    }
}
