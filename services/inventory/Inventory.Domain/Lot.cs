using System.Collections.Immutable;
using Manufacturing.Domain;
using Orleans;

namespace Manufacturing.Inventory.Domain;

/// <summary>The status of a lot.</summary>
[GenerateSerializer, Alias("inventory.LotStatus")]
public enum LotStatus
{
    /// <summary>Free to use.</summary>
    Available = 1,

    /// <summary>Waiting for a quality inspection.</summary>
    QualityInspection = 2,

    /// <summary>Blocked by quality: cannot be consumed or moved out of quarantine.</summary>
    Blocked = 3,

    /// <summary>Fully consumed.</summary>
    Consumed = 4,

    /// <summary>Scrapped.</summary>
    Scrapped = 5,

    /// <summary>Returned to the supplier.</summary>
    Returned = 6,
}

/// <summary>A draw of this lot into a production order (forward genealogy).</summary>
[GenerateSerializer, Immutable, Alias("inventory.LotConsumption")]
public sealed record LotConsumption
{
    /// <summary>The production order's grain key.</summary>
    [Id(0)] public required string ProductionOrder { get; init; }

    /// <summary>The quantity drawn, in the lot's unit.</summary>
    [Id(1)] public required Quantity Quantity { get; init; }

    /// <summary>When (the consumption's occurred_at).</summary>
    [Id(2)] public DateTimeOffset At { get; init; }
}

/// <summary>Stock of a lot at one storage location.</summary>
[GenerateSerializer, Immutable, Alias("inventory.LocationStock")]
public sealed record LocationStock
{
    /// <summary>Creates a stock line.</summary>
    public LocationStock(string location, Quantity quantity)
    {
        Location = location;
        Quantity = quantity;
    }

    /// <summary>The storage location code.</summary>
    [Id(0)] public string Location { get; init; }

    /// <summary>Quantity at the location; greater than zero.</summary>
    [Id(1)] public Quantity Quantity { get; init; }
}

/// <summary>A lot of one material: the aggregate owned by the lot grain.</summary>
[GenerateSerializer, Immutable, Alias("inventory.Lot")]
public sealed record Lot : IAggregate<Lot>
{
    /// <summary>The grain key: <c>{plant}/{lot}</c>.</summary>
    [Id(0)] public required string Key { get; init; }

    /// <summary>The material's item code.</summary>
    [Id(1)] public required string Material { get; init; }

    /// <summary>The unit every quantity of this lot is kept in.</summary>
    [Id(2)] public required string Unit { get; init; }

    /// <summary>Stock per location; only locations holding stock.</summary>
    [Id(3)] public ImmutableArray<LocationStock> Stock { get; init; } = [];

    /// <summary>The lot's status.</summary>
    [Id(4)] public LotStatus Status { get; init; }

    /// <summary>Why the lot has its status, when a reason was given.</summary>
    [Id(5)] public string StatusReason { get; init; } = "";

    /// <summary>The supplier's lot number.</summary>
    [Id(6)] public string SupplierLot { get; init; } = "";

    /// <summary>The expiry date.</summary>
    [Id(7)] public DateOnly? ExpiryDate { get; init; }

    /// <inheritdoc />
    [Id(8)] public long Version { get; init; }

    /// <summary>When the lot was received or first produced.</summary>
    [Id(9)] public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The production order that produced the lot (backward genealogy); null for received lots.</summary>
    [Id(10)] public string? ProducedBy { get; init; }

    /// <summary>The draws of this lot into production orders (forward genealogy), oldest first.</summary>
    [Id(11)] public ImmutableArray<LotConsumption> Consumptions { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>The purchase order (grain key) the lot was received against, if any.</summary>
    [Id(12)] public string? PurchaseOrder { get; init; }

    /// <summary>The vendor the lot came from, if it was received from a supplier.</summary>
    [Id(13)] public string? Vendor { get; init; }

    /// <summary>The production orders this lot was consumed into, each once, in first-draw order.</summary>
    public IEnumerable<string> ConsumedInto => Consumptions.IsDefault ? [] : Consumptions.Select(c => c.ProductionOrder).Distinct();

    /// <summary>The resource name, <c>plants/{plant}/lots/{lot}</c>.</summary>
    public string Name => ResourceNames.FromKey("lots", Key);

    /// <summary>Total quantity on hand over all locations.</summary>
    public Quantity QuantityOnHand => Stock.IsDefault ? new Quantity(0, Unit) : Stock.Aggregate(new Quantity(0, Unit), (sum, s) => sum.Plus(s.Quantity));

    /// <inheritdoc />
    public Lot WithVersion(long version) => this with { Version = version };
}

/// <summary>A goods receipt creates a lot at a location.</summary>
[GenerateSerializer, Immutable, Alias("inventory.ReceiveLot"), OwnedTransition("lot", "receive")]
public sealed record ReceiveLot : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The material's item code.</summary>
    [Id(1)] public required string Material { get; init; }

