using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Domain;
using Manufacturing.ShopFloor.Domain;

namespace Manufacturing.ShopFloor.Grains;

/// <summary>
/// One production order: its state machine and its exactly-once command memory. Material consumed
/// and output declared are applied to the lots first (grain calls under message ids derived from
/// the MES event) and recorded on the order after, so a lot is never drawn down twice.
/// </summary>
[Manufacturing.Grains.Placement.PlantAffinePlacement]
internal sealed class ProductionOrderGrain(
    [PersistentState("productionOrder", StorageNames.ShopFloor)] IPersistentState<AggregateState<ProductionOrder>> state)
    : AggregateGrain<ProductionOrder>(state), IProductionOrderGrain
{
    protected override string AggregateType => ProductionOrderEvents.AggregateType;

    protected override IEnumerable<EventDraft> Describe(ProductionOrder? before, ProductionOrder after, ICommand command) =>
        ProductionOrderEvents.Describe(before, after, command);

    protected override IEnumerable<(string Key, string? Value)> Snapshot(ProductionOrder after) => ProductionOrderEvents.Snapshot(after);

    public Task<CommandResult<ProductionOrder>> Release(ReleaseProductionOrder command) =>
        Execute(command, ProductionOrderRules.Release);

    public Task<ProductionOrder?> Get() => Task.FromResult(Current);

    public Task<CommandResult<ProductionOrder>> StartOperation(StartOperation command) => Execute(command, ProductionOrderExecution.Start);

    public Task<CommandResult<ProductionOrder>> PauseOperation(PauseOperation command) => Execute(command, ProductionOrderExecution.Pause);

    public Task<CommandResult<ProductionOrder>> ResumeOperation(ResumeOperation command) => Execute(command, ProductionOrderExecution.Resume);

    public Task<CommandResult<ProductionOrder>> CompleteOperation(CompleteOperation command) => Execute(command, ProductionOrderExecution.Complete);

    public Task<CommandResult<ProductionOrder>> Amend(AmendProductionOrder command) => Execute(command, ProductionOrderExecution.Amend);

    public Task<CommandResult<ProductionOrder>> Cancel(CancelProductionOrder command) => Execute(command, ProductionOrderExecution.Cancel);

    public Task<CommandResult<ProductionOrder>> Close(CloseProductionOrder command) => Execute(command, ProductionOrderExecution.Close);

    public async Task<CommandResult<ProductionOrder>> ConsumeMaterial(ConsumeMaterial command) => await Commit(await DecideConsume(command));

    public Task<ImmutableArray<EventOutcome>> ApplyEvents(ImmutableArray<SequencedCommand> events) => ApplySequenced(events, command => command switch
    {
        StartOperation c => Task.FromResult(Decide(c, ProductionOrderExecution.Start)),
        PauseOperation c => Task.FromResult(Decide(c, ProductionOrderExecution.Pause)),
        ResumeOperation c => Task.FromResult(Decide(c, ProductionOrderExecution.Resume)),
        CompleteOperation c => Task.FromResult(Decide(c, ProductionOrderExecution.Complete)),
        ConsumeMaterial c => DecideConsume(c),
        DeclareOutput c => DecideOutput(c),
        _ => Task.FromResult(new Decision<ProductionOrder>(null, CommandResult<ProductionOrder>.Refused(
            DomainError.Invalid($"{command.GetType().Name} is not a plant event of a production order.")))),
    });

    /// <summary>
    /// Draws the lot down, then decides the consumption; a lot inventory does not know is a
    /// disagreement for a reviewer, not a plain refusal: the report is parked (nothing drawn down)
    /// so it is neither lost nor applied.
    /// </summary>
    private async Task<Decision<ProductionOrder>> DecideConsume(ConsumeMaterial command)
    {
        var decision = Decide(command, ProductionOrderMaterials.Consume);
        if (await DrawDown(decision, command.Metadata.Derive("consume")) is { } refused)
        {
            return refused.Code == DomainErrorCode.NotFound
                ? Decide(command, ProductionOrderMaterials.ParkUnknownLot)
                : new Decision<ProductionOrder>(null, CommandResult<ProductionOrder>.Refused(refused));
        }

        return decision;
    }

    public async Task<CommandResult<ProductionOrder>> ResolveException(ResolveProductionOrderException command)
    {
        var decision = Decide(command, ProductionOrderExceptions.Resolve);

        // The lot is drawn down as the MES reported it (its source and time: the lot's ownership is the
        // MES's), under an id derived from the resolution, which is unique and repeats on a retry.
        var parked = Current?.Exceptions.FirstOrDefault(e => e.Number == command.Number)?.Parked as ConsumeMaterial;
        var lotMetadata = command.Metadata.Derive("consume") with
        {
            Source = parked?.Metadata.Source ?? command.Metadata.Source,
            OccurredAt = parked?.Metadata.OccurredAt ?? command.Metadata.OccurredAt,
        };
        if (await DrawDown(decision, lotMetadata) is { } refused)
        {
            return CommandResult<ProductionOrder>.Refused(refused.Code == DomainErrorCode.NotFound
                ? DomainError.InvalidState("UNKNOWN_LOT", $"{refused.Message} Correct the exception with a lot inventory knows, or reject it.")
                : refused);
        }

        return await Commit(decision);
    }

    public async Task<CommandResult<ProductionOrder>> DeclareOutput(DeclareOutput command) => await Commit(await DecideOutput(command));

    /// <summary>Decides the output, and creates or adds to the output lot before the order commits it.</summary>
    private async Task<Decision<ProductionOrder>> DecideOutput(DeclareOutput command)
    {
        var decision = Decide(command, ProductionOrderMaterials.Output);
        if (decision.NextState?.Current is { } next && decision.Result.Error is null)
        {
            var output = next.Outputs[^1];
            var lot = await GrainFactory.GetGrain<ILotGrain>(output.LotKey).Produce(new ProduceLot
            {
                Metadata = command.Metadata.Derive("output"),
                Material = next.Product,
                Quantity = command.Quantity,
                Location = command.Location,
                ProductionOrder = Key,
            });
            if (lot.Error is { } refused)
            {
                return new Decision<ProductionOrder>(null, CommandResult<ProductionOrder>.Refused(refused));
            }
        }

        return decision;
    }

    public Task<CommandResult<ProductionOrder>> FlagNonconformance(FlagNonconformance command) => Execute(command, ProductionOrderMaterials.Flag);

    /// <summary>
    /// Draws down the lot of the consumption a decision adds, before the decision is committed, under
    /// <paramref name="lotMetadata"/> (its message id derived from the command's): a retry after a
    /// failed write finds the lot already drawn and completes. Returns inventory's refusal, if it refused.
    /// </summary>
    private async Task<DomainError?> DrawDown(Decision<ProductionOrder> decision, CommandMetadata lotMetadata)
    {
        if (decision.NextState?.Current is not { } next || decision.Result.Error is not null
            || next.Consumptions.Length <= (Current?.Consumptions.Length ?? 0))
        {
            return null;
        }

        var consumption = next.Consumptions[^1];
        var lot = await GrainFactory.GetGrain<ILotGrain>(consumption.LotKey).Consume(new ConsumeLot
        {
            Metadata = lotMetadata,
            Quantity = consumption.Quantity,
            Location = consumption.Location,
            ProductionOrder = Key,
            Material = consumption.Component,
        });
        return lot.Error;
    }
}
