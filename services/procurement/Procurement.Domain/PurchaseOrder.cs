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

    /// <summary>True when goods of this line must pass quality inspection: received lots start in QUALITY_INSPECTION.</summary>
    [Id(5)] public bool InspectionRequired { get; init; }

    /// <summary>What the supplier confirmed, once it did (and it was applied).</summary>
    [Id(6)] public LineConfirmation? Confirmation { get; init; }

    /// <summary>Quantity received so far, in the line's unit.</summary>
    [Id(7)] public decimal ReceivedQuantity { get; init; }

    /// <summary>Quantity announced in shipment notices so far, in the line's unit.</summary>
    [Id(8)] public decimal ShippedQuantity { get; init; }

    /// <summary>True once the received quantity reaches the ordered one.</summary>
    public bool FullyReceived => ReceivedQuantity >= Quantity.Value;
}

/// <summary>A supplier's confirmation of a line, as applied.</summary>
[GenerateSerializer, Immutable, Alias("procurement.LineConfirmation")]
public sealed record LineConfirmation
{
    /// <summary>The confirmed quantity.</summary>
    [Id(0)] public required Quantity Quantity { get; init; }

    /// <summary>The confirmed delivery date.</summary>
    [Id(1)] public DateOnly Delivery { get; init; }

    /// <summary>When the supplier confirmed (the command's occurred_at).</summary>
    [Id(2)] public DateTimeOffset ConfirmedAt { get; init; }

    /// <summary>The exception this confirmation was approved or corrected through, if it was parked.</summary>
    [Id(3)] public int? ViaException { get; init; }
}

/// <summary>One line of a shipment notice.</summary>
[GenerateSerializer, Immutable, Alias("procurement.ShipmentLine")]
public sealed record ShipmentLine
{
    /// <summary>The purchase order line shipped.</summary>
    [Id(0)] public required string LineId { get; init; }

    /// <summary>How much is shipped.</summary>
    [Id(1)] public required Quantity Quantity { get; init; }

    /// <summary>The supplier's lot number, when given.</summary>
    [Id(2)] public string SupplierLot { get => field ?? ""; init; } = "";
}

/// <summary>An advance shipment notice (ASN) from the supplier.</summary>
[GenerateSerializer, Immutable, Alias("procurement.ShipmentNotice")]
public sealed record ShipmentNotice
{
    /// <summary>The supplier's ASN number.</summary>
    [Id(0)] public required string NoticeId { get; init; }

    /// <summary>When the goods are expected.</summary>
    [Id(1)] public DateTimeOffset ExpectedArrival { get; init; }

    /// <summary>What is shipped.</summary>
    [Id(2)] public ImmutableArray<ShipmentLine> Lines { get; init; } = [];
}

/// <summary>A goods receipt against a line, and the lot it created.</summary>
[GenerateSerializer, Immutable, Alias("procurement.GoodsReceipt")]
public sealed record GoodsReceipt
{
    /// <summary>The line received against.</summary>
    [Id(0)] public required string LineId { get; init; }

    /// <summary>The quantity received.</summary>
    [Id(1)] public required Quantity Quantity { get; init; }

    /// <summary>The lot the receipt created (its grain key).</summary>
    [Id(2)] public required string LotKey { get; init; }

    /// <summary>Where the goods were put.</summary>
    [Id(3)] public required string Location { get; init; }

    /// <summary>The supplier's lot number.</summary>
    [Id(4)] public string SupplierLot { get => field ?? ""; init; } = "";

    /// <summary>The expiry date, if any.</summary>
    [Id(5)] public DateOnly? ExpiryDate { get; init; }

    /// <summary>The receipt command's metadata: the lot is received under a message id derived from it.</summary>
    [Id(6)] public required CommandMetadata Metadata { get; init; }
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

