using Google.Rpc;
using Grpc.Core;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.ShopFloor.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>State and idempotency memory live in PostgreSQL, not in the process.</summary>
[Collection(SuiteCollection.Name)]
public sealed class RestartTests(SuiteFixture suite)
{
    [Fact]
    public async Task Order_and_its_idempotency_memory_survive_killing_and_restarting_the_shop_floor_host()
    {
        var client = new ShopFloorService.ShopFloorServiceClient(suite.As("odoo"));
        var request = Release(Unique("WO"));
        var released = await client.ReleaseProductionOrderAsync(request);

        var host = suite.Host("shop-floor");
        host.Kill();
        host.Start();
        await suite.WaitUntilHostHealthyAsync("shop-floor", TimeSpan.FromSeconds(60));
        await suite.WaitUntilGatewayHealthyAsync(TimeSpan.FromSeconds(30));

        var read = await client.GetProductionOrderAsync(new GetProductionOrderRequest { Name = released.ProductionOrder.Name });
        Assert.Equal(released.ProductionOrder, read.ProductionOrder);
        var repeat = await client.ReleaseProductionOrderAsync(request);
        Assert.True(repeat.Outcome.Duplicate, "after the restart, the repeated release must be recognised as a duplicate");
        Assert.Equal(1, repeat.Outcome.ResourceVersion);
    }
}

/// <summary>When no silo hosts a grain type, callers get UNAVAILABLE (retryable), and service resumes when the host returns.</summary>
[Collection(SuiteCollection.Name)]
public sealed class MissingHostTests(SuiteFixture suite)
{
    [Fact]
    public async Task Blocking_a_lot_while_inventory_is_down_is_unavailable_and_the_retry_applies_once_it_is_back()
    {
        var inventory = new Manufacturing.Inventory.V1.InventoryService.InventoryServiceClient(suite.As("warehouse"));
        var quality = new Manufacturing.Quality.V1.QualityService.QualityServiceClient(suite.As("quality"));
        var lotId = Unique("LOT");
        await inventory.ReceiveLotAsync(new Manufacturing.Inventory.V1.ReceiveLotRequest
        {
            Parent = "plants/P100",
            LotId = lotId,
            Material = "STEEL-S235",
            Quantity = new Manufacturing.Common.V1.Quantity { Value = "10", UnitOfMeasure = "KG" },
            Location = "RECV-01",
            Metadata = Metadata(),
        });
        var block = new Manufacturing.Quality.V1.BlockLotRequest { Lot = $"plants/P100/lots/{lotId}", Reason = "suspect", Metadata = Metadata() };

        var host = suite.Host("inventory");
        await host.StopAsync(TimeSpan.FromSeconds(30));
        try
        {
            var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() =>
                quality.BlockLotAsync(block, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
            Assert.Equal(Grpc.Core.StatusCode.Unavailable, error.StatusCode);
            Assert.Equal("TEMPORARILY_UNAVAILABLE", error.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        }
        finally
        {
            host.Start();
            await suite.WaitUntilHostHealthyAsync("inventory", TimeSpan.FromSeconds(60));
            await suite.WaitUntilGatewayHealthyAsync(TimeSpan.FromSeconds(30));
        }

        var retried = await quality.BlockLotAsync(block);
        Assert.Equal(Manufacturing.Inventory.V1.LotStatus.Blocked, retried.Lot.Status);
        Assert.Equal(2, retried.Lot.Version);
    }
}
