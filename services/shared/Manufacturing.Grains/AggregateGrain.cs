using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Reflection;
using Manufacturing.Domain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace Manufacturing.Grains;

/// <summary>
/// Base of the grains that own one aggregate: load → decide (pure rules) → persist → answer. A
/// change is acknowledged only after its state write; when the write fails the grain deactivates, so
/// the next call reloads what storage really holds, and the caller sees the failure.
/// </summary>
public abstract class AggregateGrain<T>(IPersistentState<AggregateState<T>> state) : Grain, IRemindable
    where T : class, IAggregate<T>
{
    /// <summary>The reminder that keeps retrying outbox delivery while the projector is unreachable.</summary>
    public const string OutboxReminder = "outbox-redelivery";

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    private long _deliveredThrough;
    private IGrainTimer? _deliveryTimer;
    private TimeSpan _retryDelay = TimeSpan.FromMilliseconds(200);
    private bool _reminderRegistered;
    private bool _delivering;

    /// <summary>The aggregate type named in its business events (for example <c>purchase_order</c>).</summary>
    protected abstract string AggregateType { get; }

    /// <summary>
    /// The business events a change produced: pure, from the aggregate before and after and the
    /// command. Every event also carries <see cref="Snapshot"/>.
    /// </summary>
    protected abstract IEnumerable<EventDraft> Describe(T? before, T after, ICommand command);

    /// <summary>The aggregate's listed fields (<c>state.*</c> in every event) that read models keep.</summary>
    protected abstract IEnumerable<(string Key, string? Value)> Snapshot(T after);

    /// <summary>The aggregate, or null before its creating command.</summary>
    protected T? Current => state.State.Current;

    /// <summary>The persisted state (for subclasses that decide in several steps).</summary>
    protected AggregateState<T> State => state.State;

    /// <summary>The grain's key.</summary>
    protected string Key => this.GetPrimaryKeyString();

    /// <summary>The deployment's units of measure (standard units and configured packaging).</summary>
    protected UnitCatalog Units => ServiceProvider.GetService<UnitCatalog>() ?? UnitCatalog.Default;

    /// <summary>
    /// Applies <paramref name="command"/> exactly once through <paramref name="rule"/>, after checking
    /// that its source system owns the command's transition at this plant.
    /// </summary>
    protected Task<CommandResult<T>> Execute<TCommand>(TCommand command, Func<string, T?, TCommand, Transition<T>> rule)
        where TCommand : ICommand => Commit(Decide(command, rule));

    /// <summary>
    /// Decides what <paramref name="command"/> would do (ownership, idempotency, then the rule) without
    /// persisting it; for grains that must perform a cross-domain effect before they commit.
    /// </summary>
    protected Decision<T> Decide<TCommand>(TCommand command, Func<string, T?, TCommand, Transition<T>> rule)
        where TCommand : ICommand
    {
        var key = Key;
        if (Authorize(command) is { } denied)
        {
            return new Decision<T>(null, CommandResult<T>.Refused(denied));
        }

        return CommandHandler.Decide(state.State, command, (current, c) => rule(key, current, c)) with { Command = command };
    }

    /// <summary>Persists a decision's state (when it changed anything) and returns its result.</summary>
    protected async Task<CommandResult<T>> Commit(Decision<T> decision)
    {
        if (decision.NextState is { } next)
        {
            var previous = state.State;
            next = WithEvents(previous, next, decision.Command);
            state.State = next;
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                state.State = previous;
                DeactivateOnIdle();
                throw;
            }

            ScheduleDelivery(TimeSpan.Zero);
        }

        return decision.Result;
    }

    /// <summary>
    /// Applies a batch of plant events in order with ONE state write covering all of them, answered
    /// only after that write: each event is decided on the state the ones before it left (by
    /// <paramref name="decide"/>, which may perform cross-domain effects first). An event whose
    /// source sequence was applied here before is a duplicate without being decided again. When a
    /// decision or the write throws, nothing of the batch is kept and the exception reaches the
    /// caller, so every event of it can be sent again (cross-domain effects repeat under the same
    /// derived message ids and apply once).
    /// </summary>
    protected async Task<ImmutableArray<EventOutcome>> ApplySequenced(
        ImmutableArray<SequencedCommand> events, Func<ICommand, Task<Decision<T>>> decide)
    {
        var before = state.State;
        var outcomes = ImmutableArray.CreateBuilder<EventOutcome>(events.Length);
        var changed = false;
        // The batch's events are collected once and set on the state before the write (the rules do not read the outbox).
        var outbox = ImmutableArray.CreateBuilder<BusinessEvent>();
        outbox.AddRange(before.Outbox.Where(e => e.AggregateVersion > _deliveredThrough));
        try
        {
            foreach (var item in events)
            {
                if (state.State.AppliedBefore(item.Source, item.Sequence))
                {
                    var prior = state.State.Processed.Find(item.Command.Metadata.MessageId);
                    outcomes.Add(new EventOutcome { Status = EventStatus.Duplicate, Version = prior?.Version ?? 0 });
                    continue;
                }

                var decision = await decide(item.Command);
                var result = decision.Result;
                var next = state.State;
                if (decision.NextState is { } decided)
                {
                    AppendEvents(outbox, state.State.Current, decided.Current, decision.Command);
                    next = decided;
                    changed = true;
                }

                var status = result.Duplicate ? EventStatus.Duplicate
                    : decision.NextState is not null && result.Error is not null ? EventStatus.Parked
                    : result.Error is not null ? EventStatus.Refused
                    : EventStatus.Accepted;
                // A refusal is remembered too (it rides on the next write), so that a replay of a refused
                // event below a later applied sequence is decided again, not taken for a duplicate.
                state.State = next.RecordSequence(item.Source, item.Sequence, status != EventStatus.Refused);
                outcomes.Add(new EventOutcome { Status = status, Error = result.Error, Version = result.Version });
            }

            if (changed)
            {
                state.State = state.State with { Outbox = outbox.DrainToImmutable() };
                await state.WriteStateAsync();
            }
        }
        catch
        {
            state.State = before;
            if (changed)
            {
                DeactivateOnIdle();
            }

            throw;
        }

        if (changed)
        {
            ScheduleDelivery(TimeSpan.Zero);
        }

        return outcomes.MoveToImmutable();
    }

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        ServiceProvider.GetService<Placement.PlantActivations>()?.Add(this.GetGrainId());
        if (!state.State.Outbox.IsEmpty)
        {
            // Written before the last deactivation and perhaps not delivered: deliver again (receivers deduplicate).
            ScheduleDelivery(TimeSpan.Zero);
        }

        return base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        ServiceProvider.GetService<Placement.PlantActivations>()?.Remove(this.GetGrainId());
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <inheritdoc />
    public virtual Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == OutboxReminder)
        {
            if (state.State.Outbox.All(e => e.AggregateVersion <= _deliveredThrough))
            {
                return UnregisterOutboxReminder();
            }

            ScheduleDelivery(TimeSpan.Zero);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Appends the change's events to the outbox and drops those already delivered, so the events
    /// are written in the same state write as the change that caused them.
    /// </summary>
    private AggregateState<T> WithEvents(AggregateState<T> previous, AggregateState<T> next, ICommand? command)
    {
        var outbox = ImmutableArray.CreateBuilder<BusinessEvent>();
        outbox.AddRange(next.Outbox.Where(e => e.AggregateVersion > _deliveredThrough));
        AppendEvents(outbox, previous.Current, next.Current, command);
        return next with { Outbox = outbox.DrainToImmutable() };
    }

    /// <summary>The business events of one change (none when it changed no version), added to <paramref name="outbox"/>.</summary>
    private void AppendEvents(ImmutableArray<BusinessEvent>.Builder outbox, T? before, T? after, ICommand? command)
    {
        if (command is null || after is null || after.Version == before?.Version)
        {
            return;
        }

        var snapshot = Snapshot(after).Where(p => p.Value is not null).Select(p => new KeyValuePair<string, string>($"state.{p.Key}", p.Value!)).ToList();
        var correlation = RequestContext.Get(GrainMeters.CorrelationIdKey) as string ?? "";
        var trace = System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C, Id: { } id } ? id : "";
        var index = 0;
        foreach (var draft in Describe(before, after, command))
        {
            outbox.Add(new BusinessEvent
            {
                EventId = $"{AggregateType}/{Key}/{after.Version}/{index++}",
                Type = draft.Type,
                AggregateType = AggregateType,
                AggregateKey = Key,
                AggregateVersion = after.Version,
                MessageId = command.Metadata.MessageId,
                CorrelationId = correlation,
                OccurredAt = command.Metadata.OccurredAt,
                Source = command.Metadata.Source,
                Data = draft.Data.SetItems(snapshot),
                TraceParent = trace,
            });
        }
    }

    private void ScheduleDelivery(TimeSpan due)
    {
        if (_delivering || state.State.Outbox.All(e => e.AggregateVersion <= _deliveredThrough))
        {
            // A running delivery picks up what was committed meanwhile before it ends.
            return;
        }

        _deliveryTimer?.Dispose();
        _deliveryTimer = this.RegisterGrainTimer(DeliverAsync, new GrainTimerCreationOptions
        {
            DueTime = due,
            Period = Timeout.InfiniteTimeSpan,
            // Delivery interleaves with the grain's commands, so a slow projector does not hold up the
            // next command; only one delivery runs at a time (_delivering).
            Interleave = true,
        });
    }

    /// <summary>
    /// Delivers the undelivered outbox to the read-model projector, again and again while commands
    /// commit more meanwhile; on failure retries with backoff (and a reminder, so a lost silo's grains
    /// deliver after reactivation elsewhere).
    /// </summary>
    private async Task DeliverAsync(CancellationToken cancellationToken)
    {
        if (_delivering)
        {
            return;
        }

        _delivering = true;
        try
        {
            while (true)
            {
                var pending = state.State.Outbox.Where(e => e.AggregateVersion > _deliveredThrough).ToImmutableArray();
                if (pending.IsEmpty)
                {
                    return;
                }

                try
                {
                    await GrainFactory.GetGrain<IEventProjector>(0).Project(pending);
                    _deliveredThrough = Math.Max(_deliveredThrough, pending.Max(e => e.AggregateVersion));
                    _retryDelay = TimeSpan.FromMilliseconds(200);
                    if (_reminderRegistered)
                    {
                        await UnregisterOutboxReminder();
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Manufacturing.Outbox").LogWarning(exception,
                        "Outbox delivery of {Count} event(s) of {Key} failed; retrying in {Delay}", pending.Length, Key, _retryDelay);
                    if (!_reminderRegistered)
                    {
                        await this.RegisterOrUpdateReminder(OutboxReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
                        _reminderRegistered = true;
                    }

                    _delivering = false;
                    ScheduleDelivery(_retryDelay);
                    _retryDelay = TimeSpan.FromTicks(Math.Min(_retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
                    return;
                }
            }
        }
        finally
        {
            _delivering = false;
        }
    }

    private async Task UnregisterOutboxReminder()
    {
        if (await this.GetReminder(OutboxReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        _reminderRegistered = false;
    }

    /// <summary>
    /// A further check of the individual caller (the authenticated client name, for example
    /// <c>supplier:V-100200</c>, from the request context) after ownership: null to allow. The default
    /// allows; a purchase order admits only its own vendor's supplier.
    /// </summary>
    protected virtual DomainError? AuthorizeCaller(ICommand command, string client) => null;

    /// <summary>
    /// The ownership check: null when the command's source owns its transition here; otherwise the
    /// refusal, which is recorded (a warning log and the <c>mfg.ownership.refusals</c> counter).
    /// </summary>
    protected DomainError? Authorize(ICommand command)
    {
        var owned = OwnedTransitions.Of(command.GetType());
        var plant = ResourceNames.SplitKey(Key).Plant;
        var policy = ServiceProvider.GetRequiredService<OwnershipPolicy>();
        var denied = policy.Authorize(owned.Aggregate, owned.Transition, plant, command.Metadata.Source)
            ?? AuthorizeCaller(command, RequestContext.Get(GrainMeters.CallerKey) as string ?? "");
        if (denied is null)
        {
            return null;
        }

        OwnershipRefusals.Add(1,
            new KeyValuePair<string, object?>("mfg.aggregate", owned.Aggregate),
            new KeyValuePair<string, object?>("mfg.transition", owned.Transition),
            new KeyValuePair<string, object?>("mfg.source", SourceSystems.WireName(command.Metadata.Source)),
            new KeyValuePair<string, object?>("mfg.plant", plant));
        ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Manufacturing.Ownership").LogWarning(
            "Ownership refusal: {Source} tried {Aggregate}.{Transition} on {Key} (message {MessageId}): {Reason}",
            SourceSystems.WireName(command.Metadata.Source), owned.Aggregate, owned.Transition, Key, command.Metadata.MessageId, denied.Message);
        return denied;
    }

    private static readonly Counter<long> OwnershipRefusals = GrainMeters.Meter.CreateCounter<long>(
        "mfg.ownership.refusals", description: "Writes refused because the caller's source system does not own the transition.");
}

/// <summary>The meters the grains report on.</summary>
public static class GrainMeters
{
    /// <summary>The meter's name, for OpenTelemetry registration.</summary>
    public const string Name = "Manufacturing.Grains";

    /// <summary>The meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>The Orleans request-context key carrying the request's correlation id (set by the hosts' correlation middleware).</summary>
    public const string CorrelationIdKey = "correlation-id";

    /// <summary>
    /// The Orleans request-context key carrying the authenticated client's name (<c>sap</c>,
    /// <c>supplier:V-100200</c>, …), set by the hosts from the validated token, never from caller input.
    /// </summary>
    public const string CallerKey = "mfg-client";
}

/// <summary>The owned transition of each command class, read once from its <see cref="OwnedTransitionAttribute"/>.</summary>
public static class OwnedTransitions
{
    private static readonly ConcurrentDictionary<Type, OwnedTransitionAttribute> Cache = new();

    /// <summary>The transition <paramref name="commandType"/> performs; throws when the class declares none.</summary>
    public static OwnedTransitionAttribute Of(Type commandType) => Cache.GetOrAdd(commandType, static t =>
        t.GetCustomAttribute<OwnedTransitionAttribute>()
        ?? throw new InvalidOperationException($"Command {t.Name} declares no [OwnedTransition]; every command must name the transition it performs."));
}
