using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Domain;
using Manufacturing.Quality.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.Quality;

[Collection(ClusterCollection.Name)]
public sealed class LotQualityGrainTests(ClusterFixture fixture)
{
    private static PlaceLotHold Hold(string messageId = "h-1", string reason = "Tensile test out of spec") =>
        new() { Metadata = Commands.Meta(messageId, SourceSystem.Quality), Reason = reason };

    [Fact]
    public async Task Placing_a_hold_blocks_the_lot_in_inventory()
    {
        var key = $"P100/LOT-{Guid.NewGuid():N}";
        await fixture.Grains.GetGrain<ILotGrain>(key).Receive(Commands.Receive());

        var result = await fixture.Grains.GetGrain<ILotQualityGrain>(key).PlaceHold(Hold());

        Assert.Null(result.Error);
        Assert.Equal(LotStatus.Blocked, result.Resource!.Status);
        Assert.Equal(LotStatus.Blocked, (await fixture.Grains.GetGrain<ILotGrain>(key).Get())!.Status);
    }

    [Fact]
    public async Task A_repeated_hold_is_a_duplicate_and_the_lot_version_moves_once()
    {
        var key = $"P100/LOT-{Guid.NewGuid():N}";
        await fixture.Grains.GetGrain<ILotGrain>(key).Receive(Commands.Receive());
        var quality = fixture.Grains.GetGrain<ILotQualityGrain>(key);

        var first = await quality.PlaceHold(Hold());
        var repeat = await quality.PlaceHold(Hold());

        Assert.False(first.Duplicate);
        Assert.True(repeat.Duplicate);
        Assert.Equal(first.Version, repeat.Version);
        Assert.Equal(2, (await fixture.Grains.GetGrain<ILotGrain>(key).Get())!.Version);
    }

    [Fact]
    public async Task A_hold_on_an_unknown_lot_is_not_found_and_records_nothing()
    {
        var key = $"P100/LOT-{Guid.NewGuid():N}";
        var quality = fixture.Grains.GetGrain<ILotQualityGrain>(key);

        var refused = await quality.PlaceHold(Hold());
        await fixture.Grains.GetGrain<ILotGrain>(key).Receive(Commands.Receive());
        var later = await quality.PlaceHold(Hold());

        Assert.Equal(DomainErrorCode.NotFound, refused.Error!.Code);
        Assert.Null(later.Error);
        Assert.False(later.Duplicate);
    }
}
