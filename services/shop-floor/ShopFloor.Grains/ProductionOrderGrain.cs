using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.ShopFloor.Domain;

namespace Manufacturing.ShopFloor.Grains;

/// <summary>One production order: its state machine and its exactly-once command memory.</summary>
internal sealed class ProductionOrderGrain(
    [PersistentState("productionOrder", StorageNames.ShopFloor)] IPersistentState<AggregateState<ProductionOrder>> state)
    : AggregateGrain<ProductionOrder>(state), IProductionOrderGrain
{
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
}