    /// <summary>Writes parked for a reviewer, numbered from 1.</summary>
    [Id(7)] public ImmutableArray<ParkedException> Exceptions { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>The supplier's shipment notices.</summary>
    [Id(8)] public ImmutableArray<ShipmentNotice> ShipmentNotices { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>The goods receipts, oldest first.</summary>
    [Id(9)] public ImmutableArray<GoodsReceipt> Receipts { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>The exception's resource name: <c>plants/{plant}/purchaseOrders/{po}/exceptions/{n}</c>.</summary>
    public string ExceptionName(int number) => $"{Name}/exceptions/{number}";

    /// <summary>The line with <paramref name="lineId"/>, if any.</summary>
    public PurchaseOrderLine? Line(string lineId) => Lines.FirstOrDefault(l => l.LineId == lineId);

    /// <summary>The resource name, <c>plants/{plant}/purchaseOrders/{po}</c>.</summary>
    public string Name => ResourceNames.FromKey("purchaseOrders", Key);

    /// <inheritdoc />
    public PurchaseOrder WithVersion(long version) => this with { Version = version };
}

/// <summary>The ERP creates a purchase order.</summary>
[GenerateSerializer, Immutable, Alias("procurement.CreatePurchaseOrder"), OwnedTransition("purchase_order", "create")]
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

/// <summary>The ERP changes the order: each given line replaces the line with its id, or is added.</summary>
[GenerateSerializer, Immutable, Alias("procurement.ChangePurchaseOrder"), OwnedTransition("purchase_order", "change")]
public sealed record ChangePurchaseOrder : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The changed or added lines (material, quantity, price, requested date, inspection).</summary>
    [Id(1)] public ImmutableArray<PurchaseOrderLine> Lines { get; init; } = [];
}

/// <summary>The supplier confirms one line.</summary>
[GenerateSerializer, Immutable, Alias("procurement.ConfirmLine"), OwnedTransition("purchase_order", "confirm_line")]
public sealed record ConfirmLine : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The line confirmed.</summary>
    [Id(1)] public required string LineId { get; init; }

    /// <summary>The quantity the supplier will deliver.</summary>
    [Id(2)] public required Quantity Quantity { get; init; }

    /// <summary>The date the supplier will deliver.</summary>
    [Id(3)] public DateOnly Delivery { get; init; }
}

/// <summary>The supplier announces a shipment (ASN).</summary>
[GenerateSerializer, Immutable, Alias("procurement.NotifyShipment"), OwnedTransition("purchase_order", "ship_notice")]
public sealed record NotifyShipment : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The notice.</summary>
    [Id(1)] public required ShipmentNotice Notice { get; init; }
}

/// <summary>Goods arrived against a line: record the receipt and create the lot.</summary>
[GenerateSerializer, Immutable, Alias("procurement.ReceiveGoods"), OwnedTransition("purchase_order", "receive_goods")]
public sealed record ReceiveGoods : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The line received against.</summary>
    [Id(1)] public required string LineId { get; init; }

    /// <summary>The quantity received.</summary>
    [Id(2)] public required Quantity Quantity { get; init; }

    /// <summary>The id of the lot to create (unique within the plant).</summary>
    [Id(3)] public required string LotId { get; init; }

    /// <summary>Where the goods are put.</summary>
    [Id(4)] public required string Location { get; init; }

    /// <summary>The supplier's lot number.</summary>
    [Id(5)] public string SupplierLot { get; init; } = "";

    /// <summary>The expiry date, if any.</summary>
    [Id(6)] public DateOnly? ExpiryDate { get; init; }
}

/// <summary>A reviewer's corrected values for a parked change.</summary>
[GenerateSerializer, Immutable, Alias("procurement.Correction")]
public sealed record Correction
{
    /// <summary>The corrected quantity, if corrected.</summary>
    [Id(0)] public Quantity? Quantity { get; init; }

    /// <summary>The corrected date, if corrected.</summary>
    [Id(1)] public DateOnly? Date { get; init; }

    /// <summary>The corrected line id, if corrected.</summary>
    [Id(2)] public string? LineId { get; init; }
}

/// <summary>A reviewer approves, rejects or corrects a parked exception.</summary>
[GenerateSerializer, Immutable, Alias("procurement.ResolveException"), OwnedTransition("purchase_order", "resolve_exception")]
public sealed record ResolvePurchaseOrderException : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The exception's number.</summary>
    [Id(1)] public required int Number { get; init; }

    /// <summary>What the reviewer decided.</summary>
    [Id(2)] public required ExceptionResolution Resolution { get; init; }

    /// <summary>Who decided (name or id).</summary>
    [Id(3)] public required string Reviewer { get; init; }

    /// <summary>Why.</summary>
    [Id(4)] public string Note { get; init; } = "";

    /// <summary>The corrected values, for <see cref="ExceptionResolution.Correct"/>.</summary>
    [Id(5)] public Correction? Correction { get; init; }
}

/// <summary>The order's reminder found it unacknowledged by the supplier past the due time.</summary>
[GenerateSerializer, Immutable, Alias("procurement.RaiseOverdueAcknowledgement"), OwnedTransition("purchase_order", "raise_overdue")]
public sealed record RaiseOverdueAcknowledgement : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>When acknowledgement was due.</summary>
    [Id(1)] public DateTimeOffset DueAt { get; init; }
}

/// <summary>The plant's procurement policy: how far a supplier may deviate before a human decides.</summary>
public sealed record TolerancePolicy
{
    /// <summary>A confirmed quantity may differ from the ordered one by this many percent (either way).</summary>
    public decimal QuantityPercent { get; init; } = 5m;

    /// <summary>A confirmed date may differ from the requested one by this many days (either way).</summary>
    public int DateDays { get; init; } = 2;

    /// <summary>Receipts may exceed the ordered quantity by this many percent in total.</summary>
    public decimal OverReceiptPercent { get; init; } = 10m;

    /// <summary>How long after creation the supplier has to confirm every line before an exception is raised.</summary>
    public TimeSpan AcknowledgementDue { get; init; } = TimeSpan.FromHours(48);
}
