using System.Collections.Immutable;
using Manufacturing.Domain;
using Orleans;

namespace Manufacturing.Procurement.Domain;

/// <summary>The life cycle of a purchase order.</summary>
[GenerateSerializer, Alias("procurement.PurchaseOrderStatus")]
public enum PurchaseOrderStatus
{
    /// <summary>Created by the ERP; not yet confirmed by the supplier.</summary>
    Created = 1,

    /// <summary>Every line is confirmed by the supplier.</summary>
    Confirmed = 2,

    /// <summary>Some goods were received.</summary>
    PartiallyReceived = 3,

    /// <summary>Every line is fully received.</summary>
    Received = 4,

    /// <summary>Closed.</summary>
    Closed = 5,

    /// <summary>Cancelled by the ERP.</summary>
    Cancelled = 6,
}

/// <summary>One line of a purchase order.</summary>
[GenerateSerializer, Immutable, Alias("procurement.PurchaseOrderLine")]
public sealed record PurchaseOrderLine
{
    /// <summary>The line's id as the ERP numbers it.</summary>
    [Id(0)] public required string LineId { get; init; }

    /// <summary>The material's item code.</summary>
    [Id(1)] public required string Material { get; init; }

    /// <summary>The ordered quantity.</summary>
    [Id(2)] public required Quantity Quantity { get; init; }

    /// <summary>Net price per unit, in the order's currency. Never logged.</summary>
    [Id(3)] public decimal UnitPrice { get; init; }

    /// <summary>When the plant wants it delivered.</summary>
    [Id(4)] public DateOnly RequestedDelivery { get; init; }
}

/// <summary>A purchase order: the aggregate owned by the purchase order grain.</summary>
[GenerateSerializer, Immutable, Alias("procurement.PurchaseOrder")]
public sealed record PurchaseOrder : IAggregate<PurchaseOrder>
{
    /// <summary>The grain key: <c>{plant}/{po}</c>.</summary>
    [Id(0)] public required string Key { get; init; }

    /// <summary>The vendor number in the ERP.</summary>
    [Id(1)] public required string Vendor { get; init; }

    /// <summary>ISO 4217 currency of the prices.</summary>
    [Id(2)] public required string Currency { get; init; }

    /// <summary>The lines.</summary>
    [Id(3)] public ImmutableArray<PurchaseOrderLine> Lines { get; init; } = [];

    /// <summary>Where the order is in its life cycle.</summary>
    [Id(4)] public PurchaseOrderStatus Status { get; init; }

    /// <inheritdoc />
    [Id(5)] public long Version { get; init; }

    /// <summary>When the ERP created it.</summary>
    [Id(6)] public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The resource name, <c>plants/{plant}/purchaseOrders/{po}</c>.</summary>
    public string Name => ResourceNames.FromKey("purchaseOrders", Key);

    /// <inheritdoc />
    public PurchaseOrder WithVersion(long version) => this with { Version = version };
}

/// <summary>The ERP creates a purchase order.</summary>
[GenerateSerializer, Immutable, Alias("procurement.CreatePurchaseOrder")]
public sealed record CreatePurchaseOrder : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The vendor number.</summary>
    [Id(1)] public required string Vendor { get; init; }

    /// <summary>ISO 4217 currency.</summary>
    [Id(2)] public required string Currency { get; init; }

    /// <summary>The lines.</summary>
    [Id(3)] public ImmutableArray<PurchaseOrderLine> Lines { get; init; } = [];
}
