using System.Collections.Immutable;
using Manufacturing.Domain;
using Orleans;

namespace Manufacturing.ShopFloor.Domain;

/// <summary>The life cycle of a production order.</summary>
[GenerateSerializer, Alias("shopfloor.ProductionOrderStatus")]
public enum ProductionOrderStatus
{
    /// <summary>Released by the ERP; no execution event yet.</summary>
    Released = 1,

    /// <summary>At least one operation has started.</summary>
    InProgress = 2,

    /// <summary>Execution is paused.</summary>
    Paused = 3,

    /// <summary>Every operation is complete.</summary>
    Completed = 4,

    /// <summary>Closed for costing.</summary>
    Closed = 5,

    /// <summary>Cancelled before execution.</summary>
    Cancelled = 6,
}

/// <summary>One line of the bill of materials.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.BomComponent")]
public sealed record BomComponent
{
    /// <summary>Creates a component line.</summary>
    public BomComponent(string material, Quantity quantityPerUnit)
    {
        Material = material;
        QuantityPerUnit = quantityPerUnit;
    }

    /// <summary>The component's item code.</summary>
    [Id(0)] public string Material { get; init; }

    /// <summary>How much one unit of the product consumes.</summary>
    [Id(1)] public Quantity QuantityPerUnit { get; init; }
}

/// <summary>Where one routing operation is in its execution.</summary>
[GenerateSerializer, Alias("shopfloor.OperationStatus")]
public enum OperationStatus
{
    /// <summary>Not started. Zero, so that state stored before execution was tracked reads as pending.</summary>
    Pending = 0,

    /// <summary>Running.</summary>
    Running = 1,

    /// <summary>Paused.</summary>
    Paused = 2,

    /// <summary>Completed.</summary>
    Completed = 3,
}

/// <summary>One step of the routing, with its execution progress.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.RoutingOperation")]
public sealed record RoutingOperation
{
    /// <summary>Creates an operation.</summary>
    public RoutingOperation(string operationId, string workCenter, string description)
    {
        OperationId = operationId;
        WorkCenter = workCenter;
        Description = description;
    }

    /// <summary>The operation's id within the order (for example 0010).</summary>
    [Id(0)] public string OperationId { get; init; }

    /// <summary>The work center that performs it.</summary>
    [Id(1)] public string WorkCenter { get; init; }

    /// <summary>Free text for operators.</summary>
    [Id(2)] public string Description { get; init; }

    /// <summary>Where the operation is in its execution.</summary>
    [Id(3)] public OperationStatus Status { get; init; } = OperationStatus.Pending;

    /// <summary>When it started (the start event's occurred_at), if it did.</summary>
    [Id(4)] public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it completed, if it did.</summary>
    [Id(5)] public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Good quantity reported at completion, in the order's unit.</summary>
    [Id(6)] public decimal GoodQuantity { get; init; }

    /// <summary>Scrap quantity reported at completion, in the order's unit.</summary>
    [Id(7)] public decimal ScrapQuantity { get; init; }

    /// <summary>Why it was scrapped, when scrap was reported.</summary>
    [Id(8)] public string ScrapReason { get => field ?? ""; init; } = "";

    /// <summary>Why it is paused, while paused.</summary>
    [Id(9)] public string PauseReason { get => field ?? ""; init; } = "";

    /// <summary>
    /// True when the operation was completed without a start event (its start time is then the
    /// completion time until a late start event supplies the real one).
    /// </summary>
    [Id(10)] public bool StartInferred { get; init; }
}

/// <summary>A production order: the aggregate owned by the production order grain.</summary>
/// <remarks>
/// Fields added after state was first stored read as their type's default from older rows: Orleans'
/// deserializer runs no initializers. Such strings coalesce null in their getter; enums have their
/// "nothing yet" value at zero (see docs/database.md).
/// </remarks>
[GenerateSerializer, Immutable, Alias("shopfloor.ProductionOrder")]
public sealed record ProductionOrder : IAggregate<ProductionOrder>
{
    /// <summary>The grain key: <c>{plant}/{order}</c>.</summary>
    [Id(0)] public required string Key { get; init; }

