using Manufacturing.Domain;
using Manufacturing.Inventory.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.Inventory;

/// <summary>Consume, produce, transfer, adjust and quality decisions: every status, allowed and refused.</summary>
public sealed class LotMovementTests
{
    private const string Key = "P100/LOT-1";

    private static Lot Lot(LotStatus status = LotStatus.Available) =>
        LotRules.Receive(Key, null, Commands.Receive()).Next! with { Status = status };

    private static ConsumeLot Consume(decimal quantity, string location = "", string material = "STEEL-S235") => new()
    {
        Metadata = Commands.Meta("c-1", SourceSystem.Mes),
        Quantity = new Quantity(quantity, "KG"),
        Location = location,
        ProductionOrder = "P100/WO-1",
        Material = material,
    };

    private static TransferLot Transfer(decimal quantity, string to = "STORE-02") => new()
    {
        Metadata = Commands.Meta("t-1", SourceSystem.Warehouse), From = "RECV-01", To = to, Quantity = new Quantity(quantity, "KG"),
    };

    private static DecideLotQuality Decide(QualityDecision decision) => new()
    {
        Metadata = Commands.Meta("q-1", SourceSystem.Quality), Decision = decision, Reason = "test",
    };

    [Theory]
    [InlineData(LotStatus.Available, null)]
    [InlineData(LotStatus.QualityInspection, "LOT_IN_INSPECTION")]
    [InlineData(LotStatus.Blocked, "LOT_BLOCKED")]
    [InlineData(LotStatus.Consumed, "LOT_DEPLETED")]
    [InlineData(LotStatus.Scrapped, "LOT_DEPLETED")]
    [InlineData(LotStatus.Returned, "LOT_DEPLETED")]
    public void Only_an_available_lot_can_be_consumed(LotStatus status, string? refusal)
    {
        var transition = LotRules.Consume(Key, Lot(status), Consume(10));

        Assert.Equal(refusal, transition.Error?.Precondition);
        if (refusal is null)
        {
            Assert.Equal(1240.5m, transition.Next!.QuantityOnHand.Value);
            Assert.Equal("P100/WO-1", Assert.Single(transition.Next.Consumptions).ProductionOrder);
        }
    }

    [Fact]
    public void Consuming_the_last_stock_makes_the_lot_consumed_and_more_is_refused()
    {
        var all = LotRules.Consume(Key, Lot(), Consume(1250.5m)).Next!;
        var more = LotRules.Consume(Key, Lot(), Consume(1250.6m));

        Assert.Equal(LotStatus.Consumed, all.Status);
        Assert.True(all.Stock.IsEmpty);
        Assert.Equal("INSUFFICIENT_STOCK", more.Error!.Precondition);
    }

    [Fact]
    public void Consumption_checks_material_unit_and_location()
    {
        Assert.Equal("MATERIAL_MISMATCH", LotRules.Consume(Key, Lot(), Consume(1, material: "BOLT-M8")).Error!.Precondition);
        Assert.Equal(DomainErrorCode.InvalidArgument, LotRules.Consume(Key, Lot(), Consume(1) with { Quantity = new Quantity(1, "M") }).Error!.Code);
        Assert.Equal(1250.499m, LotRules.Consume(Key, Lot(), Consume(1) with { Quantity = new Quantity(1, "G") }).Next!.QuantityOnHand.Value);
        Assert.Equal("INSUFFICIENT_STOCK", LotRules.Consume(Key, Lot(), Consume(1, location: "STORE-09")).Error!.Precondition);
        Assert.Equal(DomainErrorCode.NotFound, LotRules.Consume(Key, null, Consume(1)).Error!.Code);
    }

    [Theory]
    [InlineData(LotStatus.Available, "STORE-02", null)]
    [InlineData(LotStatus.QualityInspection, "STORE-02", null)]
    [InlineData(LotStatus.Blocked, "STORE-02", "LOT_BLOCKED")]
    [InlineData(LotStatus.Blocked, "QUAR-01", null)]
    [InlineData(LotStatus.Consumed, "STORE-02", "LOT_DEPLETED")]
    [InlineData(LotStatus.Scrapped, "QUAR-01", "LOT_DEPLETED")]
    public void Transfers_keep_blocked_lots_in_quarantine(LotStatus status, string to, string? refusal)
    {
        var transition = LotRules.Transfer(Key, Lot(status), Transfer(250.5m, to));

        Assert.Equal(refusal, transition.Error?.Precondition);
        if (refusal is null)
        {
            Assert.Equal([("RECV-01", 1000m), (to, 250.5m)], transition.Next!.Stock.Select(s => (s.Location, s.Quantity.Value)));
            Assert.Equal(1250.5m, transition.Next.QuantityOnHand.Value);
        }
    }

