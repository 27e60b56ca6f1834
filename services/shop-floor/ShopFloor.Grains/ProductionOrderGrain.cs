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
}
