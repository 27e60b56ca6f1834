using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Domain;

namespace Manufacturing.Inventory.Grains;

/// <summary>One lot: its stock, status and exactly-once command memory.</summary>
[Manufacturing.Grains.Placement.PlantAffinePlacement]
internal sealed class LotGrain(
    [PersistentState("lot", StorageNames.Inventory)] IPersistentState<AggregateState<Lot>> state)
    : AggregateGrain<Lot>(state), ILotGrain
{
    protected override string AggregateType => LotEvents.AggregateType;

    protected override IEnumerable<EventDraft> Describe(Lot? before, Lot after, ICommand command) => LotEvents.Describe(before, after, command);

    protected override IEnumerable<(string Key, string? Value)> Snapshot(Lot after) => LotEvents.Snapshot(after);

    public Task<CommandResult<Lot>> Receive(ReceiveLot command) => Execute(command, LotRules.Receive);

    public Task<CommandResult<Lot>> Block(BlockLot command) => Execute(command, LotRules.Block);

    public Task<CommandResult<Lot>> Consume(ConsumeLot command) => Execute(command, (k, c, cmd) => LotRules.Consume(k, c, cmd, Units));

    public Task<CommandResult<Lot>> Produce(ProduceLot command) => Execute(command, (k, c, cmd) => LotRules.Produce(k, c, cmd, Units));

    public Task<CommandResult<Lot>> Transfer(TransferLot command) => Execute(command, (k, c, cmd) => LotRules.Transfer(k, c, cmd, Units));

    public Task<CommandResult<Lot>> Adjust(AdjustLot command) => Execute(command, (k, c, cmd) => LotRules.Adjust(k, c, cmd, Units));

    public Task<CommandResult<Lot>> DecideQuality(DecideLotQuality command) => Execute(command, LotRules.DecideQuality);

    public Task<Lot?> Get() => Task.FromResult(Current);
}
