using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.ShopFloor.Domain;
using Microsoft.Extensions.DependencyInjection;

namespace Manufacturing.ShopFloor.Grains;

/// <summary>
/// One work center's telemetry: raw machine signals, applied in order in batches (one state write
/// per batch), aggregated into interval and shift windows; each window that closes becomes a
/// <c>TelemetryWindowClosed</c> business event with its OEE figures.
/// </summary>
internal sealed class WorkCenterGrain(
    [PersistentState("workCenter", StorageNames.ShopFloor)] IPersistentState<AggregateState<WorkCenter>> state)
    : AggregateGrain<WorkCenter>(state), IWorkCenterGrain
{
    protected override string AggregateType => WorkCenterEvents.AggregateType;

    private TelemetrySettings Settings => ServiceProvider.GetService<TelemetrySettings>() ?? TelemetrySettings.Default;

    protected override IEnumerable<EventDraft> Describe(WorkCenter? before, WorkCenter after, ICommand command) =>
        WorkCenterEvents.Describe(before, after, command);

    protected override IEnumerable<(string Key, string? Value)> Snapshot(WorkCenter after) => WorkCenterEvents.Snapshot(after);

    public Task<WorkCenter?> Get() => Task.FromResult(Current);

    public Task<ImmutableArray<EventOutcome>> ApplyEvents(ImmutableArray<SequencedCommand> events)
    {
        var settings = Settings;
        return ApplySequenced(events, command => Task.FromResult(command is RecordMachineSignal signal
            ? Decide(signal, (key, current, c) => WorkCenterRules.Record(key, current, c, settings))
            : new Decision<WorkCenter>(null, CommandResult<WorkCenter>.Refused(
                DomainError.Invalid($"{command.GetType().Name} is not a signal of a work center.")))));
    }
}
