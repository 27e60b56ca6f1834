using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Rpc;
using Grpc.Core;
using Manufacturing.Common.V1;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.Inventory.V1;
using Manufacturing.Procurement.V1;
using Manufacturing.Quality.V1;
using Manufacturing.ShopFloor.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>
/// The domain model's full story through the real gateway, five hosts and PostgreSQL: SAP creates a
/// purchase order; the supplier confirms outside tolerance and it is parked; the buyer approves;
/// ASN; the receipt creates a lot in inspection; the inspection fails; the nonconformance blocks the
/// lot; the MES's attempt to consume it is refused; the disposition scraps it.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class SupplyToScrapStoryTests(SuiteFixture suite)
{
    private static Google.Type.Date Date(int day) => new() { Year = 2026, Month = 12, Day = day };

    private static Manufacturing.Common.V1.Quantity Kg(string value) => new() { Value = value, UnitOfMeasure = "KG" };

    [Fact]
    public async Task Sap_purchase_order_to_scrapped_lot_through_the_gateway()
    {
        var sap = new ProcurementService.ProcurementServiceClient(suite.As("sap"));
        var supplier = new ProcurementService.ProcurementServiceClient(suite.As("supplier"));
        var buyer = new ProcurementService.ProcurementServiceClient(suite.As("reviewer"));
        var warehouse = new ProcurementService.ProcurementServiceClient(suite.As("warehouse"));
        var inventory = new InventoryService.InventoryServiceClient(suite.As("warehouse"));
        var quality = new QualityService.QualityServiceClient(suite.As("quality"));
        var mes = new ShopFloorService.ShopFloorServiceClient(suite.As("mes:P200"));
        var erp = new ShopFloorService.ShopFloorServiceClient(suite.As("sap"));

        // 1. SAP creates the purchase order at P200 (which runs SAP); Odoo may not.
        var poId = Unique("45");
        var create = new CreatePurchaseOrderRequest
        {
            Parent = "plants/P200",
            PurchaseOrderId = poId,
            PurchaseOrder = new PurchaseOrder
            {
                Vendor = "V-100200",
                Currency = "EUR",
                // SAP speaks its own material number, in its 18-digit internal form; the order keeps the canonical code.
                Lines = { new PurchaseOrderLine { LineId = "00010", Material = "000000000000012345", Quantity = Kg("2000"), UnitPrice = "1.25", RequestedDeliveryDate = Date(10), InspectionRequired = true } },
            },
            Metadata = Metadata(),
        };
        var denied = await Assert.ThrowsAsync<RpcException>(() =>
            new ProcurementService.ProcurementServiceClient(suite.As("odoo")).CreatePurchaseOrderAsync(create).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Contains("the owner is sap", denied.Status.Detail, StringComparison.Ordinal);
        create.Metadata = Metadata();
        var po = (await sap.CreatePurchaseOrderAsync(create)).PurchaseOrder;
        Assert.Equal("STEEL-S235", po.Lines[0].Material);

        // 2. The supplier confirms 1500 of 2000 KG: outside tolerance, parked as an exception.
        var confirm = new ConfirmPurchaseOrderLineRequest
        {
            PurchaseOrder = po.Name, LineId = "00010", ConfirmedQuantity = Kg("1500"), ConfirmedDeliveryDate = Date(10), Metadata = Metadata(),
        };
        var parked = await Assert.ThrowsAsync<RpcException>(() => supplier.ConfirmPurchaseOrderLineAsync(confirm).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, parked.StatusCode);
        var info = parked.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal("PARKED_AS_EXCEPTION", info.Reason);
        var exceptionName = info.Metadata["exception"];
        Assert.Equal($"{po.Name}/exceptions/1", exceptionName);
        var again = await Assert.ThrowsAsync<RpcException>(() => supplier.ConfirmPurchaseOrderLineAsync(confirm).ResponseAsync);
        Assert.Equal(exceptionName, again.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["exception"]);

        var held = (await sap.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = po.Name })).PurchaseOrder;
        var open = Assert.Single(held.Exceptions);
        Assert.Equal((ExceptionState.Open, "CONFIRMATION_OUTSIDE_TOLERANCE", "1500 KG", "supplier"), (open.State, open.Kind, open.Arrived["quantity"], open.SourceSystem));
        Assert.Null(held.Lines[0].Confirmation);

        // 3. The buyer approves, twice: applied once. The supplier may not approve.
        var approve = new ResolvePurchaseOrderExceptionRequest
        {
            Name = exceptionName, Resolution = ExceptionResolution.Approve, Reviewer = "buyer.anna", Note = "short shipment agreed", Metadata = Metadata(),
        };
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => supplier.ResolvePurchaseOrderExceptionAsync(approve).ResponseAsync)).StatusCode);
        var approved = (await buyer.ResolvePurchaseOrderExceptionAsync(approve)).PurchaseOrder;
        approve.Metadata = Metadata();
        var twice = await buyer.ResolvePurchaseOrderExceptionAsync(approve);
        Assert.Equal(approved.Version, twice.PurchaseOrder.Version);
        Assert.Equal(("1500", $"{po.Name}/exceptions/1"), (approved.Lines[0].Confirmation.Quantity.Value, approved.Lines[0].Confirmation.Exception));
        Assert.Equal(PurchaseOrderState.Confirmed, approved.State);

        // 4. ASN, then the goods receipt creates the lot, in inspection.
        await supplier.NotifyShipmentAsync(new NotifyShipmentRequest
        {
            PurchaseOrder = po.Name,
            ShipmentNotice = new ShipmentNotice
            {
                NoticeId = "ASN-1", ExpectedArrivalTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(new DateTime(2026, 12, 9, 0, 0, 0, DateTimeKind.Utc)),
                Lines = { new ShipmentLine { LineId = "00010", Quantity = Kg("1500"), SupplierLot = "S-77" } },
            },
            Metadata = Metadata(),
        });
        var lotId = Unique("LOT");
        var receipt = await warehouse.ReceiveGoodsAsync(new ReceiveGoodsRequest
        {
            PurchaseOrder = po.Name, LineId = "00010", Quantity = Kg("1500"), LotId = lotId, Location = "RECV-01", SupplierLot = "S-77", Metadata = Metadata(),
        });
        Assert.Equal(PurchaseOrderState.PartiallyReceived, receipt.PurchaseOrder.State);
        var lot = (await inventory.GetLotAsync(new GetLotRequest { Name = receipt.Lot })).Lot;
        Assert.Equal((LotStatus.QualityInspection, "1500", po.Name, "V-100200"), (lot.Status, lot.QuantityOnHand.Value, lot.PurchaseOrder, lot.Vendor));

        // 5. The inspection fails: its nonconformance blocks the lot.
        var inspection = new RecordInspectionRequest
        {
            Parent = "plants/P200", InspectionId = Unique("INSP"), LotId = lotId, Inspector = "lab.k",
            Characteristics = { new Characteristic { Name = "tensile_strength", Value = "310", LowerLimit = "340", UpperLimit = "470", Unit = "MPa" } },
            Metadata = Metadata(),
        };
        var inspected = (await quality.RecordInspectionAsync(inspection)).Inspection;
        Assert.Equal(InspectionResult.Fail, inspected.Result);
        Assert.Equal(LotStatus.Blocked, (await inventory.GetLotAsync(new GetLotRequest { Name = receipt.Lot })).Lot.Status);

        // 6. The MES's attempt to consume it is refused and draws nothing.
        var orderId = Unique("WO");
        var release = Release(orderId);
        release.Parent = "plants/P200";
        release.ProductionOrder.Components.Add(new Component { Material = "STEEL-S235", QuantityPerUnit = Kg("2") });
        var order = (await erp.ReleaseProductionOrderAsync(release)).ProductionOrder;
        var consume = await Assert.ThrowsAsync<RpcException>(() => mes.ConsumeMaterialAsync(new ConsumeMaterialRequest
        {
            ProductionOrder = order.Name, Component = "STEEL-S235", LotId = lotId, Quantity = Kg("50"), Metadata = Metadata(),
        }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, consume.StatusCode);
        Assert.Equal("LOT_BLOCKED", consume.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations[0].Type);
        Assert.Equal("1500", (await inventory.GetLotAsync(new GetLotRequest { Name = receipt.Lot })).Lot.QuantityOnHand.Value);

        // 7. The disposition scraps it and records the supplier's accountability.
        var nc = (await quality.DispositionNonconformanceAsync(new DispositionNonconformanceRequest
        {
            Name = inspected.Nonconformance, Disposition = Disposition.Scrap, SupplierAccountable = true, Note = "tensile below spec", Metadata = Metadata(),
        })).Nonconformance;
        Assert.Equal((NonconformanceState.Dispositioned, true, "V-100200"), (nc.State, nc.SupplierAccountable, Assert.Single(nc.Vendors)));
        var scrapped = (await inventory.GetLotAsync(new GetLotRequest { Name = receipt.Lot })).Lot;
        Assert.Equal((LotStatus.Scrapped, "0"), (scrapped.Status, scrapped.QuantityOnHand.Value));

        // The lists come from the read models, which the delivered events fill shortly after each change.
        var exceptions = await Eventually(() => buyer.ListPurchaseOrderExceptionsAsync(new ListPurchaseOrderExceptionsRequest
        {
            Parent = "plants/P200", Kind = "CONFIRMATION_OUTSIDE_TOLERANCE", State = ExceptionState.Approved, PageSize = 500,
        }).ResponseAsync, r => r.Exceptions.Any(e => e.Name == exceptionName));
        Assert.Equal("supplier", exceptions.Exceptions.Single(e => e.Name == exceptionName).SourceSystem);
        Assert.NotNull(exceptions.ReadModel.LastEventTime);
        var orders = await Eventually(() => sap.ListPurchaseOrdersAsync(new ListPurchaseOrdersRequest
        {
            Parent = "plants/P200", State = PurchaseOrderState.PartiallyReceived, PageSize = 500,
        }).ResponseAsync, r => r.PurchaseOrders.Any(o => o.Name == po.Name));
        Assert.Equal("V-100200", orders.PurchaseOrders.Single(o => o.Name == po.Name).Vendor);
        await Eventually(() => erp.ListProductionOrdersAsync(new ListProductionOrdersRequest
        {
            Parent = "plants/P200", State = ProductionOrderState.Released, PageSize = 500,
        }).ResponseAsync, r => r.ProductionOrders.Any(o => o.Name == order.Name && o.Product == "BIKE-26"));

        // Everything above is in PostgreSQL.
        Assert.Equal(1, await StoredRows(suite.ConnectionString, $"P200/{poId}"));
        Assert.Equal(1, await StoredRows(suite.ConnectionString, $"P200/{lotId}"));
    }

    [Fact]
    public async Task Consumption_and_output_are_traced_forward_and_backward_over_rest()
    {
        var rawId = Unique("RM");
        await new InventoryService.InventoryServiceClient(suite.As("warehouse")).ReceiveLotAsync(new ReceiveLotRequest
        {
            Parent = "plants/P100", LotId = rawId, Material = "FRAME-26", Quantity = new Manufacturing.Common.V1.Quantity { Value = "40", UnitOfMeasure = "EA" },
            Location = "STORE-01", Metadata = Metadata(),
        });
        var order = (await new ShopFloorService.ShopFloorServiceClient(suite.As("odoo")).ReleaseProductionOrderAsync(Release(Unique("WO")))).ProductionOrder;
        var mes = new ShopFloorService.ShopFloorServiceClient(suite.As("mes"));
        var consume = new ConsumeMaterialRequest
        {
            ProductionOrder = order.Name, Component = "FRAME-26", LotId = rawId, Quantity = new Manufacturing.Common.V1.Quantity { Value = "25", UnitOfMeasure = "EA" }, Metadata = Metadata(),
        };
        await mes.ConsumeMaterialAsync(consume);
        var repeat = await mes.ConsumeMaterialAsync(consume);
        var outputId = Unique("FG");
        await mes.DeclareOutputAsync(new DeclareOutputRequest
        {
            ProductionOrder = order.Name, LotId = outputId, Quantity = new Manufacturing.Common.V1.Quantity { Value = "25", UnitOfMeasure = "EA" }, Location = "FG-01", Metadata = Metadata(),
        });
        Assert.True(repeat.Outcome.Duplicate);

        using var forward = await suite.HttpAs("warehouse").GetAsync($"/inventory/v1/plants/P100/lots/{rawId}:trace?direction=TRACE_DIRECTION_FORWARD");
        using var backward = await suite.HttpAs("warehouse").GetAsync($"/inventory/v1/plants/P100/lots/{outputId}:trace");

        Assert.Equal(HttpStatusCode.OK, forward.StatusCode);
        var down = await forward.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("15", down.GetProperty("lot").GetProperty("quantityOnHand").GetProperty("value").GetString());
        Assert.Equal($"plants/P100/lots/{outputId}", Assert.Single(down.GetProperty("lots").EnumerateArray()).GetProperty("lot").GetString());
        var up = await backward.Content.ReadFromJsonAsync<JsonElement>();
        var link = Assert.Single(up.GetProperty("links").EnumerateArray());
        Assert.Equal(($"plants/P100/lots/{rawId}", order.Name), (link.GetProperty("inputLot").GetString(), link.GetProperty("productionOrder").GetString()));
    }
}
