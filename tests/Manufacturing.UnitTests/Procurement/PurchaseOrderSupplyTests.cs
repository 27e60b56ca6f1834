using Manufacturing.Domain;
using Manufacturing.Procurement.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.Procurement;

/// <summary>Confirmations against tolerances, exceptions and their resolution, ASNs, receipts, the overdue exception.</summary>
public sealed class PurchaseOrderSupplyTests
{
    private const string Key = "P200/4500000001";
    private static readonly TolerancePolicy Policy = new() { QuantityPercent = 5, DateDays = 2, OverReceiptPercent = 10 };

    private static PurchaseOrder Order() => PurchaseOrderRules.Create(Key, null, PurchaseOrderRulesTests.Create()).Next!.WithVersion(1);

    private static ConfirmLine Confirm(decimal quantity, int day = 10, string line = "00010", string id = "s-1") => new()
    {
        Metadata = Commands.Meta(id, SourceSystem.Supplier), LineId = line, Quantity = new Quantity(quantity, "KG"), Delivery = new DateOnly(2026, 12, day),
    };

    private static ReceiveGoods Receive(decimal quantity, string line = "00010", string id = "gr-1") => new()
    {
        Metadata = Commands.Meta(id, SourceSystem.Warehouse), LineId = line, Quantity = new Quantity(quantity, "KG"), LotId = $"LOT-{id}", Location = "RECV-01",
    };

    private static ResolvePurchaseOrderException Resolve(int number, ExceptionResolution resolution, string id = "r-1", Correction? correction = null) => new()
    {
        Metadata = Commands.Meta(id, SourceSystem.Reviewer), Number = number, Resolution = resolution, Reviewer = "buyer.anna", Correction = correction,
    };

    [Theory]
    [InlineData(2000, 10, false)]
    [InlineData(2100, 10, false)]
    [InlineData(1900, 12, false)]
    [InlineData(2101, 10, true)]
    [InlineData(1899, 10, true)]
    [InlineData(2000, 13, true)]
    [InlineData(2000, 7, true)]
    public void A_confirmation_is_applied_within_tolerance_and_parked_outside_it(decimal quantity, int day, bool parked)
    {
        var transition = PurchaseOrderRules.Confirm(Key, Order(), Confirm(quantity, day), Policy);

        var line = transition.Next!.Line("00010")!;
        if (parked)
        {
            Assert.Equal("CONFIRMATION_OUTSIDE_TOLERANCE", transition.Error!.Precondition);
            Assert.Equal($"plants/P200/purchaseOrders/4500000001/exceptions/1", transition.Error.ExceptionName);
            Assert.Null(line.Confirmation);
            var exception = Assert.Single(transition.Next.Exceptions);
            Assert.Equal((ExceptionState.Open, SourceSystem.Supplier), (exception.State, exception.Source));
            Assert.Equal($"{quantity} KG", exception.Arrived["quantity"]);
            Assert.Equal("2000 KG", exception.Held["quantity"]);
        }
        else
        {
            Assert.Null(transition.Error);
            Assert.Equal(quantity, line.Confirmation!.Quantity.Value);
        }
    }

    [Fact]
    public void Confirming_every_line_confirms_the_order()
    {
        var order = PurchaseOrderRules.Confirm(Key, Order(), Confirm(2000), Policy).Next!;
        order = PurchaseOrderRules.Confirm(Key, order, Confirm(500, 12, "00020", "s-2") with { Quantity = new Quantity(500, "EA") }, Policy).Next!;

        Assert.Equal(PurchaseOrderStatus.Confirmed, order.Status);
    }

    [Fact]
    public void A_confirmation_of_an_unknown_line_is_parked()
    {
        var transition = PurchaseOrderRules.Confirm(Key, Order(), Confirm(2000, line: "00099"), Policy);

        Assert.Equal("UNKNOWN_LINE", transition.Error!.Precondition);
        Assert.Equal("UNKNOWN_LINE", Assert.Single(transition.Next!.Exceptions).Kind);
    }

