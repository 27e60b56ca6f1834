using Manufacturing.Domain;
using Manufacturing.Inventory.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.Inventory;

public sealed class LotRulesTests
{
    private static Lot Received(bool inspection = false) => LotRules.Receive("P100/LOT-1", null, Commands.Receive(inspection: inspection)).Next!;

    [Fact]
    public void Receipt_creates_an_available_lot_at_its_location()
    {
        var lot = Received();

        Assert.Equal(LotStatus.Available, lot.Status);
        Assert.Equal(new Quantity(1250.5m, "KG"), lot.QuantityOnHand);
        Assert.Equal("RECV-01", Assert.Single(lot.Stock).Location);
    }

    [Fact]
    public void Receipt_needing_inspection_starts_in_quality_inspection()
    {
        Assert.Equal(LotStatus.QualityInspection, Received(inspection: true).Status);
    }

    [Fact]
    public void Second_receipt_of_a_lot_is_already_exists()
    {
        Assert.Equal(DomainErrorCode.AlreadyExists, LotRules.Receive("P100/LOT-1", Received(), Commands.Receive("r-2")).Error!.Code);
    }

    [Theory]
    [InlineData(LotStatus.Available)]
    [InlineData(LotStatus.QualityInspection)]
    public void Block_blocks_a_usable_lot_with_its_reason(LotStatus status)
    {
        var transition = LotRules.Block("P100/LOT-1", Received() with { Status = status }, Commands.Block());

        Assert.Equal(LotStatus.Blocked, transition.Next!.Status);
        Assert.Equal("Tensile test out of spec", transition.Next.StatusReason);
    }

    [Fact]
    public void Blocking_a_blocked_lot_is_accepted_and_keeps_the_first_reason()
    {
        var blocked = Received() with { Status = LotStatus.Blocked, StatusReason = "first" };

        var transition = LotRules.Block("P100/LOT-1", blocked, Commands.Block(reason: "second"));

        Assert.Null(transition.Error);
        Assert.Null(transition.Next);
    }

    [Theory]
    [InlineData(LotStatus.Consumed)]
    [InlineData(LotStatus.Scrapped)]
    public void A_consumed_or_scrapped_lot_cannot_be_blocked(LotStatus status)
    {
        var transition = LotRules.Block("P100/LOT-1", Received() with { Status = status }, Commands.Block());

        Assert.Equal(DomainErrorCode.InvalidState, transition.Error!.Code);
        Assert.Equal("LOT_NOT_BLOCKABLE", transition.Error.Precondition);
    }

    [Fact]
    public void Blocking_a_lot_that_was_never_received_is_not_found()
    {
        Assert.Equal(DomainErrorCode.NotFound, LotRules.Block("P100/LOT-1", null, Commands.Block()).Error!.Code);
    }
}
