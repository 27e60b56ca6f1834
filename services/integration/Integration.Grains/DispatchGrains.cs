using System.Diagnostics;
using Manufacturing.Grains;
using Manufacturing.Integration.Connectors;
using Manufacturing.Integration.Domain;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Manufacturing.Integration.Grains;

/// <summary>
/// Routes the event log into deliveries every half second (and at once when it has a full page),
/// and nudges the connectors that got some. A reminder brings it back after a deactivation or the
/// loss of its silo; on activation it starts every configured connector.
/// </summary>
internal sealed partial class IntegrationRouterGrain(IntegrationRuntime runtime, ILogger<IntegrationRouterGrain> logger) : Grain, IIntegrationRouterGrain, IRemindable
{
    private const int Page = 500;

    public async Task Start() => await this.RegisterOrUpdateReminder("integration-router", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (runtime.Store is not null)
        {
            this.RegisterGrainTimer(RouteAsync, new GrainTimerCreationOptions
            {
                DueTime = TimeSpan.Zero,
                Period = TimeSpan.FromMilliseconds(500),
                KeepAlive = true,
            });
            foreach (var name in runtime.Connectors.Keys)
            {
                await GrainFactory.GetGrain<IConnectorGrain>(name).Nudge();
                await GrainFactory.GetGrain<IReconciliationGrain>(name).Start();
                await GrainFactory.GetGrain<IInboundGrain>(name).Start();
            }
        }

        await base.OnActivateAsync(cancellationToken);
    }

    private async Task RouteAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var now = DateTimeOffset.UtcNow;
                var touched = await runtime.Store!.RouteAsync(e => Routing.Of(e, runtime.Workflows, runtime.Routes, now), Page, cancellationToken);
                foreach (var connector in touched)
                {
                    await GrainFactory.GetGrain<IConnectorGrain>(connector).Nudge();
                }

                if (touched.Count == 0)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // PostgreSQL away: the next tick tries again; nothing is lost (the events wait in the log).
            LogRoutingFailed(logger, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing business events to the connectors failed; retrying: {Reason}")]
    private static partial void LogRoutingFailed(ILogger logger, string reason);
}

/// <summary>
/// One connector's dispatcher: every second (and when nudged) it claims the connector's due
/// deliveries, delivers them through the adapter's resilience pipeline, and records each outcome:
/// delivered (with the ERP's reference), failed transiently (due again after an exponential backoff
/// with jitter), or a dead letter (a business refusal, or the attempts spent). While the circuit is
/// open it claims nothing: the backlog grows in PostgreSQL and drains when the ERP is back.
/// </summary>
[Reentrant]
internal sealed partial class ConnectorGrain(IntegrationRuntime runtime, ILogger<ConnectorGrain> logger) : Grain, IConnectorGrain, IRemindable
{
    private Connector? _connector;
    private bool _dispatching;
    private bool _again;
    private string _lastError = "";
    private DateTimeOffset _pausedUntil;
    private DateTimeOffset _reportedAt;

