using Manufacturing.Domain;
using Manufacturing.Inventory.Domain;
using Manufacturing.Procurement.Domain;
using Manufacturing.Quality.Domain;
using Manufacturing.ShopFloor.Domain;
using Orleans;
using Orleans.CodeGeneration;
using Orleans.Concurrency;

namespace Manufacturing.Grains;

/// <summary>A production order, keyed <c>{plant}/{order}</c>. Hosted by the shop-floor silos.</summary>
[Version(1), Alias("shopfloor.IProductionOrderGrain")]
public interface IProductionOrderGrain : IGrainWithStringKey
{
    /// <summary>Releases the order (ERP). Idempotent by message id.</summary>
    [Alias("Release")]
    Task<CommandResult<ProductionOrder>> Release(ReleaseProductionOrder command);

    /// <summary>The order, or null when it was never released.</summary>
    [ReadOnly, Alias("Get")]
    Task<ProductionOrder?> Get();

    /// <summary>An operation started (MES).</summary>
    [Alias("StartOperation")]
    Task<CommandResult<ProductionOrder>> StartOperation(StartOperation command);

    /// <summary>An operation paused (MES).</summary>
    [Alias("PauseOperation")]
    Task<CommandResult<ProductionOrder>> PauseOperation(PauseOperation command);

    /// <summary>An operation resumed (MES).</summary>
    [Alias("ResumeOperation")]
    Task<CommandResult<ProductionOrder>> ResumeOperation(ResumeOperation command);

    /// <summary>An operation completed (MES).</summary>
    [Alias("CompleteOperation")]
    Task<CommandResult<ProductionOrder>> CompleteOperation(CompleteOperation command);

    /// <summary>The ERP amends quantity or dates.</summary>
    [Alias("Amend")]
    Task<CommandResult<ProductionOrder>> Amend(AmendProductionOrder command);

    /// <summary>The ERP cancels the order before execution.</summary>
    [Alias("Cancel")]
    Task<CommandResult<ProductionOrder>> Cancel(CancelProductionOrder command);

    /// <summary>The ERP closes the completed order.</summary>
    [Alias("Close")]
    Task<CommandResult<ProductionOrder>> Close(CloseProductionOrder command);
}

/// <summary>A lot of material, keyed <c>{plant}/{lot}</c>. Hosted by the inventory silos.</summary>
[Version(1), Alias("inventory.ILotGrain")]
public interface ILotGrain : IGrainWithStringKey
{
    /// <summary>Receives the lot (goods receipt). Idempotent by message id.</summary>
    [Alias("Receive")]
    Task<CommandResult<Lot>> Receive(ReceiveLot command);

    /// <summary>Blocks the lot (quality). Idempotent by message id.</summary>
    [Alias("Block")]
    Task<CommandResult<Lot>> Block(BlockLot command);

    /// <summary>The lot, or null when it was never received.</summary>
    [ReadOnly, Alias("Get")]
    Task<Lot?> Get();
}

/// <summary>Quality's view of one lot (holds, later inspections), keyed like the lot. Hosted by the quality silos.</summary>
[Version(1), Alias("quality.ILotQualityGrain")]
public interface ILotQualityGrain : IGrainWithStringKey
{
    /// <summary>Puts the lot on hold: blocks it in inventory, then records the hold. Idempotent by message id.</summary>
    [Alias("PlaceHold")]
    Task<CommandResult<Lot>> PlaceHold(PlaceLotHold command);
}

/// <summary>A purchase order, keyed <c>{plant}/{po}</c> by the buying plant. Hosted by the procurement silos.</summary>
[Version(1), Alias("procurement.IPurchaseOrderGrain")]
public interface IPurchaseOrderGrain : IGrainWithStringKey
{
    /// <summary>Creates the order (ERP). Idempotent by message id.</summary>
    [Alias("Create")]
    Task<CommandResult<PurchaseOrder>> Create(CreatePurchaseOrder command);

    /// <summary>The order, or null when it was never created.</summary>
    [ReadOnly, Alias("Get")]
    Task<PurchaseOrder?> Get();
}
