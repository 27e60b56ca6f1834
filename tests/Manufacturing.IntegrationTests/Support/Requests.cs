using Google.Protobuf.WellKnownTypes;
using Manufacturing.Common.V1;
using Manufacturing.ShopFloor.V1;
using Npgsql;

namespace Manufacturing.IntegrationTests.Support;

/// <summary>Valid requests to start from, and what the tests read from the database.</summary>
public static class Requests
{
    /// <summary>An id no other test uses.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static CommandMetadata Metadata(string? messageId = null) => new()
    {
        MessageId = messageId ?? Unique("msg"),
        OccurredAt = Timestamp.FromDateTime(new DateTime(2026, 11, 23, 8, 0, 0, DateTimeKind.Utc)),
    };

    public static ReleaseProductionOrderRequest Release(string orderId, string? messageId = null, string quantity = "25") => new()
    {
        Parent = "plants/P100",
        ProductionOrderId = orderId,
        ProductionOrder = new ProductionOrder
        {
            Product = "BIKE-26",
            Quantity = new Quantity { Value = quantity, UnitOfMeasure = "EA" },
            Components =
            {
                new Component { Material = "FRAME-26", QuantityPerUnit = new Quantity { Value = "1", UnitOfMeasure = "EA" } },
                new Component { Material = "PAINT-RED", QuantityPerUnit = new Quantity { Value = "0.125", UnitOfMeasure = "L" } },
            },
            Operations =
            {
                new Operation { OperationId = "0010", WorkCenter = "WELD-1", Description = "Weld frame" },
                new Operation { OperationId = "0020", WorkCenter = "ASSEMBLY-1" },
            },
            PlannedStartTime = Timestamp.FromDateTime(new DateTime(2026, 12, 1, 6, 0, 0, DateTimeKind.Utc)),
            PlannedEndTime = Timestamp.FromDateTime(new DateTime(2026, 12, 1, 14, 0, 0, DateTimeKind.Utc)),
        },
        Metadata = Metadata(messageId),
    };

    /// <summary>How many grain-state rows with a payload PostgreSQL holds for a grain key (the proof that state is in the database).</summary>
    public static async Task<long> StoredRows(string connectionString, string grainKey)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM orleansstorage WHERE grainidextensionstring = @key AND payloadbinary IS NOT NULL", connection);
        command.Parameters.AddWithValue("key", grainKey);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Asks until <paramref name="done"/> holds (the read models lag their aggregates briefly), for at most 30 s.</summary>
    public static async Task<T> Eventually<T>(Func<Task<T>> ask, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var answer = await ask();
            if (done(answer) || DateTime.UtcNow > deadline)
            {
                Assert.True(done(answer), $"not within 30 s: {answer}");
                return answer;
            }

            await Task.Delay(100);
        }
    }
}