    /// <summary>The product to make.</summary>
    [Id(1)] public required string Product { get; init; }

    /// <summary>How much to make.</summary>
    [Id(2)] public required Quantity Quantity { get; init; }

    /// <summary>The bill of materials.</summary>
    [Id(3)] public ImmutableArray<BomComponent> Components { get; init; } = [];

    /// <summary>The routing, in execution order.</summary>
    [Id(4)] public ImmutableArray<RoutingOperation> Operations { get; init; } = [];

    /// <summary>Planned start.</summary>
    [Id(5)] public DateTimeOffset PlannedStart { get; init; }

    /// <summary>Planned end.</summary>
    [Id(6)] public DateTimeOffset PlannedEnd { get; init; }

    /// <summary>Where the order is in its life cycle.</summary>
    [Id(7)] public ProductionOrderStatus Status { get; init; }

    /// <inheritdoc />
    [Id(8)] public long Version { get; init; }

    /// <summary>When the ERP released it.</summary>
    [Id(9)] public DateTimeOffset ReleasedAt { get; init; }

    /// <summary>How many ERP amendments were applied since the release.</summary>
    [Id(10)] public int Amendments { get; init; }

    /// <summary>Why the ERP cancelled it, when it did.</summary>
    [Id(11)] public string CancelReason { get => field ?? ""; init; } = "";