    [Fact]
    public void Approving_applies_the_parked_change_once_and_a_different_decision_is_refused()
    {
        var parked = PurchaseOrderRules.Confirm(Key, Order(), Confirm(1500), Policy).Next!;

        var approved = PurchaseOrderRules.Resolve(Key, parked, Resolve(1, ExceptionResolution.Approve)).Next!;
        var again = PurchaseOrderRules.Resolve(Key, approved, Resolve(1, ExceptionResolution.Approve, "r-2"));
        var reject = PurchaseOrderRules.Resolve(Key, approved, Resolve(1, ExceptionResolution.Reject, "r-3"));

        var confirmation = approved.Line("00010")!.Confirmation!;
        Assert.Equal((1500m, 1), (confirmation.Quantity.Value, confirmation.ViaException));
        var exception = Assert.Single(approved.Exceptions);
        Assert.Equal((ExceptionState.Approved, "buyer.anna"), (exception.State, exception.Reviewer));
        Assert.Null(again.Next);
        Assert.Null(again.Error);
        Assert.Equal("EXCEPTION_RESOLVED", reject.Error!.Precondition);
    }

    [Fact]
    public void Rejecting_applies_nothing_and_correcting_applies_the_reviewers_values()
    {
        var parked = PurchaseOrderRules.Confirm(Key, Order(), Confirm(1500, 20), Policy).Next!;

        var rejected = PurchaseOrderRules.Resolve(Key, parked, Resolve(1, ExceptionResolution.Reject)).Next!;
        var corrected = PurchaseOrderRules.Resolve(Key, parked, Resolve(1, ExceptionResolution.Correct,
            correction: new Correction { Quantity = new Quantity(1800, "KG"), Date = new DateOnly(2026, 12, 11) })).Next!;

        Assert.Null(rejected.Line("00010")!.Confirmation);
        Assert.Equal(ExceptionState.Rejected, rejected.Exceptions[0].State);
        Assert.Equal((1800m, new DateOnly(2026, 12, 11)), (corrected.Line("00010")!.Confirmation!.Quantity.Value, corrected.Line("00010")!.Confirmation!.Delivery));
        Assert.Equal(ExceptionState.Corrected, corrected.Exceptions[0].State);
    }

    [Fact]
    public void Resolving_an_unknown_exception_is_not_found()
    {
        Assert.Equal(DomainErrorCode.NotFound, PurchaseOrderRules.Resolve(Key, Order(), Resolve(7, ExceptionResolution.Approve)).Error!.Code);
    }

    [Fact]
    public void Receipts_accumulate_up_to_the_over_receipt_tolerance_and_beyond_it_are_parked()
    {
        var order = PurchaseOrderRules.ReceiveGoods(Key, Order(), Receive(1500), Policy).Next!;
        Assert.Equal((PurchaseOrderStatus.PartiallyReceived, 1500m), (order.Status, order.Line("00010")!.ReceivedQuantity));
        Assert.Equal("P200/LOT-gr-1", Assert.Single(order.Receipts).LotKey);

        order = PurchaseOrderRules.ReceiveGoods(Key, order, Receive(700, id: "gr-2"), Policy).Next!;
        Assert.Equal(2200m, order.Line("00010")!.ReceivedQuantity);

        var over = PurchaseOrderRules.ReceiveGoods(Key, order, Receive(1, id: "gr-3"), Policy);
        Assert.Equal("OVER_RECEIPT", over.Error!.Precondition);
        Assert.Equal(2, over.Next!.Receipts.Length);
    }

    [Fact]
    public void Approving_a_parked_receipt_records_it()
    {
        var parked = PurchaseOrderRules.ReceiveGoods(Key, Order(), Receive(2500), Policy).Next!;

        var approved = PurchaseOrderRules.Resolve(Key, parked, Resolve(1, ExceptionResolution.Approve)).Next!;

        Assert.Equal(2500m, approved.Line("00010")!.ReceivedQuantity);
        Assert.Equal("P200/LOT-gr-1", Assert.Single(approved.Receipts).LotKey);
    }