    public Task Nudge()
    {
        if (_connector is not null)
        {
            _ = DispatchAsync(CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public async Task<ConnectorState> Status() => _connector is null ? new ConnectorState { Circuit = "unconfigured" } : await ReportAsync(CancellationToken.None);

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (runtime.Connectors.TryGetValue(this.GetPrimaryKeyString(), out var connector) && runtime.Store is not null)
        {
            _connector = connector;
            await this.RegisterOrUpdateReminder("connector-dispatch", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            this.RegisterGrainTimer(DispatchAsync, new GrainTimerCreationOptions
            {
                DueTime = TimeSpan.Zero,
                Period = TimeSpan.FromSeconds(1),
                KeepAlive = true,
                Interleave = true,
            });
        }

        await base.OnActivateAsync(cancellationToken);
    }

    private async Task DispatchAsync(CancellationToken cancellationToken)
    {
        if (_dispatching)
        {
            _again = true;
            return;
        }

        _dispatching = true;
        try
        {
            do
            {
                _again = false;
                var claimed = await ClaimAsync(cancellationToken);
                _again |= claimed == Limit;
            }
            while (_again);

            if (DateTimeOffset.UtcNow - _reportedAt > TimeSpan.FromSeconds(5))
            {
                await ReportAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogDispatchFailed(logger, _connector!.Options.Name, e.Message);
        }
        finally
        {
            _dispatching = false;
        }
    }

    private int Limit => _connector!.Options.MaxConcurrency * 8;

    private async Task<int> ClaimAsync(CancellationToken cancellationToken)
    {
        var connector = _connector!;
        if (DateTimeOffset.UtcNow < _pausedUntil)
        {
            return 0; // the circuit is open: the backlog waits in PostgreSQL; the first claim after the break is the trial
        }

        var coalescing = runtime.Workflows.All.Where(w => w.Policy.Coalesce).Select(w => w.Name).ToList();
        var lease = (connector.Options.Timeout * 4) + TimeSpan.FromSeconds(30);
        var deliveries = await runtime.Store!.ClaimAsync(connector.Options.Name, coalescing, Limit, lease, cancellationToken);
        await Task.WhenAll(deliveries.Select(d => DeliverAsync(connector, d, cancellationToken)));
        return deliveries.Count;
    }

    private async Task DeliverAsync(Connector connector, Delivery delivery, CancellationToken cancellationToken)
    {
        var name = connector.Options.Name;
        using var activity = IntegrationTelemetry.StartDelivery(delivery.Event, name);
        activity?.SetTag("mfg.connector", name);
        activity?.SetTag("mfg.workflow", delivery.Workflow);
        activity?.SetTag("mfg.event_id", delivery.Event.EventId);
        activity?.SetTag("mfg.correlation_id", delivery.Event.CorrelationId);
        var tags = new TagList { { "mfg.connector", name }, { "mfg.workflow", delivery.Workflow } };
        try
        {
            var receipt = await connector.Adapter.DeliverAsync(delivery.Event, cancellationToken);
            await runtime.Store!.DeliveredAsync(delivery.Id, receipt.ExternalRef, cancellationToken);
            _lastError = "";
            tags.Add("mfg.outcome", "delivered");
            IntegrationTelemetry.Deliveries.Add(1, tags);
            IntegrationTelemetry.Latency.Record((DateTimeOffset.UtcNow - delivery.Event.OccurredAt).TotalSeconds, tags);
        }
        catch (ErpException e) when (e.CircuitOpen)
        {
            // Not an attempt: the ERP was not called. The delivery goes back, unchanged, and the connector pauses for the break.
            _pausedUntil = DateTimeOffset.UtcNow + connector.Adapter.BreakDuration;
            _lastError = e.Message;
            await runtime.Store!.ReleaseAsync([delivery.Id], cancellationToken);
        }
        catch (ErpException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            _lastError = e.Message;
            var dead = await runtime.Store!.FailedAsync(delivery.Id, new DeliveryFailure(e.Message, e.Transient), connector.Options.MaxAttempts,
                RetrySchedule.Next(delivery.Attempts + 1, DateTimeOffset.UtcNow, Random.Shared.NextDouble()), cancellationToken);
            tags.Add("mfg.outcome", dead ? "dead" : "retry");
            IntegrationTelemetry.Deliveries.Add(1, tags);
            if (dead)
            {
                LogDeadLetter(logger, delivery.Event.EventId, name, delivery.Attempts + 1, e.Message);
            }
            else
            {
                LogRetry(logger, delivery.Event.EventId, name, delivery.Attempts + 1, e.Message);
            }
        }
    }

    private async Task<ConnectorState> ReportAsync(CancellationToken cancellationToken)
    {
        var backlog = await runtime.Store!.BacklogAsync(_connector!.Options.Name, cancellationToken);
        var state = new ConnectorState
        {
            Circuit = _connector.Adapter.CircuitState,
            Backlog = backlog.Pending,
            OldestPending = backlog.OldestPending,
            DeadLetters = backlog.Dead,
            Delivered = backlog.Delivered,
            LastError = _lastError,
        };
        IntegrationTelemetry.Report(_connector.Options.Name, state);
        _reportedAt = DateTimeOffset.UtcNow;
        return state;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connector {Connector}: dispatching failed; retrying: {Reason}")]
    private static partial void LogDispatchFailed(ILogger logger, string connector, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {EventId} to {Connector} failed (attempt {Attempt}); it will be retried: {Reason}")]
    private static partial void LogRetry(ILogger logger, string eventId, string connector, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Event {EventId} to {Connector} is a dead letter after attempt {Attempt}: {Reason}")]
    private static partial void LogDeadLetter(ILogger logger, string eventId, string connector, int attempt, string reason);
}
