using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Procurement.Domain;

namespace Manufacturing.Procurement.Grains;

/// <summary>One purchase order: its state machine and its exactly-once command memory.</summary>
internal sealed class PurchaseOrderGrain(
    [PersistentState("purchaseOrder", StorageNames.Procurement)] IPersistentState<AggregateState<PurchaseOrder>> state)
    : AggregateGrain<PurchaseOrder>(state), IPurchaseOrderGrain
{
    public Task<CommandResult<PurchaseOrder>> Create(CreatePurchaseOrder command) => Execute(command, PurchaseOrderRules.Create);

    public Task<PurchaseOrder?> Get() => Task.FromResult(Current);
}
