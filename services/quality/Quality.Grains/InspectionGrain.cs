using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Domain;
using Manufacturing.Quality.Domain;

namespace Manufacturing.Quality.Grains;

/// <summary>
/// One inspection of a lot. A PASS frees a lot waiting in inspection; a FAIL raises the
/// nonconformance <c>NC-{inspection}</c>, which blocks the lot. Both effects happen before the
/// inspection commits, under message ids derived from the inspection's.
/// </summary>
[Manufacturing.Grains.Placement.PlantAffinePlacement]
internal sealed class InspectionGrain(
    [PersistentState("inspection", StorageNames.Quality)] IPersistentState<AggregateState<Inspection>> state)
    : AggregateGrain<Inspection>(state), IInspectionGrain
{
    protected override string AggregateType => "inspection";

    protected override IEnumerable<EventDraft> Describe(Inspection? before, Inspection after, ICommand command) => QualityEvents.Describe(before, after, command);

    protected override IEnumerable<(string Key, string? Value)> Snapshot(Inspection after) => [("state", EventText.UpperSnake(after.Result))];

    public Task<Inspection?> Get() => Task.FromResult(Current);

    public async Task<CommandResult<Inspection>> Record(RecordInspection command)
    {
        var decision = Decide(command, InspectionRules.Record);
        if (decision.NextState?.Current is not { } inspection || decision.Result.Error is not null)
        {
            return decision.Result;
        }

        if (inspection.Result == InspectionResult.Pass)
        {
            var passed = await GrainFactory.GetGrain<ILotGrain>(inspection.LotKey).DecideQuality(new DecideLotQuality
            {
                Metadata = command.Metadata.Derive("pass"),
                Decision = QualityDecision.PassInspection,
                Reason = $"Inspection {inspection.Name} passed",
            });
            if (passed.Error is { } refused)
            {
                return CommandResult<Inspection>.Refused(refused);
            }
        }
        else
        {
            var failed = inspection.Characteristics.Where(c => !c.Passes).Select(c => c.ToString());
            var raised = await GrainFactory.GetGrain<INonconformanceGrain>(inspection.Nonconformance!).Raise(new RaiseNonconformance
            {
                Metadata = command.Metadata.Derive("nonconformance"),
                LotIds = ImmutableArray.Create(ResourceNames.SplitKey(inspection.LotKey).Id),
                Description = $"Inspection {inspection.Name} failed: {string.Join("; ", failed)}",
                Inspection = inspection.Key,
            });
            if (raised.Error is { } refused)
            {
                return CommandResult<Inspection>.Refused(refused);
            }
        }

        return await Commit(decision);
    }
}