    /// <summary>The quantity received.</summary>
    [Id(2)] public required Quantity Quantity { get; init; }

    /// <summary>The receiving location.</summary>
    [Id(3)] public required string Location { get; init; }

    /// <summary>The supplier's lot number (may be empty).</summary>
    [Id(4)] public string SupplierLot { get; init; } = "";

    /// <summary>The expiry date, when the material expires.</summary>
    [Id(5)] public DateOnly? ExpiryDate { get; init; }

    /// <summary>When true the lot starts in quality inspection.</summary>
    [Id(6)] public bool InspectionRequired { get; init; }

    /// <summary>The purchase order (grain key) received against, when the receipt came through procurement.</summary>
    [Id(7)] public string? PurchaseOrder { get; init; }

    /// <summary>The vendor, when known.</summary>
    [Id(8)] public string? Vendor { get; init; }
}

/// <summary>Quality blocks a lot.</summary>
[GenerateSerializer, Immutable, Alias("inventory.BlockLot"), OwnedTransition("lot", "quality_status")]
public sealed record BlockLot : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>Why the lot is blocked.</summary>
    [Id(1)] public required string Reason { get; init; }
}

/// <summary>The MES draws stock of the lot into a production order (sent by the production order grain).</summary>
[GenerateSerializer, Immutable, Alias("inventory.ConsumeLot"), OwnedTransition("lot", "consume")]
public sealed record ConsumeLot : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The quantity, in the lot's unit.</summary>
    [Id(1)] public required Quantity Quantity { get; init; }

    /// <summary>The location to draw from; empty draws from the lot's locations in order.</summary>
    [Id(2)] public string Location { get; init; } = "";

    /// <summary>The consuming production order's grain key.</summary>
    [Id(3)] public required string ProductionOrder { get; init; }

    /// <summary>The material the consumer expects the lot to hold; empty to skip the check.</summary>
    [Id(4)] public string Material { get; init; } = "";
}

/// <summary>The MES declares production output into the lot: creates it or adds to it.</summary>
[GenerateSerializer, Immutable, Alias("inventory.ProduceLot"), OwnedTransition("lot", "produce")]
public sealed record ProduceLot : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The material produced.</summary>
    [Id(1)] public required string Material { get; init; }

    /// <summary>The quantity produced.</summary>
    [Id(2)] public required Quantity Quantity { get; init; }

    /// <summary>Where the output is put.</summary>
    [Id(3)] public required string Location { get; init; }

    /// <summary>The producing production order's grain key.</summary>
    [Id(4)] public required string ProductionOrder { get; init; }
}

/// <summary>Moves stock of the lot from one location to another.</summary>
[GenerateSerializer, Immutable, Alias("inventory.TransferLot"), OwnedTransition("lot", "transfer")]
public sealed record TransferLot : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The location the stock leaves.</summary>
    [Id(1)] public required string From { get; init; }

    /// <summary>The location the stock goes to.</summary>
    [Id(2)] public required string To { get; init; }

    /// <summary>How much, in the lot's unit.</summary>
    [Id(3)] public required Quantity Quantity { get; init; }
}

/// <summary>A cycle count sets the quantity at one location to what was counted.</summary>
[GenerateSerializer, Immutable, Alias("inventory.AdjustLot"), OwnedTransition("lot", "adjust")]
public sealed record AdjustLot : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The counted location.</summary>
    [Id(1)] public required string Location { get; init; }

    /// <summary>What was counted there (zero or more), in the lot's unit.</summary>
    [Id(2)] public required Quantity Counted { get; init; }

    /// <summary>Why (for example "cycle count 2026-W48").</summary>
    [Id(3)] public required string Reason { get; init; }
}

/// <summary>What quality decides for a lot's status.</summary>
[GenerateSerializer, Alias("inventory.QualityDecision")]
public enum QualityDecision
{
    /// <summary>Not used.</summary>
    Unspecified = 0,

    /// <summary>Free the lot (from inspection or a block): AVAILABLE.</summary>
    Release = 1,

    /// <summary>Scrap the whole lot: SCRAPPED, no stock left.</summary>
    Scrap = 2,

    /// <summary>Send the whole lot back to the supplier: RETURNED, no stock left.</summary>
    ReturnToSupplier = 3,

    /// <summary>An inspection passed: a lot in QUALITY_INSPECTION becomes AVAILABLE; a blocked lot stays blocked.</summary>
    PassInspection = 4,
}

/// <summary>Quality releases, scraps or returns the lot.</summary>
[GenerateSerializer, Immutable, Alias("inventory.DecideLotQuality"), OwnedTransition("lot", "quality_status")]
public sealed record DecideLotQuality : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The decision.</summary>
    [Id(1)] public required QualityDecision Decision { get; init; }

    /// <summary>Why.</summary>
    [Id(2)] public required string Reason { get; init; }
}
