using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Rpc;
using Grpc.Core;
using Manufacturing.Common.V1;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.Inventory.V1;
using Manufacturing.ShopFloor.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>
/// A consumption from a lot inventory does not know yet, through the gateway and PostgreSQL: parked
/// as an exception (nothing drawn down), listed, and approved over REST once the lot is received.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class ProductionOrderExceptionTests(SuiteFixture suite)
{
    private static Manufacturing.Common.V1.Quantity Ea(string value) => new() { Value = value, UnitOfMeasure = "EA" };

    [Fact]
    public async Task An_unknown_lot_is_parked_listed_and_approved_over_rest_once_received()
    {
        var mes = new ShopFloorService.ShopFloorServiceClient(suite.As("mes"));
        var order = (await new ShopFloorService.ShopFloorServiceClient(suite.As("odoo")).ReleaseProductionOrderAsync(Release(Unique("WO")))).ProductionOrder;
        var lotId = Unique("RM");
        var consume = new ConsumeMaterialRequest { ProductionOrder = order.Name, Component = "FRAME-26", LotId = lotId, Quantity = Ea("5"), Metadata = Metadata() };

        var parked = await Assert.ThrowsAsync<RpcException>(() => mes.ConsumeMaterialAsync(consume).ResponseAsync);
        var retried = await Assert.ThrowsAsync<RpcException>(() => mes.ConsumeMaterialAsync(consume).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, parked.StatusCode);
        var info = parked.GetRpcStatus()!.GetDetail<ErrorInfo>();
        var exceptionName = $"{order.Name}/exceptions/1";
        Assert.Equal(("PARKED_AS_EXCEPTION", exceptionName), (info.Reason, info.Metadata["exception"]));
        Assert.Equal(exceptionName, retried.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["exception"]);
        var held = (await mes.GetProductionOrderAsync(new GetProductionOrderRequest { Name = order.Name })).ProductionOrder;
        Assert.Empty(held.Consumptions);
        Assert.Equal(("UNKNOWN_LOT", ExceptionState.Open, "mes", lotId), (held.Exceptions[0].Kind, held.Exceptions[0].State, held.Exceptions[0].SourceSystem, held.Exceptions[0].Arrived["lot_id"]));

        var listed = await Eventually(() => mes.ListProductionOrderExceptionsAsync(new ListProductionOrderExceptionsRequest
        {
            Parent = "plants/P100", Kind = "UNKNOWN_LOT", State = ExceptionState.Open, PageSize = 500,
        }).ResponseAsync, r => r.Exceptions.Any(e => e.Name == exceptionName));
        Assert.Equal("mes", listed.Exceptions.Single(e => e.Name == exceptionName).SourceSystem);

        // The receipt is posted late; a reviewer approves over REST, twice: drawn down once.
        await new InventoryService.InventoryServiceClient(suite.As("warehouse")).ReceiveLotAsync(new ReceiveLotRequest
        {
            Parent = "plants/P100", LotId = lotId, Material = "FRAME-26", Quantity = Ea("40"), Location = "STORE-01", Metadata = Metadata(),
        });
        var messageId = Unique("rev");
        var reviewer = suite.HttpAs("reviewer");
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var approve = new HttpRequestMessage(HttpMethod.Post, $"/shop-floor/v1/{exceptionName}:resolve")
            {
                Content = JsonContent.Create(new
                {
                    resolution = "EXCEPTION_RESOLUTION_APPROVE",
                    reviewer = "planner.jo",
                    note = "receipt posted late",
                    metadata = new { messageId, occurredAt = "2026-11-23T09:00:00Z" },
                }),
            };
            using var response = await reviewer.SendAsync(approve);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(attempt == 1, body.GetProperty("outcome").TryGetProperty("duplicate", out var duplicate) && duplicate.GetBoolean());
        }

        var resolved = (await mes.GetProductionOrderAsync(new GetProductionOrderRequest { Name = order.Name })).ProductionOrder;
        Assert.Equal((ExceptionState.Approved, "planner.jo"), (resolved.Exceptions[0].State, resolved.Exceptions[0].Reviewer));
        Assert.Equal(exceptionName, Assert.Single(resolved.Consumptions).Exception);
        var lot = (await new InventoryService.InventoryServiceClient(suite.As("warehouse")).GetLotAsync(new GetLotRequest { Name = $"plants/P100/lots/{lotId}" })).Lot;
        Assert.Equal("35", lot.QuantityOnHand.Value);
    }

    [Fact]
    public async Task A_malformed_exception_name_is_invalid_argument_naming_the_field()
    {
        var reviewer = new ShopFloorService.ShopFloorServiceClient(suite.As("reviewer"));

        var error = await Assert.ThrowsAsync<RpcException>(() => reviewer.ResolveProductionOrderExceptionAsync(new ResolveProductionOrderExceptionRequest
        {
            Name = "plants/P100/purchaseOrders/4500/exceptions/1", Resolution = ExceptionResolution.Approve, Reviewer = "planner.jo", Metadata = Metadata(),
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("name", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }
}