    [Fact]
    public void A_transfer_never_takes_more_than_the_location_holds()
    {
        Assert.Equal("INSUFFICIENT_STOCK", LotRules.Transfer(Key, Lot(), Transfer(1250.6m)).Error!.Precondition);
    }

    [Fact]
    public void A_cycle_count_sets_the_location_and_counting_zero_depletes_an_available_lot()
    {
        var adjust = new AdjustLot { Metadata = Commands.Meta("a-1", SourceSystem.Warehouse), Location = "RECV-01", Counted = new Quantity(1200, "KG"), Reason = "count" };

        Assert.Equal(1200m, LotRules.Adjust(Key, Lot(), adjust).Next!.QuantityOnHand.Value);
        Assert.Equal(LotStatus.Consumed, LotRules.Adjust(Key, Lot(), adjust with { Counted = new Quantity(0, "KG") }).Next!.Status);
        Assert.Equal(LotStatus.Blocked, LotRules.Adjust(Key, Lot(LotStatus.Blocked), adjust with { Counted = new Quantity(0, "KG") }).Next!.Status);
        Assert.Equal(DomainErrorCode.InvalidArgument, LotRules.Adjust(Key, Lot(), adjust with { Counted = new Quantity(-1, "KG") }).Error!.Code);
        Assert.Null(LotRules.Adjust(Key, Lot(), adjust with { Counted = new Quantity(1250.5m, "KG") }).Next);
    }

    [Theory]
    [InlineData(LotStatus.QualityInspection, QualityDecision.PassInspection, LotStatus.Available)]
    [InlineData(LotStatus.Blocked, QualityDecision.PassInspection, null)]
    [InlineData(LotStatus.Available, QualityDecision.PassInspection, null)]
    [InlineData(LotStatus.Blocked, QualityDecision.Release, LotStatus.Available)]
    [InlineData(LotStatus.QualityInspection, QualityDecision.Release, LotStatus.Available)]
    [InlineData(LotStatus.Blocked, QualityDecision.Scrap, LotStatus.Scrapped)]
    [InlineData(LotStatus.Blocked, QualityDecision.ReturnToSupplier, LotStatus.Returned)]
    [InlineData(LotStatus.Available, QualityDecision.Scrap, LotStatus.Scrapped)]
    [InlineData(LotStatus.Scrapped, QualityDecision.Scrap, null)]
    [InlineData(LotStatus.Consumed, QualityDecision.Scrap, null)]
    public void Quality_decisions_move_the_lot(LotStatus from, QualityDecision decision, LotStatus? to)
    {
        var transition = LotRules.DecideQuality(Key, Lot(from), Decide(decision));

        Assert.Null(transition.Error);
        Assert.Equal(to, transition.Next?.Status);
        if (to is LotStatus.Scrapped or LotStatus.Returned)
        {
            Assert.Equal(0m, transition.Next!.QuantityOnHand.Value);
        }
    }

    [Theory]
    [InlineData(LotStatus.Scrapped, QualityDecision.Release)]
    [InlineData(LotStatus.Returned, QualityDecision.Scrap)]
    public void A_disposed_lot_cannot_be_decided_again(LotStatus from, QualityDecision decision)
    {
        Assert.Equal("LOT_DEPLETED", LotRules.DecideQuality(Key, Lot(from), Decide(decision)).Error!.Precondition);
    }

    [Fact]
    public void Output_creates_a_lot_of_its_order_and_adds_only_from_the_same_order()
    {
        var produce = new ProduceLot { Metadata = Commands.Meta("o-1", SourceSystem.Mes), Material = "BIKE-26", Quantity = new Quantity(5, "EA"), Location = "FG-01", ProductionOrder = "P100/WO-1" };

        var lot = LotRules.Produce("P100/FG-1", null, produce).Next!;
        var more = LotRules.Produce("P100/FG-1", lot, produce).Next!;
        var other = LotRules.Produce("P100/FG-1", lot, produce with { ProductionOrder = "P100/WO-2" });

        Assert.Equal(("P100/WO-1", LotStatus.Available), (lot.ProducedBy, lot.Status));
        Assert.Equal(10m, more.QuantityOnHand.Value);
        Assert.Equal("LOT_OF_ANOTHER_ORIGIN", other.Error!.Precondition);
    }
}
