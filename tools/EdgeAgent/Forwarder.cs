using Grpc.Core;
using Grpc.Net.Client;
using Manufacturing.ShopFloor.V1;
using Polly;
using Polly.Retry;

namespace Manufacturing.EdgeAgent;

/// <summary>
/// Forwards the queue to the gateway's <c>StreamPlantEvents</c>, in arrival order per source, with at
/// most <see cref="EdgeAgentOptions.MaxInFlight"/> events unacknowledged. Acknowledged events leave
/// the queue (refused-for-good ones go to the quarantine); nothing leaves it otherwise. When the
/// stream breaks, the gateway or the cluster is away, or an event is refused with a retryable error,
/// the stream is dropped and, after an exponential backoff with jitter (Polly), a new one resends
/// everything still queued from the oldest: what had been applied comes back as a duplicate.
/// </summary>
public sealed partial class Forwarder(EdgeQueue queue, EdgeAgentOptions options, ILogger<Forwarder> logger) : BackgroundService
{
    private readonly ResiliencePipeline _reconnect = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = options.MaxBackoff,
            OnRetry = args =>
            {
                LogReconnecting(logger, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception?.Message ?? "");
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    /// <summary>Events acknowledged (applied, duplicate or parked) since the agent started.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Events moved to the quarantine since the agent started.</summary>
    public long Quarantined => Interlocked.Read(ref _quarantined);

    private long _delivered;
    private long _quarantined;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var channel = GrpcChannel.ForAddress(options.Gateway, new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 });
        var client = new ShopFloorService.ShopFloorServiceClient(channel);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A stream that failed before delivering anything is retried after a growing backoff; one that
                // made progress first starts the backoff afresh.
                await _reconnect.ExecuteAsync(async token =>
                {
                    var before = Delivered + Quarantined;
                    try
                    {
                        await RunStreamAsync(client, token);
                    }
                    catch (Exception e) when (e is not OperationCanceledException && Delivered + Quarantined > before)
                    {
                        LogReconnecting(logger, 1, TimeSpan.Zero, e.Message);
                    }
                }, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    private async Task RunStreamAsync(ShopFloorService.ShopFloorServiceClient client, CancellationToken stoppingToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var headers = new Metadata { { "authorization", $"Bearer {await TokenAsync(stoppingToken)}" } };
        using var call = client.StreamPlantEvents(headers, cancellationToken: stop.Token);
        using var window = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        var acknowledgements = ReadAcksAsync(call, window, stop.Token);
        var sending = SendAsync(call, window, stop.Token);
        var first = await Task.WhenAny(acknowledgements, sending);
        await stop.CancelAsync();
        try
        {
            await Task.WhenAll(acknowledgements, sending);
        }
        catch (Exception) when (first.IsFaulted)
        {
            // The first failure is the one reported (below); the other side was cancelled by it.
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await first;
        stoppingToken.ThrowIfCancellationRequested();
        throw new IOException("The event stream ended.");
    }

    private async Task SendAsync(AsyncDuplexStreamingCall<StreamPlantEventsRequest, StreamPlantEventsResponse> call, SemaphoreSlim window, CancellationToken cancellationToken)
    {
        long lastId = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var rows = await queue.ReadAfterAsync(lastId, options.BatchSize, cancellationToken);
            if (rows.Count == 0)
            {
                await queue.WaitForArrivalAsync(TimeSpan.FromSeconds(1), cancellationToken);
                continue;
            }

            // Arrival order is kept per source: consecutive events of one source go in one message.
            foreach (var group in Runs(rows))
            {
                for (var i = 0; i < group.Count; i++)
                {
                    await window.WaitAsync(cancellationToken);
                }

                var message = new StreamPlantEventsRequest { Source = group[0].Source };
                message.Events.AddRange(group.Select(r => r.Event));
                await call.RequestStream.WriteAsync(message, cancellationToken);
            }

            lastId = rows[^1].Id;
        }
    }

    private static IEnumerable<List<QueuedEvent>> Runs(IReadOnlyList<QueuedEvent> rows)
    {
        var run = new List<QueuedEvent>();
        foreach (var row in rows)
        {
            if (run.Count > 0 && run[0].Source != row.Source)
            {
                yield return run;
                run = [];
            }

            run.Add(row);
        }

        if (run.Count > 0)
        {
            yield return run;
        }
    }

    private async Task ReadAcksAsync(AsyncDuplexStreamingCall<StreamPlantEventsRequest, StreamPlantEventsResponse> call, SemaphoreSlim window, CancellationToken cancellationToken)
    {
        await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            // Acks come in order per source: settle those before the first retryable refusal, then resend from it.
            var settled = response.Acks.TakeWhile(a => !(a.Status == PlantEventStatus.Refused && a.Retryable)).ToList();
            await queue.SettleAsync(settled, cancellationToken);
            var refused = settled.Count(a => a.Status == PlantEventStatus.Refused);
            Interlocked.Add(ref _delivered, settled.Count - refused);
            Interlocked.Add(ref _quarantined, refused);
            foreach (var ack in settled.Where(a => a.Status == PlantEventStatus.Refused))
            {
                LogQuarantined(logger, ack.Source, ack.Sequence, ack.MessageId, ack.Error?.Message ?? "");
            }

            if (settled.Count < response.Acks.Count)
            {
                var retry = response.Acks[settled.Count];
                throw new IOException($"Event {retry.Sequence} of {retry.Source} was refused with a retryable error ({retry.Error?.Message}); resending from it.");
            }

            if (settled.Count > 0)
            {
                window.Release(settled.Count);
            }
        }
    }

    private async Task<string> TokenAsync(CancellationToken cancellationToken) =>
        options.TokenFile is { Length: > 0 } file ? (await File.ReadAllTextAsync(file, cancellationToken)).Trim() : options.Token!;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconnecting to the gateway (attempt {Attempt}) in {Delay}: {Reason}")]
    private static partial void LogReconnecting(ILogger logger, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quarantined event {Sequence} of {Source} (message {MessageId}): {Reason}")]
    private static partial void LogQuarantined(ILogger logger, string source, long sequence, string messageId, string reason);
}