    [Fact]
    public void A_shipment_notice_is_recorded_once_and_one_naming_an_unknown_line_is_parked()
    {
        var notice = new ShipmentNotice { NoticeId = "ASN-1", Lines = [new ShipmentLine { LineId = "00010", Quantity = new Quantity(2000, "KG"), SupplierLot = "S-1" }] };
        var command = new NotifyShipment { Metadata = Commands.Meta("asn-1", SourceSystem.Supplier), Notice = notice };

        var order = PurchaseOrderRules.NotifyShipment(Key, Order(), command).Next!;
        var again = PurchaseOrderRules.NotifyShipment(Key, order, command with { Metadata = Commands.Meta("asn-2", SourceSystem.Supplier) });
        var unknown = PurchaseOrderRules.NotifyShipment(Key, Order(), command with { Notice = notice with { Lines = [notice.Lines[0] with { LineId = "00099" }] } });

        Assert.Equal(2000m, order.Line("00010")!.ShippedQuantity);
        Assert.Equal(DomainErrorCode.AlreadyExists, again.Error!.Code);
        Assert.Equal("UNKNOWN_LINE", unknown.Error!.Precondition);
    }

    [Fact]
    public void The_overdue_exception_is_raised_once_and_only_while_lines_are_unconfirmed()
    {
        var raise = new RaiseOverdueAcknowledgement { Metadata = Commands.Meta("overdue", SourceSystem.ControlPlane), DueAt = Commands.At };

        var raised = PurchaseOrderRules.RaiseOverdue(Key, Order(), raise).Next!;
        var confirmed = PurchaseOrderRules.Confirm(Key, PurchaseOrderRules.Confirm(Key, Order(), Confirm(2000), Policy).Next!,
            Confirm(500, 12, "00020", "s-2") with { Quantity = new Quantity(500, "EA") }, Policy).Next!;

        Assert.Equal(PurchaseOrderRules.OverdueKind, Assert.Single(raised.Exceptions).Kind);
        Assert.False(PurchaseOrderRules.AwaitsAcknowledgement(raised));
        Assert.Null(PurchaseOrderRules.RaiseOverdue(Key, raised, raise).Next);
        Assert.Null(PurchaseOrderRules.RaiseOverdue(Key, confirmed, raise).Next);
    }

    [Fact]
    public void A_repeated_parked_command_gets_the_same_answer_and_parks_nothing_new()
    {
        var state = new AggregateState<PurchaseOrder> { Current = Order() };
        var first = CommandHandler.Decide(state, Confirm(1500), (c, cmd) => PurchaseOrderRules.Confirm(Key, c, cmd, Policy));
        var repeat = CommandHandler.Decide(first.NextState!, Confirm(1500), (c, cmd) => PurchaseOrderRules.Confirm(Key, c, cmd, Policy));

        Assert.Equal(first.Result.Error, repeat.Result.Error);
        Assert.True(repeat.Result.Duplicate);
        Assert.Null(repeat.NextState);
        Assert.Single(first.NextState!.Current!.Exceptions);
    }

    [Fact]
    public void A_stale_expected_version_is_aborted_and_changes_nothing()
    {
        var state = new AggregateState<PurchaseOrder> { Current = Order() };
        var stale = Confirm(2000) with { Metadata = Commands.Meta("s-9", SourceSystem.Supplier) with { ExpectedVersion = 0 } };
        var current = Confirm(2000) with { Metadata = Commands.Meta("s-10", SourceSystem.Supplier) with { ExpectedVersion = 1 } };

        var refused = CommandHandler.Decide(state, stale, (c, cmd) => PurchaseOrderRules.Confirm(Key, c, cmd, Policy));
        var applied = CommandHandler.Decide(state, current, (c, cmd) => PurchaseOrderRules.Confirm(Key, c, cmd, Policy));

        Assert.Equal(DomainErrorCode.VersionMismatch, refused.Result.Error!.Code);
        Assert.Null(refused.NextState);
        Assert.Equal(2, applied.Result.Version);
    }
}

