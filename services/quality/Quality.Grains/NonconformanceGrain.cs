using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Domain;
using Manufacturing.Quality.Domain;
using Manufacturing.ShopFloor.Domain;

namespace Manufacturing.Quality.Grains;

/// <summary>
/// One nonconformance. Raising it blocks each lot and flags each production order that consumed one;
/// a disposition changes the lots. Every effect is a grain call under a message id derived from the
/// quality command and is performed before the nonconformance commits, so a retry repeats the
/// effects idempotently and a committed nonconformance has had all of them.
/// </summary>
[Manufacturing.Grains.Placement.PlantAffinePlacement]
internal sealed class NonconformanceGrain(
    [PersistentState("nonconformance", StorageNames.Quality)] IPersistentState<AggregateState<Nonconformance>> state)
    : AggregateGrain<Nonconformance>(state), INonconformanceGrain
{
    protected override string AggregateType => "nonconformance";

    protected override IEnumerable<EventDraft> Describe(Nonconformance? before, Nonconformance after, ICommand command) => QualityEvents.Describe(before, after, command);

    protected override IEnumerable<(string Key, string? Value)> Snapshot(Nonconformance after) =>
        [("state", EventText.UpperSnake(after.Status)), ("disposition", EventText.UpperSnake(after.Disposition))];

    public Task<Nonconformance?> Get() => Task.FromResult(Current);

    public async Task<CommandResult<Nonconformance>> Raise(RaiseNonconformance command)
    {
        var decision = Decide(command, NonconformanceRules.Raise);
        if (decision.NextState?.Current is not { } next || decision.Result.Error is not null)
        {
            return decision.Result;
        }

        var vendors = new SortedSet<string>(StringComparer.Ordinal);
        var orders = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var lotKey in next.Lots)
        {
            var lotId = ResourceNames.SplitKey(lotKey).Id;
            var blocked = await GrainFactory.GetGrain<ILotGrain>(lotKey).Block(new BlockLot
            {
                Metadata = command.Metadata.Derive($"block:{lotId}"),
                Reason = $"Nonconformance {next.Name}: {Shorten(next.Description)}",
            });
            if (blocked.Error is { } refused)
            {
                return CommandResult<Nonconformance>.Refused(refused);
            }

            var lot = blocked.Resource!;
            if (lot.Vendor is { Length: > 0 } vendor)
            {
                vendors.Add(vendor);
            }

            foreach (var order in lot.ConsumedInto)
            {
                var flagged = await GrainFactory.GetGrain<IProductionOrderGrain>(order).FlagNonconformance(new FlagNonconformance
                {
                    Metadata = command.Metadata.Derive($"flag:{ResourceNames.SplitKey(order).Id}"),
                    Nonconformance = next.Name,
                });
                if (flagged.Error is { } flagRefused)
                {
                    return CommandResult<Nonconformance>.Refused(flagRefused);
                }

                orders.Add(order);
            }
        }

        return await Commit(decision.Complete(nc => nc with { Vendors = [.. vendors], AffectedProductionOrders = [.. orders] }));
    }

    public async Task<CommandResult<Nonconformance>> Disposition(DispositionNonconformance command)
    {
        var decision = Decide(command, NonconformanceRules.Decide);
        if (decision.NextState?.Current is not { } next || decision.Result.Error is not null)
        {
            return decision.Result;
        }

        var lotDecision = next.Disposition switch
        {
            Domain.Disposition.UseAsIs => QualityDecision.Release,
            Domain.Disposition.Scrap => QualityDecision.Scrap,
            Domain.Disposition.ReturnToSupplier => QualityDecision.ReturnToSupplier,
            _ => QualityDecision.Unspecified,
        };
        if (lotDecision != QualityDecision.Unspecified)
        {
            foreach (var lotKey in next.Lots)
            {
                var decided = await GrainFactory.GetGrain<ILotGrain>(lotKey).DecideQuality(new DecideLotQuality
                {
                    Metadata = command.Metadata.Derive($"disposition:{ResourceNames.SplitKey(lotKey).Id}"),
                    Decision = lotDecision,
                    Reason = $"Nonconformance {next.Name} dispositioned {next.Disposition}" + (next.DispositionNote.Length > 0 ? $": {Shorten(next.DispositionNote)}" : ""),
                });
                if (decided.Error is { } refused)
                {
                    return CommandResult<Nonconformance>.Refused(refused);
                }
            }
        }

        return await Commit(decision);
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
