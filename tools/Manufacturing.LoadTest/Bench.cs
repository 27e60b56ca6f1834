using Google.Protobuf.WellKnownTypes;
using Manufacturing.Common.V1;
using Manufacturing.ShopFloor.V1;

namespace Manufacturing.LoadTest;

/// <summary>What the load tools share: the orders they release and how they summarise rounds.</summary>
internal static class Bench
{
    /// <summary>A one-operation P100 order to load (its id doubles as the release's message id).</summary>
    public static ReleaseProductionOrderRequest Release(string id) => new()
    {
        Parent = "plants/P100",
        ProductionOrderId = id,
        ProductionOrder = new ProductionOrder
        {
            Product = "BENCH",
            Quantity = new Quantity { Value = "1", UnitOfMeasure = "EA" },
            Operations = { new Operation { OperationId = "0010", WorkCenter = "BENCH" } },
            PlannedStartTime = Timestamp.FromDateTime(DateTime.UtcNow),
            PlannedEndTime = Timestamp.FromDateTime(DateTime.UtcNow.AddHours(1)),
        },
        Metadata = new CommandMetadata { MessageId = id, OccurredAt = Timestamp.FromDateTime(DateTime.UtcNow) },
    };

    /// <summary>The median of the rounds' values.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
