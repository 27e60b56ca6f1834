using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.ShopFloor;

[Collection(ClusterCollection.Name)]
public sealed class ProductionOrderGrainTests(ClusterFixture fixture)
{
    private IProductionOrderGrain Order(out string key)
    {
        key = $"P100/WO-{Guid.NewGuid():N}";
        return fixture.Grains.GetGrain<IProductionOrderGrain>(key);
    }

    [Fact]
    public async Task Released_order_is_read_back_with_version_1()
    {
        var grain = Order(out var key);

        var result = await grain.Release(Commands.Release());

        Assert.Null(result.Error);
        Assert.Equal(1, result.Version);
        var order = await grain.Get();
        Assert.Equal(key, order!.Key);
        Assert.Equal(1, order.Version);
    }

    [Fact]
    public async Task Repeated_release_is_a_duplicate_and_a_reused_message_id_is_refused()
    {
        var grain = Order(out _);
        await grain.Release(Commands.Release());

        var repeat = await grain.Release(Commands.Release());
        var reused = await grain.Release(Commands.Release(quantity: 99));

        Assert.True(repeat.Duplicate);
        Assert.Equal(1, repeat.Version);
        Assert.Equal(DomainErrorCode.MessageIdReused, reused.Error!.Code);
        Assert.Equal(25, (await grain.Get())!.Quantity.Value);
    }

    [Fact]
    public async Task Invalid_release_changes_nothing()
    {
        var grain = Order(out _);

        var result = await grain.Release(Commands.Release() with { Product = "" });

        Assert.Equal(DomainErrorCode.InvalidArgument, result.Error!.Code);
        Assert.Null(await grain.Get());
    }

    [Fact]
    public async Task A_failed_state_write_is_reported_changes_nothing_and_the_retry_applies_once()
    {
        var grain = Order(out _);
        FaultInjectingStorage.FailNextWrites(1);

        await Assert.ThrowsAnyAsync<Exception>(() => grain.Release(Commands.Release()));
        Assert.Null(await grain.Get());

        var retry = await grain.Release(Commands.Release());
        var again = await grain.Release(Commands.Release());

        Assert.False(retry.Duplicate);
        Assert.Equal(1, retry.Version);
        Assert.True(again.Duplicate);
        Assert.Equal(1, (await grain.Get())!.Version);
    }
}
