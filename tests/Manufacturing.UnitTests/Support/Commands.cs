using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.Inventory.Domain;
using Manufacturing.ShopFloor.Domain;

namespace Manufacturing.UnitTests.Support;

/// <summary>Valid commands to start from.</summary>
internal static class Commands
{
    public static readonly DateTimeOffset At = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Metadata from <paramref name="source"/> (the owner of the command in most tests).</summary>
    public static CommandMetadata Meta(string messageId = "m-1", SourceSystem source = SourceSystem.Unspecified) => new(messageId, At) { Source = source };

    /// <summary>The plants of the test cluster: P100 runs Odoo, P200 runs SAP.</summary>
    public static OwnershipPolicy Policy { get; } = new(new Dictionary<string, SourceSystem> { ["P100"] = SourceSystem.Odoo, ["P200"] = SourceSystem.Sap });

    public static ReleaseProductionOrder Release(string messageId = "m-1", decimal quantity = 25) => new()
    {
        Metadata = Meta(messageId, SourceSystem.Odoo),
        Product = "BIKE-26",
        Quantity = new Quantity(quantity, "EA"),
        Components = [new BomComponent("FRAME-26", new Quantity(1, "EA")), new BomComponent("PAINT-RED", new Quantity(0.125m, "L"))],
        Operations = [new RoutingOperation("0010", "WELD-1", "Weld frame"), new RoutingOperation("0020", "ASSEMBLY-1", "")],
        PlannedStart = new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero),
        PlannedEnd = new DateTimeOffset(2026, 12, 1, 14, 0, 0, TimeSpan.Zero),
    };

    public static ReceiveLot Receive(string messageId = "r-1", bool inspection = false) => new()
    {
        Metadata = Meta(messageId, SourceSystem.Warehouse),
        Material = "STEEL-S235",
        Quantity = new Quantity(1250.5m, "KG"),
        Location = "RECV-01",
        SupplierLot = "SUP-88",
        ExpiryDate = new DateOnly(2027, 6, 30),
        InspectionRequired = inspection,
    };

    public static BlockLot Block(string messageId = "b-1", string reason = "Tensile test out of spec") =>
        new() { Metadata = Meta(messageId, SourceSystem.Quality), Reason = reason };

    public static ImmutableArray<T> Array<T>(params T[] items) => [.. items];
}
