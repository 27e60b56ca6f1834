using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Domain;
using Manufacturing.Procurement.Domain;
using Manufacturing.Quality.Domain;
using Manufacturing.ShopFloor.Domain;
using Manufacturing.UnitTests.Support;
using Orleans.Runtime;

namespace Manufacturing.UnitTests.Quality;

/// <summary>
/// The grains together in a two-silo cluster: ownership refusals, a purchase order through
/// exception, receipt, failed inspection, blocked consumption and scrap, and the overdue reminder.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SupplyToQualityStoryTests(ClusterFixture fixture)
{
    /// <summary>
    /// Metadata from <paramref name="source"/>; as the hosts do for an authenticated supplier, the
    /// client name (the order's vendor) goes on the Orleans request context of the calls that follow.
    /// </summary>
    private static CommandMetadata As(SourceSystem source, string id, string vendor = "V-100200")
    {
        RequestContext.Set(GrainMeters.CallerKey, source == SourceSystem.Supplier ? $"supplier:{vendor}" : SourceSystems.WireName(source));
        return Commands.Meta(id, source);
    }

    private static CreatePurchaseOrder CreateOrder(SourceSystem erp) => new()
    {
        Metadata = As(erp, "erp-create"),
        Vendor = "V-100200",
        Currency = "EUR",
        Lines = [new PurchaseOrderLine { LineId = "00010", Material = "STEEL-S235", Quantity = new Quantity(2000, "KG"), UnitPrice = 1.25m, RequestedDelivery = new DateOnly(2026, 12, 10), InspectionRequired = true }],
    };

    [Fact]
    public async Task A_non_owner_write_is_refused_and_changes_nothing()
    {
        var po = fixture.Grains.GetGrain<IPurchaseOrderGrain>($"P100/PO-{Guid.NewGuid():N}");

        var bySap = await po.Create(CreateOrder(SourceSystem.Sap));
        var byMes = await po.Create(CreateOrder(SourceSystem.Mes));
        var unnamed = await po.Create(CreateOrder(SourceSystem.Unspecified));

        Assert.All([bySap, byMes, unnamed], r => Assert.Equal(DomainErrorCode.NotPermitted, r.Error!.Code));
        Assert.Contains("the owner is odoo", bySap.Error!.Message, StringComparison.Ordinal);
        Assert.Null(await po.Get());
        Assert.Null((await po.Create(CreateOrder(SourceSystem.Odoo))).Error);
    }

    [Fact]
    public async Task A_supplier_acts_only_on_its_own_vendors_orders()
    {
        var po = fixture.Grains.GetGrain<IPurchaseOrderGrain>($"P100/PO-{Guid.NewGuid():N}");
        Assert.Null((await po.Create(CreateOrder(SourceSystem.Odoo))).Error);
        var confirm = new ConfirmLine { Metadata = As(SourceSystem.Supplier, "conf-1", vendor: "V-999"), LineId = "00010", Quantity = new Quantity(2000, "KG"), Delivery = new DateOnly(2026, 12, 10) };

        var other = await po.ConfirmLine(confirm);
        RequestContext.Set(GrainMeters.CallerKey, "supplier:V-100200");
        var own = await po.ConfirmLine(confirm);

        Assert.Equal(DomainErrorCode.NotPermitted, other.Error!.Code);
        Assert.Contains("supplier:V-999 may not act on", other.Error.Message, StringComparison.Ordinal);
        Assert.Null(own.Error);
        Assert.False(own.Duplicate);
    }

    [Fact]
    public async Task Purchase_order_to_scrapped_lot()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var po = fixture.Grains.GetGrain<IPurchaseOrderGrain>($"P100/PO-{suffix}");
        Assert.Null((await po.Create(CreateOrder(SourceSystem.Odoo))).Error);

        // The supplier confirms 1500 of 2000 KG: outside the 5% tolerance, parked.
        var confirm = new ConfirmLine { Metadata = As(SourceSystem.Supplier, "conf-1"), LineId = "00010", Quantity = new Quantity(1500, "KG"), Delivery = new DateOnly(2026, 12, 10) };
        var parked = await po.ConfirmLine(confirm);
        Assert.Equal(("CONFIRMATION_OUTSIDE_TOLERANCE", $"plants/P100/purchaseOrders/PO-{suffix}/exceptions/1"), (parked.Error!.Precondition, parked.Error.ExceptionName));
        Assert.Null((await po.Get())!.Line("00010")!.Confirmation);

        // The buyer approves, twice: applied once.
        var approve = new ResolvePurchaseOrderException { Metadata = As(SourceSystem.Reviewer, "rev-1"), Number = 1, Resolution = ExceptionResolution.Approve, Reviewer = "buyer.anna" };
        Assert.Null((await po.ResolveException(approve)).Error);
        var twice = await po.ResolveException(approve with { Metadata = As(SourceSystem.Reviewer, "rev-2") });
        Assert.Null(twice.Error);
        Assert.Equal(1500m, twice.Resource!.Line("00010")!.Confirmation!.Quantity.Value);
        Assert.Equal(PurchaseOrderStatus.Confirmed, twice.Resource.Status);

        // ASN, then the receipt creates the lot in inspection.
        var notice = new ShipmentNotice { NoticeId = "ASN-1", ExpectedArrival = Commands.At, Lines = [new ShipmentLine { LineId = "00010", Quantity = new Quantity(1500, "KG"), SupplierLot = "S-77" }] };
        Assert.Null((await po.NotifyShipment(new NotifyShipment { Metadata = As(SourceSystem.Supplier, "asn-1"), Notice = notice })).Error);
        var lotId = $"LOT-{suffix}";
        var receive = new ReceiveGoods { Metadata = As(SourceSystem.Warehouse, "gr-1"), LineId = "00010", Quantity = new Quantity(1500, "KG"), LotId = lotId, Location = "RECV-01", SupplierLot = "S-77" };
        Assert.Null((await po.ReceiveGoods(receive)).Error);
        Assert.True((await po.ReceiveGoods(receive)).Duplicate);
        var lotGrain = fixture.Grains.GetGrain<ILotGrain>($"P100/{lotId}");
        var lot = (await lotGrain.Get())!;
        Assert.Equal((LotStatus.QualityInspection, 1500m, "V-100200"), (lot.Status, lot.QuantityOnHand.Value, lot.Vendor));

        // A production order consumed some of an earlier lot; this one is still in inspection.
        var order = fixture.Grains.GetGrain<IProductionOrderGrain>($"P100/WO-{suffix}");
        Assert.Null((await order.Release(Commands.Release() with { Components = [new BomComponent("STEEL-S235", new Quantity(2, "KG"))] })).Error);
        var consume = new ConsumeMaterial { Metadata = As(SourceSystem.Mes, "mes-1"), Component = "STEEL-S235", LotId = lotId, Quantity = new Quantity(10, "KG") };
        Assert.Equal("LOT_IN_INSPECTION", (await order.ConsumeMaterial(consume)).Error!.Precondition);

        // The inspection fails: a nonconformance blocks the lot.
        var inspection = fixture.Grains.GetGrain<IInspectionGrain>($"P100/INSP-{suffix}");
        var inspected = await inspection.Record(new RecordInspection
        {
            Metadata = As(SourceSystem.Quality, "qm-1"),
            LotId = lotId,
            Characteristics = [new Characteristic { Name = "tensile_strength", Value = 310m, Lower = 340m, Upper = 470m, Unit = "MPa" }],
        });
        Assert.Equal(InspectionResult.Fail, inspected.Resource!.Result);
        Assert.Equal(LotStatus.Blocked, (await lotGrain.Get())!.Status);

        // The MES's attempt to consume it is refused, and nothing was drawn.
        var refused = await order.ConsumeMaterial(consume with { Metadata = As(SourceSystem.Mes, "mes-2") });
        Assert.Equal("LOT_BLOCKED", refused.Error!.Precondition);
        Assert.Empty((await order.Get())!.Consumptions);
        Assert.Equal(1500m, (await lotGrain.Get())!.QuantityOnHand.Value);

        // Disposition: scrap, supplier accountable.
        var nc = fixture.Grains.GetGrain<INonconformanceGrain>(inspected.Resource.Nonconformance!);
        var decided = await nc.Disposition(new DispositionNonconformance { Metadata = As(SourceSystem.Quality, "qm-2"), Disposition = Disposition.Scrap, SupplierAccountable = true, Note = "tensile" });
        Assert.Equal((NonconformanceStatus.Dispositioned, true), (decided.Resource!.Status, decided.Resource.SupplierAccountable));
        Assert.Equal(["V-100200"], decided.Resource.Vendors.ToArray());
        var scrapped = (await lotGrain.Get())!;
        Assert.Equal((LotStatus.Scrapped, 0m), (scrapped.Status, scrapped.QuantityOnHand.Value));
    }

    [Fact]
    public async Task A_nonconformance_flags_the_orders_that_consumed_the_lot_and_output_knows_its_order()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var lotId = $"RM-{suffix}";
        Assert.Null((await fixture.Grains.GetGrain<ILotGrain>($"P100/{lotId}").Receive(Commands.Receive("r-1") with { })).Error);
        var order = fixture.Grains.GetGrain<IProductionOrderGrain>($"P100/WO-{suffix}");
        Assert.Null((await order.Release(Commands.Release() with { Components = [new BomComponent("STEEL-S235", new Quantity(2, "KG"))] })).Error);
        var consume = new ConsumeMaterial { Metadata = As(SourceSystem.Mes, "mes-1"), Component = "STEEL-S235", LotId = lotId, Quantity = new Quantity(50, "KG") };
        Assert.Null((await order.ConsumeMaterial(consume)).Error);
        Assert.True((await order.ConsumeMaterial(consume)).Duplicate);
        Assert.Null((await order.DeclareOutput(new DeclareOutput { Metadata = As(SourceSystem.Mes, "mes-2"), LotId = $"FG-{suffix}", Quantity = new Quantity(25, "EA"), Location = "FG-01" })).Error);
        Assert.Equal(1200.5m, (await fixture.Grains.GetGrain<ILotGrain>($"P100/{lotId}").Get())!.QuantityOnHand.Value);

        var raised = await fixture.Grains.GetGrain<INonconformanceGrain>($"P100/NC-{suffix}").Raise(new RaiseNonconformance
        {
            Metadata = As(SourceSystem.Quality, "nc-1"), LotIds = [lotId], Description = "Supplier certificate missing",
        });

        Assert.Equal([$"P100/WO-{suffix}"], raised.Resource!.AffectedProductionOrders.ToArray());
        Assert.Equal([$"plants/P100/nonconformances/NC-{suffix}"], (await order.Get())!.Nonconformances.ToArray());
        var output = (await fixture.Grains.GetGrain<ILotGrain>($"P100/FG-{suffix}").Get())!;
        Assert.Equal(($"P100/WO-{suffix}", "BIKE-26"), (output.ProducedBy, output.Material));
    }

    [Fact]
    public async Task An_unconfirmed_order_raises_the_overdue_acknowledgement_exception_by_reminder()
    {
        // P200's acknowledgement is due one second after creation in this cluster.
        var po = fixture.Grains.GetGrain<IPurchaseOrderGrain>($"P200/PO-{Guid.NewGuid():N}");
        Assert.Null((await po.Create(CreateOrder(SourceSystem.Sap))).Error);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        PurchaseOrder? order;
        do
        {
            order = await po.Get();
            if (order!.Exceptions.Any())
            {
                break;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        var exception = Assert.Single(order!.Exceptions);
        Assert.Equal((PurchaseOrderRules.OverdueKind, SourceSystem.ControlPlane, ExceptionState.Open), (exception.Kind, exception.Source, exception.State));
    }

    [Fact]
    public async Task Changes_reach_the_read_models_through_the_outbox_and_leave_the_outbox_once_delivered()
    {
        var id = $"PO-{Guid.NewGuid():N}";
        var po = fixture.Grains.GetGrain<IPurchaseOrderGrain>($"P100/{id}");
        Assert.Null((await po.Create(CreateOrder(SourceSystem.Odoo))).Error);
        var parked = await po.ConfirmLine(new ConfirmLine { Metadata = As(SourceSystem.Supplier, "c-1"), LineId = "00010", Quantity = new Quantity(1, "KG"), Delivery = new DateOnly(2026, 12, 10) });

        var exception = await Until(async () => (await ClusterFixture.ReadModels.ListExceptionsAsync("purchase_order", "P100", null, "OPEN", 500, "")).Rows
            .SingleOrDefault(r => r.Name == parked.Error!.ExceptionName));
        Assert.Equal(("CONFIRMATION_OUTSIDE_TOLERANCE", "supplier"), (exception.Kind, exception.Source));
        var row = await Until(async () => (await ClusterFixture.ReadModels.ListAsync("purchase_order", "P100", "CREATED", 500, "")).Rows
            .SingleOrDefault(r => r.Key == $"P100/{id}" && r.Version == 2));
        Assert.Equal("1", row.Fields["open_exceptions"]);
    }

    [Fact]
    public async Task Events_not_yet_delivered_survive_the_next_change_and_arrive_once_the_projector_is_back()
    {
        var key = $"P100/PO-{Guid.NewGuid():N}";
        var po = fixture.Grains.GetGrain<IPurchaseOrderGrain>(key);

        // The delivery after the creation fails; the confirmation is written before it is retried.
        ClusterFixture.ReadModels.FailNextDeliveries(1);
        Assert.Null((await po.Create(CreateOrder(SourceSystem.Odoo))).Error);
        await po.ConfirmLine(new ConfirmLine { Metadata = As(SourceSystem.Supplier, "c-1"), LineId = "00010", Quantity = new Quantity(2000, "KG"), Delivery = new DateOnly(2026, 12, 10) });

        await Until(() => Task.FromResult(ClusterFixture.ReadModels.Applied($"purchase_order/{key}/2/0") ? "delivered" : null));
        Assert.True(ClusterFixture.ReadModels.Applied($"purchase_order/{key}/1/0"), "the creation's event was lost from the outbox");
    }

    private static async Task<T> Until<T>(Func<Task<T?>> probe) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("The read model did not show the change within 30 s.");
    }
}
