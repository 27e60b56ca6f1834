using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.ShopFloor.Domain;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Manufacturing.ShopFloor.Grains;

/// <summary>
/// One work center's telemetry: raw machine signals, applied in order in batches (one state write
/// per batch), aggregated into interval and shift windows; each window that closes becomes a
/// <c>TelemetryWindowClosed</c> business event with its OEE figures.
/// </summary>
[Manufacturing.Grains.Placement.PlantAffinePlacement]
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

    /// <summary>The reminder that closes the windows a silent machine left open.</summary>
    public const string SilenceReminder = "telemetry-silence";

    public async Task<ImmutableArray<EventOutcome>> ApplyEvents(ImmutableArray<SequencedCommand> events)
    {
        var settings = Settings;
        var outcomes = await ApplySequenced(events, command => Task.FromResult(command is RecordMachineSignal signal
            ? Decide(signal, (key, current, c) => WorkCenterRules.Record(key, current, c, settings))
            : new Decision<WorkCenter>(null, CommandResult<WorkCenter>.Refused(
                DomainError.Invalid($"{command.GetType().Name} is not a signal of a work center.")))));
        if (Current is not null && !_watching)
        {
            // Reminders fire at most once a minute; a window closes within a period of being due.
            var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(1).Ticks, settings.CloseAfter.Ticks / 2));
            await this.RegisterOrUpdateReminder(SilenceReminder, period, period);
            _watching = true;
        }

        return outcomes;
    }

    private bool _watching;

    public override async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != SilenceReminder)
        {
            await base.ReceiveReminder(reminderName, status);
            return;
        }

        _watching = true;
        var now = (ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        var settings = Settings;
        var metadata = new CommandMetadata($"control-plane:silence:{now.UtcTicks}", now) { Source = SourceSystem.ControlPlane };
        await Execute(new CloseSilentWindows { Metadata = metadata }, (key, current, c) => WorkCenterRules.CloseSilent(key, current, c, settings));
    }
}
