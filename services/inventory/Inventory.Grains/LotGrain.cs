using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Domain;

namespace Manufacturing.Inventory.Grains;

/// <summary>One lot: its stock, status and exactly-once command memory.</summary>
internal sealed class LotGrain(
    [PersistentState("lot", StorageNames.Inventory)] IPersistentState<AggregateState<Lot>> state)
    : AggregateGrain<Lot>(state), ILotGrain
{
    public Task<CommandResult<Lot>> Receive(ReceiveLot command) => Execute(command, LotRules.Receive);

    public Task<CommandResult<Lot>> Block(BlockLot command) => Execute(command, LotRules.Block);

    public Task<Lot?> Get() => Task.FromResult(Current);
}