    /// <summary>Material drawn from lots into the order (backward genealogy), oldest first.</summary>
    [Id(12)] public ImmutableArray<MaterialConsumption> Consumptions { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>Output declared into lots (forward genealogy), oldest first.</summary>
    [Id(13)] public ImmutableArray<OutputDeclaration> Outputs { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>Nonconformances (resource names) of lots this order consumed.</summary>
    [Id(14)] public ImmutableArray<string> Nonconformances { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>MES reports parked for a reviewer (unknown lot, component outside the BOM), oldest first.</summary>
    [Id(15)] public ImmutableArray<ParkedException> Exceptions { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>The resource name, <c>plants/{plant}/productionOrders/{order}</c>.</summary>
    public string Name => ResourceNames.FromKey("productionOrders", Key);

    /// <summary>The resource name of exception <paramref name="number"/>.</summary>
    public string ExceptionName(int number) => $"{Name}/exceptions/{number}";

    /// <inheritdoc />
    public ProductionOrder WithVersion(long version) => this with { Version = version };
}

/// <summary>The ERP releases a production order to the shop floor.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.ReleaseProductionOrder"), OwnedTransition("production_order", "release")]
public sealed record ReleaseProductionOrder : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The product to make.</summary>
    [Id(1)] public required string Product { get; init; }

    /// <summary>How much to make.</summary>
    [Id(2)] public required Quantity Quantity { get; init; }

    /// <summary>The bill of materials.</summary>
    [Id(3)] public ImmutableArray<BomComponent> Components { get; init; } = [];

    /// <summary>The routing.</summary>
    [Id(4)] public ImmutableArray<RoutingOperation> Operations { get; init; } = [];

    /// <summary>Planned start.</summary>
    [Id(5)] public DateTimeOffset PlannedStart { get; init; }

    /// <summary>Planned end.</summary>
    [Id(6)] public DateTimeOffset PlannedEnd { get; init; }
}

/// <summary>Material drawn from a lot into the order.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.MaterialConsumption")]
public sealed record MaterialConsumption
{
    /// <summary>The BOM component consumed.</summary>
    [Id(0)] public required string Component { get; init; }

    /// <summary>The lot drawn from (grain key).</summary>
    [Id(1)] public required string LotKey { get; init; }

    /// <summary>How much.</summary>
    [Id(2)] public required Quantity Quantity { get; init; }

    /// <summary>When (the event's occurred_at).</summary>
    [Id(3)] public DateTimeOffset At { get; init; }

    /// <summary>The location drawn from; empty when inventory chose.</summary>
    [Id(4)] public string Location { get => field ?? ""; init; } = "";

    /// <summary>The exception whose resolution applied it, when a reviewer did.</summary>
    [Id(5)] public int? ViaException { get; init; }
}

/// <summary>Output declared into a lot.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.OutputDeclaration")]
public sealed record OutputDeclaration
{
    /// <summary>The output lot (grain key).</summary>
    [Id(0)] public required string LotKey { get; init; }

    /// <summary>How much, in the order's unit.</summary>
    [Id(1)] public required Quantity Quantity { get; init; }

    /// <summary>When (the event's occurred_at).</summary>
    [Id(2)] public DateTimeOffset At { get; init; }
}

/// <summary>The MES reports material consumed from a lot.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.ConsumeMaterial"), OwnedTransition("production_order", "consume_material")]
public sealed record ConsumeMaterial : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The BOM component consumed.</summary>
    [Id(1)] public required string Component { get; init; }

    /// <summary>The lot's id within the plant.</summary>
    [Id(2)] public required string LotId { get; init; }

    /// <summary>How much, in the lot's unit.</summary>
    [Id(3)] public required Quantity Quantity { get; init; }

    /// <summary>The location drawn from; empty lets inventory draw from the lot's locations in order.</summary>
    [Id(4)] public string Location { get; init; } = "";
}

/// <summary>The MES declares output into a lot.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.DeclareOutput"), OwnedTransition("production_order", "declare_output")]
public sealed record DeclareOutput : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The output lot's id within the plant (created or added to).</summary>
    [Id(1)] public required string LotId { get; init; }

    /// <summary>How much, in the order's unit.</summary>
    [Id(2)] public required Quantity Quantity { get; init; }

    /// <summary>Where the output is put.</summary>
    [Id(3)] public required string Location { get; init; }
}

/// <summary>Quality flags the order: a lot it consumed has a nonconformance.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.FlagNonconformance"), OwnedTransition("production_order", "quality_flag")]
public sealed record FlagNonconformance : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The nonconformance's resource name.</summary>
    [Id(1)] public required string Nonconformance { get; init; }
}

/// <summary>Material, output and quality flags of a production order. Pure.</summary>
public static class ProductionOrderMaterials
{
    /// <summary>
    /// Records a consumption of a BOM component from a lot (the grain draws the lot down first). Allowed
    /// from release until the order is closed (late backflush after completion is common); refused
    /// for cancelled and closed orders. A component outside the BOM is parked as a
    /// <c>COMPONENT_NOT_IN_BOM</c> exception (a substitution a reviewer may accept); a lot that
    /// inventory does not know is parked by the grain through <see cref="ParkUnknownLot"/>.
    /// </summary>
    public static Transition<ProductionOrder> Consume(string key, ProductionOrder? order, ConsumeMaterial command)
    {
        if (ValidateConsumption(command) is { } invalid)
        {
            return invalid;
        }

        if (Accepting(key, order) is { } refused)
        {
            return refused;
        }

        if (!order!.Components.Any(c => c.Material == command.Component))
        {
            var bom = string.Join(", ", order.Components.Select(c => c.Material));
            return ProductionOrderExceptions.Park(order, command, "COMPONENT_NOT_IN_BOM",
                $"{command.Component} is not a component of {order.Name} (BOM: {bom}).",
                held: [("bom", bom)]);
        }

        return Transition<ProductionOrder>.To(WithConsumption(order, command, null));
    }

