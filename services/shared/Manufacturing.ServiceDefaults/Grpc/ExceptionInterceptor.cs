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
internal sealed class ExceptionInterceptor(ILogger<ExceptionInterceptor> logger, ServiceIdentity identity) : Interceptor
{
    private readonly string _domain = identity.ErrorDomain;

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

        if (Find<InconsistentStateException>(exception) is not null)
        {
            logger.LogWarning(exception, "Concurrent write conflict in {Method}", context.Method);
            return RpcErrors.Create(StatusCode.Aborted,
                $"The resource was changed concurrently; retry with the same message_id (correlation id {correlationId}).",
                ErrorReason.TemporarilyUnavailable, _domain);
        }

        if (IsUnavailable(exception))
        {
            logger.LogWarning(exception, "Cluster or storage unavailable in {Method}", context.Method);
            return RpcErrors.Create(StatusCode.Unavailable,
                $"The service cannot reach the component or storage that owns this resource; retry with the same message_id (correlation id {correlationId}).",
                ErrorReason.TemporarilyUnavailable, _domain);
        }

        logger.LogError(exception, "Unhandled error in {Method}", context.Method);
        return RpcErrors.Create(StatusCode.Internal, $"Internal error (correlation id {correlationId}).", ErrorReason.Unspecified, _domain);
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
