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
        var client = new ShopFloorService.ShopFloorServiceClient(suite.Gateway);
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
