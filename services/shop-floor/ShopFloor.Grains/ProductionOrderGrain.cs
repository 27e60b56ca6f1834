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

    public async Task<CommandResult<ProductionOrder>> ConsumeMaterial(ConsumeMaterial command)
    {
        var decision = Decide(command, ProductionOrderMaterials.Consume);
        if (decision.NextState?.Current is { } next && decision.Result.Error is null)
        {
            var consumption = next.Consumptions[^1];
            var lot = await GrainFactory.GetGrain<ILotGrain>(consumption.LotKey).Consume(new ConsumeLot
            {
                Metadata = command.Metadata.Derive("consume"),
                Quantity = command.Quantity,
                Location = command.Location,
                ProductionOrder = Key,
                Material = command.Component,
            });
            if (lot.Error is { } refused)
            {
                return CommandResult<ProductionOrder>.Refused(refused);
            }
        }

        return await Commit(decision);
    }

    public async Task<CommandResult<ProductionOrder>> DeclareOutput(DeclareOutput command)
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
                return CommandResult<ProductionOrder>.Refused(refused);
            }
        }

        return await Commit(decision);
    }

    public Task<CommandResult<ProductionOrder>> FlagNonconformance(FlagNonconformance command) => Execute(command, ProductionOrderMaterials.Flag);
}
