using Google.Rpc;
using Grpc.Core;
using Manufacturing.Common.V1;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.Procurement.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>Purchase orders created by the ERP through the gateway, on the procurement silo.</summary>
[Collection(SuiteCollection.Name)]
public sealed class PurchaseOrderTests(SuiteFixture suite)
{
    private ProcurementService.ProcurementServiceClient Client => new(suite.As("odoo"));

    private static CreatePurchaseOrderRequest Create(string id) => new()
    {
        Parent = "plants/P100",
        PurchaseOrderId = id,
        PurchaseOrder = new PurchaseOrder
        {
            Vendor = "V-100200",
            Currency = "EUR",
            Lines =
            {
                new PurchaseOrderLine
                {
                    LineId = "00010", Material = "STEEL-S235", Quantity = new Quantity { Value = "2000", UnitOfMeasure = "KG" },
                    UnitPrice = "1.25", RequestedDeliveryDate = new Google.Type.Date { Year = 2026, Month = 12, Day = 10 },
                },
            },
        },
        Metadata = Metadata(),
    };

    [Fact]
    public async Task Created_order_is_read_back_and_a_repeat_is_a_duplicate()
    {
        var request = Create(Unique("45"));

        var created = await Client.CreatePurchaseOrderAsync(request);
        var repeat = await Client.CreatePurchaseOrderAsync(request);
        var read = await Client.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = created.PurchaseOrder.Name });

        Assert.Equal(PurchaseOrderState.Created, created.PurchaseOrder.State);
        Assert.Equal("1.25", created.PurchaseOrder.Lines[0].UnitPrice);
        Assert.True(repeat.Outcome.Duplicate);
        Assert.Equal(created.PurchaseOrder, read.PurchaseOrder);
    }

    [Fact]
    public async Task Order_without_a_delivery_date_and_with_a_bad_price_is_invalid_argument()
    {
        var request = Create(Unique("45"));
        request.PurchaseOrder.Lines[0].RequestedDeliveryDate = null;
        request.PurchaseOrder.Lines[0].UnitPrice = "1.2.5";

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.CreatePurchaseOrderAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToList();
        Assert.Contains("purchase_order.lines[0].requested_delivery_date", fields);
        Assert.Contains("purchase_order.lines[0].unit_price", fields);
        Assert.Equal(0, await StoredRows(suite.ConnectionString, $"P100/{request.PurchaseOrderId}"));
    }

    [Fact]
    public async Task The_erp_changes_a_line_and_the_supplier_may_not()
    {
        var created = (await Client.CreatePurchaseOrderAsync(Create(Unique("45")))).PurchaseOrder;
        var line = created.Lines[0].Clone();
        line.Quantity = new Quantity { Value = "2500", UnitOfMeasure = "KG" };
        var change = new ChangePurchaseOrderRequest { Name = created.Name, Lines = { line }, Metadata = Metadata() };
        change.Metadata.ExpectedVersion = created.Version;

        var denied = await Assert.ThrowsAsync<RpcException>(() =>
            new ProcurementService.ProcurementServiceClient(suite.As("supplier")).ChangePurchaseOrderAsync(change).ResponseAsync);
        var changed = (await Client.ChangePurchaseOrderAsync(change)).PurchaseOrder;
        change.Metadata = Metadata();
        change.Metadata.ExpectedVersion = created.Version;
        var stale = await Assert.ThrowsAsync<RpcException>(() => Client.ChangePurchaseOrderAsync(change).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal(("2500", created.Version + 1), (changed.Lines[0].Quantity.Value, changed.Version));
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        Assert.Equal("VERSION_MISMATCH", stale.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
    }
}
