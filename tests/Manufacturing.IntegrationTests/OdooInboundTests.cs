using Grpc.Core;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.Integration.V1;
using Manufacturing.Procurement.V1;
using Manufacturing.ShopFloor.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>
/// What changes in Odoo reaching this system by polling: the integration host reads plant P300's
/// Odoo (the suite's <c>odoo-in</c>, against <see cref="SuiteFixture.OdooInbound"/>) by
/// <c>write_date</c> with its cursor in PostgreSQL, and applies the orders as the <c>odoo</c> identity
/// through the domain services; observed through the gateway.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class OdooInboundTests(SuiteFixture suite)
{
    private static readonly DateTime Start = new(2026, 12, 1, 6, 0, 0, DateTimeKind.Utc);

    private ShopFloorService.ShopFloorServiceClient ShopFloor => new(suite.As("odoo"));

    private ProcurementService.ProcurementServiceClient Procurement => new(suite.As("odoo"));

    private IntegrationService.IntegrationServiceClient Operator => new(suite.As("sre", "read"));

    // Waits (60 s at most) for the resource to exist and satisfy done; answers it.
    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                var value = await read();
                if (done(value))
                {
                    return value;
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen within 60 s");
            await Task.Delay(200);
        }
    }

    // What an Odoo automation rule's "Send Webhook Notification" does after a change: POST the record (no credentials) to the webhook URL.
    private async Task WebhookAsync(string model, string key = "")
    {
        using var http = new HttpClient { BaseAddress = suite.GatewayHttp.BaseAddress };
        using var answer = await http.PostAsync($"/integration/v1/connectors/odoo-in:notify?key={(key.Length > 0 ? key : suite.OdooWebhookKey)}",
            new StringContent($$"""{"_model": "{{model}}", "_id": 42}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
    }

    private async Task<InboundPolling> InboundAsync() =>
        (await Operator.ListConnectorsAsync(new ListConnectorsRequest())).Connectors.Single(c => c.Name == "connectors/odoo-in").Inbound;

    private async Task<ProductionOrder> OrderAsync(string id) =>
        (await ShopFloor.GetProductionOrderAsync(new GetProductionOrderRequest { Name = $"plants/P300/productionOrders/{id}" })).ProductionOrder;

    [Fact]
    public async Task A_manufacturing_order_confirmed_changed_and_cancelled_in_odoo_is_released_amended_and_cancelled_here_once_each()
    {
        var id = Unique("MO");
        suite.OdooInbound.AddManufacturingOrder(id, "FRAME-26", 40, Start, Start.AddHours(8), [("STEEL-S235", 80)], ["WC-WELD", "WC-PAINT"]);
        await WebhookAsync("mrp.production");

        var released = await WaitForAsync(() => OrderAsync(id), _ => true, "the release of the Odoo order");
        Assert.Equal(("FRAME-26", "40", "EA", ProductionOrderState.Released), (released.Product, released.Quantity.Value, released.Quantity.UnitOfMeasure, released.State));
        Assert.Equal([("0010", "WC-WELD"), ("0020", "WC-PAINT")], released.Operations.Select(o => (o.OperationId, o.WorkCenter)));
        var component = Assert.Single(released.Components);
        Assert.Equal(("STEEL-S235", "2", "KG"), (component.Material, component.QuantityPerUnit.Value, component.QuantityPerUnit.UnitOfMeasure));
        Assert.Equal(Start, released.PlannedStartTime.ToDateTime());

        suite.OdooInbound.Edit("mrp.production", id, "product_qty", 50);
        await WebhookAsync("mrp.production");
        var amended = await WaitForAsync(() => OrderAsync(id), o => o.Quantity.Value == "50", "the amendment of the Odoo order");
        Assert.Equal(1, amended.AmendmentCount);

        // A poll on demand (as a webhook would ask for) finds nothing new: the order is not amended again.
        var polled = (await Operator.PollConnectorAsync(new PollConnectorRequest { Name = "connectors/odoo-in" })).Inbound;
        Assert.Equal("", polled.LastError);
        Assert.True(polled.Cursors.ContainsKey("mrp.production"));
        Assert.Equal((amended.Version, 1), ((await OrderAsync(id)).Version, (await OrderAsync(id)).AmendmentCount));

        suite.OdooInbound.Edit("mrp.production", id, "state", "cancel");
        await WebhookAsync("mrp.production");
        var cancelled = await WaitForAsync(() => OrderAsync(id), o => o.State == ProductionOrderState.Cancelled, "the cancellation of the Odoo order");
        Assert.Contains("Cancelled in Odoo", cancelled.CancelReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_committed_late_with_an_earlier_write_date_is_still_found_within_the_lag()
    {
        var first = Unique("MO");
        suite.OdooInbound.AddManufacturingOrder(first, "FRAME-26", 10, Start, Start.AddHours(2), [], ["WC-WELD"]);
        await WebhookAsync("mrp.production");
        await WaitForAsync(() => OrderAsync(first), _ => true, "the release of the first order");

        // Its transaction started ten seconds ago and commits only now: dated before the cursor.
        var late = Unique("MO");
        suite.OdooInbound.AddManufacturingOrder(late, "FRAME-26", 12, Start, Start.AddHours(2), [], ["WC-WELD"],
            writeDate: DateTime.UtcNow.AddSeconds(-10).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        await WebhookAsync("mrp.production");

        var found = await WaitForAsync(() => OrderAsync(late), _ => true, "the release of the late order");
        Assert.Equal("12", found.Quantity.Value);
    }

    [Fact]
    public async Task A_purchase_order_confirmed_in_odoo_is_created_here_its_changed_line_changed_and_one_that_cannot_be_mapped_waits_for_its_fix()
    {
        var id = Unique("PO");
        var line = suite.OdooInbound.AddPurchaseOrder(id, "V-100200", [("STEEL-S235", 2000, 1.25m, new DateOnly(2026, 12, 10))])[0];
        var name = $"plants/P300/purchaseOrders/{id}";
        await WebhookAsync("purchase.order");

        var created = await WaitForAsync(() => Procurement.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = name }).ResponseAsync, _ => true, "the Odoo purchase order here");
        var ours = Assert.Single(created.PurchaseOrder.Lines);
        Assert.Equal(("V-100200", "EUR"), (created.PurchaseOrder.Vendor, created.PurchaseOrder.Currency));
        Assert.Equal((line.ToString(System.Globalization.CultureInfo.InvariantCulture), "STEEL-S235", "2000", "KG", "1.25", 10),
            (ours.LineId, ours.Material, ours.Quantity.Value, ours.Quantity.UnitOfMeasure, ours.UnitPrice, ours.RequestedDeliveryDate.Day));

        suite.OdooInbound.EditPurchaseLine(line, "product_qty", 2500);
        await WebhookAsync("purchase.order");
        await WaitForAsync(() => Procurement.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = name }).ResponseAsync,
            o => o.PurchaseOrder.Lines[0].Quantity.Value == "2500", "the changed line here");

        // A vendor without Reference cannot be mapped: shown on the connector, nothing created; fixed and saved again in Odoo, it applies.
        var unmapped = Unique("PO");
        suite.OdooInbound.AddPurchaseOrder(unmapped, "", [("STEEL-S235", 100, 1.30m, new DateOnly(2026, 12, 11))]);
        await WebhookAsync("purchase.order");
        var rejection = (await WaitForAsync(InboundAsync, i => i.Rejections.Any(r => r.RecordName == unmapped), "the rejection on the connector"))
            .Rejections.Single(r => r.RecordName == unmapped);
        Assert.Equal("purchase.order", rejection.Model);
        Assert.Contains("has no Reference", rejection.Reason, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<RpcException>(() => Procurement.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = $"plants/P300/purchaseOrders/{unmapped}" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        suite.OdooInbound.SetVendorReference(unmapped, "V-100300");
        suite.OdooInbound.Edit("purchase.order", unmapped, "notes", "vendor reference added");
        await WebhookAsync("purchase.order");
        var fixedOrder = await WaitForAsync(() => Procurement.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = $"plants/P300/purchaseOrders/{unmapped}" }).ResponseAsync,
            _ => true, "the fixed order here");
        Assert.Equal("V-100300", fixedOrder.PurchaseOrder.Vendor);
        await WaitForAsync(InboundAsync, i => i.Rejections.All(r => r.RecordName != unmapped), "the rejection cleared");
    }

    [Fact]
    public async Task Polling_a_connector_that_does_not_poll_or_does_not_exist_is_refused()
    {
        var sap = await Assert.ThrowsAsync<RpcException>(() => Operator.PollConnectorAsync(new PollConnectorRequest { Name = "connectors/sap-test" }).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Operator.PollConnectorAsync(new PollConnectorRequest { Name = "connectors/nope" }).ResponseAsync);
        var bad = await Assert.ThrowsAsync<RpcException>(() => Operator.PollConnectorAsync(new PollConnectorRequest { Name = "odoo-in" }).ResponseAsync);
        var plant = await Assert.ThrowsAsync<RpcException>(() =>
            new IntegrationService.IntegrationServiceClient(suite.As("mes")).PollConnectorAsync(new PollConnectorRequest { Name = "connectors/odoo-in" }).ResponseAsync);

        Assert.Equal((StatusCode.FailedPrecondition, StatusCode.NotFound, StatusCode.InvalidArgument, StatusCode.PermissionDenied),
            (sap.StatusCode, unknown.StatusCode, bad.StatusCode, plant.StatusCode));
    }

    [Fact]
    public async Task A_webhook_without_the_right_key_is_refused_and_makes_no_poll()
    {
        var before = (await InboundAsync()).LastPollTime;
        using var http = new HttpClient { BaseAddress = suite.GatewayHttp.BaseAddress };

        using var wrong = await http.PostAsync("/integration/v1/connectors/odoo-in:notify?key=" + new string('0', 48), new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        using var none = await http.PostAsync("/integration/v1/connectors/odoo-in:notify", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        using var other = await http.PostAsync($"/integration/v1/connectors/odoo-test:notify?key={suite.OdooWebhookKey}", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        var grpc = await Assert.ThrowsAsync<RpcException>(() => new IntegrationService.IntegrationServiceClient(suite.Gateway)
            .NotifyConnectorAsync(new NotifyConnectorRequest { Name = "connectors/odoo-in", Key = "guess" }).ResponseAsync);

        Assert.Equal([System.Net.HttpStatusCode.Forbidden, System.Net.HttpStatusCode.Forbidden, System.Net.HttpStatusCode.Forbidden], new[] { wrong.StatusCode, none.StatusCode, other.StatusCode });
        Assert.Equal(StatusCode.PermissionDenied, grpc.StatusCode);
        Assert.Equal(before, (await InboundAsync()).LastPollTime);
    }
}
