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

    /// <summary>When the lot was received.</summary>
    [Id(9)] public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The resource name, <c>plants/{plant}/lots/{lot}</c>.</summary>
    public string Name => ResourceNames.FromKey("lots", Key);

    /// <summary>Total quantity on hand over all locations.</summary>
    public Quantity QuantityOnHand => Stock.IsDefault ? new Quantity(0, Unit) : Stock.Aggregate(new Quantity(0, Unit), (sum, s) => sum.Plus(s.Quantity));

    /// <inheritdoc />
    public Lot WithVersion(long version) => this with { Version = version };
}

/// <summary>A goods receipt creates a lot at a location.</summary>
[GenerateSerializer, Immutable, Alias("inventory.ReceiveLot")]
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
}

/// <summary>Quality blocks a lot.</summary>
[GenerateSerializer, Immutable, Alias("inventory.BlockLot")]
public sealed record BlockLot : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>Why the lot is blocked.</summary>
    [Id(1)] public required string Reason { get; init; }
}
