using System.Text.Json;
using Manufacturing.Domain;
using Manufacturing.Inventory.Domain;
using Manufacturing.Procurement.Domain;
using Manufacturing.Quality.Domain;
using Manufacturing.ShopFloor.Domain;
using Manufacturing.UnitTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Manufacturing.UnitTests.Shared;

/// <summary>
/// Grain state is stored with Orleans' own serializer: fields by their [Id], types by their [Alias],
/// never by .NET type or assembly name. The files under Golden/ hold state as an earlier build wrote
/// it; this build must read them back field for field. Renumbering an [Id], changing a field's type
/// or dropping an alias fails here before it orphans rows in production. To add a golden file for a
/// new state version, run with MFG_WRITE_GOLDEN=1 once and commit the file; never rewrite an old one.
/// </summary>
public sealed class StoredStateCompatibilityTests
{
    private static readonly OrleansGrainStorageSerializer Storage =
        new(new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>());

    public static AggregateState<ProductionOrder> ProductionOrderState => new()
    {
        Current = ProductionOrderRules.Release("P100/WO-000123", null, Commands.Release()).Next!.WithVersion(1),
        Processed = ProcessedCommands.Empty.Remember(new ProcessedCommand("m-1", "0123456789ABCDEF0123456789ABCDEF", 1)),
    };

    public static AggregateState<Lot> LotState => new()
    {
        Current = LotRules.Receive("P100/LOT-7781", null, Commands.Receive()).Next! with { Status = LotStatus.Blocked, StatusReason = "hold", Version = 2 },
        Processed = ProcessedCommands.Empty.Remember(new ProcessedCommand("r-1", "AA", 1)).Remember(new ProcessedCommand("b-1", "BB", 2)),
    };

    public static AggregateState<LotHold> LotHoldState => new()
    {
        Current = new LotHold { LotKey = "P100/LOT-7781", Reason = "hold", PlacedAt = Commands.At, Version = 1 },
        Processed = ProcessedCommands.Empty.Remember(new ProcessedCommand("h-1", "CC", 1)),
    };

    public static AggregateState<PurchaseOrder> PurchaseOrderState => new()
    {
        Current = PurchaseOrderRules.Create("P100/4500012345", null, Procurement.PurchaseOrderRulesTests.Create()).Next!.WithVersion(1),
        Processed = ProcessedCommands.Empty.Remember(new ProcessedCommand("sap-1", "DD", 1)),
    };

    [Fact]
    public void Purchase_order_state_written_by_an_earlier_build_is_read_by_this_one() =>
        AssertReadsGolden("purchase-order-state.v1.txt", PurchaseOrderState);

    [Fact]
    public void Production_order_state_written_by_an_earlier_build_is_read_by_this_one() =>
        AssertReadsGolden("production-order-state.v1.txt", ProductionOrderState);

    [Fact]
    public void Lot_state_written_by_an_earlier_build_is_read_by_this_one() =>
        AssertReadsGolden("lot-state.v1.txt", LotState);

    [Fact]
    public void Lot_hold_state_written_by_an_earlier_build_is_read_by_this_one() =>
        AssertReadsGolden("lot-hold-state.v1.txt", LotHoldState);

    [Fact]
    public void Stored_state_names_no_dotnet_type_or_assembly()
    {
        var bytes = Storage.Serialize(ProductionOrderState).ToArray();
        var text = System.Text.Encoding.UTF8.GetString(bytes);

        Assert.DoesNotContain("Manufacturing.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Version=", text, StringComparison.Ordinal);
    }

    private static void AssertReadsGolden<T>(string file, T expected)
    {
        if (Environment.GetEnvironmentVariable("MFG_WRITE_GOLDEN") == "1")
        {
            var target = Path.Combine(SourceDirectory(), "Golden", file);
            if (!File.Exists(target))
            {
                File.WriteAllText(target, Convert.ToBase64String(Storage.Serialize(expected).ToArray()) + "\n");
            }
        }

        var path = Path.Combine(AppContext.BaseDirectory, "Golden", file);
        Assert.True(File.Exists(path), $"{file} is missing: stored-state compatibility cannot be checked.");
        var stored = Convert.FromBase64String(File.ReadAllText(path).Trim());

        var read = Storage.Deserialize<T>(new BinaryData(stored));

        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(read));
    }

    private static string SourceDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Manufacturing.UnitTests");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tests/Manufacturing.UnitTests not found");
    }
}