/// <summary>The ERP's changes after creation.</summary>
public sealed class PurchaseOrderChangeTests
{
    private const string Key = "P200/4500000002";

    private static PurchaseOrder Confirmed()
    {
        var policy = new TolerancePolicy();
        var order = PurchaseOrderRules.Create(Key, null, PurchaseOrderRulesTests.Create()).Next!.WithVersion(1);
        order = PurchaseOrderRules.Confirm(Key, order, new ConfirmLine { Metadata = Commands.Meta("s-1", SourceSystem.Supplier), LineId = "00010", Quantity = new Quantity(2000, "KG"), Delivery = new DateOnly(2026, 12, 10) }, policy).Next!;
        return PurchaseOrderRules.Confirm(Key, order, new ConfirmLine { Metadata = Commands.Meta("s-2", SourceSystem.Supplier), LineId = "00020", Quantity = new Quantity(500, "EA"), Delivery = new DateOnly(2026, 12, 12) }, policy).Next!;
    }

    private static ChangePurchaseOrder Change(params PurchaseOrderLine[] lines) => new() { Metadata = Commands.Meta("sap-chg", SourceSystem.Sap), Lines = [.. lines] };

    [Fact]
    public void A_changed_quantity_withdraws_the_confirmation_and_the_order_awaits_the_supplier_again()
    {
        var order = Confirmed();
        Assert.Equal(PurchaseOrderStatus.Confirmed, order.Status);

        var changed = PurchaseOrderRules.Change(Key, order, Change(order.Line("00010")! with { Quantity = new Quantity(2500, "KG") })).Next!;

        Assert.Equal((PurchaseOrderStatus.Created, 2500m), (changed.Status, changed.Line("00010")!.Quantity.Value));
        Assert.Null(changed.Line("00010")!.Confirmation);
        Assert.NotNull(changed.Line("00020")!.Confirmation);
        Assert.True(PurchaseOrderRules.AwaitsAcknowledgement(changed));
    }

    [Fact]
    public void A_price_change_keeps_the_confirmation_and_an_identical_change_changes_nothing()
    {
        var order = Confirmed();

        var repriced = PurchaseOrderRules.Change(Key, order, Change(order.Line("00010")! with { UnitPrice = 1.30m })).Next!;
        var same = PurchaseOrderRules.Change(Key, order, Change(order.Line("00010")!));

        Assert.Equal((PurchaseOrderStatus.Confirmed, 1.30m), (repriced.Status, repriced.Line("00010")!.UnitPrice));
        Assert.Null(same.Next);
        Assert.Null(same.Error);
    }

    [Fact]
    public void Lines_are_added_and_never_reduced_below_what_was_received()
    {
        var order = PurchaseOrderRules.ReceiveGoods(Key, Confirmed(), new ReceiveGoods
        {
            Metadata = Commands.Meta("gr", SourceSystem.Warehouse), LineId = "00010", Quantity = new Quantity(1500, "KG"), LotId = "L-1", Location = "RECV-01",
        }, new TolerancePolicy()).Next!;
        var added = new PurchaseOrderLine { LineId = "00030", Material = "NUT-M8", Quantity = new Quantity(500, "EA"), RequestedDelivery = new DateOnly(2026, 12, 20) };

        var withLine = PurchaseOrderRules.Change(Key, order, Change(added)).Next!;
        var below = PurchaseOrderRules.Change(Key, order, Change(order.Line("00010")! with { Quantity = new Quantity(1000, "KG") }));
        var material = PurchaseOrderRules.Change(Key, order, Change(order.Line("00010")! with { Material = "STEEL-S355" }));

        Assert.Equal(3, withLine.Lines.Length);
        Assert.Equal("BELOW_RECEIVED", below.Error!.Precondition);
        Assert.Equal("LINE_RECEIVED", material.Error!.Precondition);
    }
}