    /// <summary>
    /// Parks a consumption whose lot inventory does not know (the grain asked it): an
    /// <c>UNKNOWN_LOT</c> exception, typically a receipt not yet posted. Nothing is drawn down.
    /// </summary>
    public static Transition<ProductionOrder> ParkUnknownLot(string key, ProductionOrder? order, ConsumeMaterial command)
    {
        if (Accepting(key, order) is { } refused)
        {
            return refused;
        }

        var lot = ResourceNames.FromKey("lots", ResourceNames.Key(ResourceNames.SplitKey(key).Plant, command.LotId));
        return ProductionOrderExceptions.Park(order!, command, "UNKNOWN_LOT", $"Inventory has no lot {lot}.", held: [("lot", "not known to inventory")]);
    }

    internal static DomainError? ValidateConsumption(ConsumeMaterial command)
    {
        var violations = new Violations();
        violations.RequireText(command.Component, "component", 64);
        ResourceNames.ParseId(command.LotId, "lot_id", violations);
        violations.OptionalText(command.Location, "location", 64);
        if (command.Quantity.Value <= 0)
        {
            violations.Add("quantity.value", "must be greater than zero");
        }

        return violations.ToError();
    }

    internal static ProductionOrder WithConsumption(ProductionOrder order, ConsumeMaterial command, int? viaException)
    {
        var consumption = new MaterialConsumption
        {
            Component = command.Component,
            LotKey = ResourceNames.Key(ResourceNames.SplitKey(order.Key).Plant, command.LotId),
            Quantity = command.Quantity,
            At = command.Metadata.OccurredAt,
            Location = command.Location,
            ViaException = viaException,
        };
        return order with { Consumptions = order.Consumptions.Add(consumption) };
    }

    /// <summary>Records output into a lot (the grain creates or adds to the lot first), in the order's unit.</summary>
    public static Transition<ProductionOrder> Output(string key, ProductionOrder? order, DeclareOutput command)
    {
        var violations = new Violations();
        ResourceNames.ParseId(command.LotId, "lot_id", violations);
        violations.RequireText(command.Location, "location", 64);
        if (command.Quantity.Value <= 0)
        {
            violations.Add("quantity.value", "must be greater than zero");
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (Accepting(key, order) is { } refused)
        {
            return refused;
        }

        if (command.Quantity.Unit != order!.Quantity.Unit)
        {
            return DomainError.Invalid($"{order.Name} is planned in {order.Quantity.Unit}.",
                new FieldViolation("quantity.unit_of_measure", $"must be {order.Quantity.Unit}, the order's unit"));
        }

        var output = new OutputDeclaration
        {
            LotKey = ResourceNames.Key(ResourceNames.SplitKey(key).Plant, command.LotId),
            Quantity = command.Quantity,
            At = command.Metadata.OccurredAt,
        };
        return Transition<ProductionOrder>.To(order with { Outputs = order.Outputs.Add(output) });
    }

    /// <summary>Flags the order with a nonconformance once; a repeat flag is accepted unchanged. Any state.</summary>
    public static Transition<ProductionOrder> Flag(string key, ProductionOrder? order, FlagNonconformance command)
    {
        if (order is null)
        {
            return DomainError.NotFound($"Production order {ResourceNames.FromKey("productionOrders", key)} does not exist.");
        }

        return order.Nonconformances.Contains(command.Nonconformance)
            ? Transition<ProductionOrder>.Unchanged()
            : Transition<ProductionOrder>.To(order with { Nonconformances = order.Nonconformances.Add(command.Nonconformance) });
    }

    internal static DomainError? Accepting(string key, ProductionOrder? order) => order switch
    {
        null => DomainError.NotFound($"Production order {ResourceNames.FromKey("productionOrders", key)} does not exist."),
        { Status: ProductionOrderStatus.Cancelled } => DomainError.InvalidState("ORDER_CANCELLED", $"{order.Name} is cancelled."),
        { Status: ProductionOrderStatus.Closed } => DomainError.InvalidState("ORDER_CLOSED", $"{order.Name} is closed."),
        _ => null,
    };
}
