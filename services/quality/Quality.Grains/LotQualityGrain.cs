using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Domain;
using Manufacturing.Quality.Domain;

namespace Manufacturing.Quality.Grains;

/// <summary>
/// Quality's record of one lot. Placing a hold blocks the lot in inventory first (an idempotent grain
/// call with the same message id, wherever the lot grain lives) and records the hold after: if the
/// hold's write fails, a retry finds the lot already blocked under that message id and completes.
/// </summary>
[Manufacturing.Grains.Placement.PlantAffinePlacement]
internal sealed class LotQualityGrain(
    [PersistentState("lotQuality", StorageNames.Quality)] IPersistentState<AggregateState<LotHold>> state,
    IGrainFactory grains)
    : AggregateGrain<LotHold>(state), ILotQualityGrain
{
    protected override string AggregateType => "lot_hold";

    protected override IEnumerable<EventDraft> Describe(LotHold? before, LotHold after, ICommand command) => QualityEvents.Describe(before, after, command);

    protected override IEnumerable<(string Key, string? Value)> Snapshot(LotHold after) => [("state", "HELD")];

    public async Task<CommandResult<Lot>> PlaceHold(PlaceLotHold command)
    {
        if (LotHoldRules.Validate(command) is { } invalid)
        {
            return CommandResult<Lot>.Refused(invalid);
        }

        var blocked = await grains.GetGrain<ILotGrain>(Key).Block(new BlockLot { Metadata = command.Metadata, Reason = command.Reason });
        if (blocked.Error is { } refused)
        {
            return blocked;
        }

        var hold = await Execute(command, LotHoldRules.Place);
        return hold.Error is { } error ? CommandResult<Lot>.Refused(error) : blocked with { Duplicate = hold.Duplicate };
    }
}
