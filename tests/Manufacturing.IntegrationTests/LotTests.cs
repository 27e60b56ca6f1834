using Google.Rpc;
using Grpc.Core;
using Manufacturing.Common.V1;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.Inventory.V1;
using Manufacturing.Quality.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>Lots received by inventory and blocked by quality, whose grain calls the lot grain on the inventory silo.</summary>
[Collection(SuiteCollection.Name)]
public sealed class LotTests(SuiteFixture suite)
{
    private InventoryService.InventoryServiceClient Inventory => new(suite.As("warehouse"));

    private QualityService.QualityServiceClient Quality => new(suite.As("quality"));

    private async Task<Lot> ReceiveAsync(string lotId)
    {
        var response = await Inventory.ReceiveLotAsync(new ReceiveLotRequest
        {
            Parent = "plants/P100",
            LotId = lotId,
            Material = "STEEL-S235",
            Quantity = new Quantity { Value = "1250.5", UnitOfMeasure = "KG" },
            Location = "RECV-01",
            SupplierLot = "SUP-88",
            ExpiryDate = new Google.Type.Date { Year = 2027, Month = 6, Day = 30 },
            Metadata = Metadata(),
        });
        return response.Lot;
    }

    [Fact]
    public async Task Received_lot_is_available_at_its_location()
    {
        var lot = await ReceiveAsync(Unique("LOT"));

        Assert.Equal(LotStatus.Available, lot.Status);
        Assert.Equal("1250.5", lot.QuantityOnHand.Value);
        Assert.Equal("RECV-01", Assert.Single(lot.Stock).Location);
        var read = await Inventory.GetLotAsync(new GetLotRequest { Name = lot.Name });
        Assert.Equal(lot, read.Lot);
    }

    [Fact]
    public async Task Blocking_through_quality_blocks_the_lot_in_inventory_across_silos()
    {
        var lot = await ReceiveAsync(Unique("LOT"));
        var block = new BlockLotRequest { Lot = lot.Name, Reason = "Tensile test out of spec", Metadata = Metadata() };

        var blocked = await Quality.BlockLotAsync(block);

        Assert.Equal(LotStatus.Blocked, blocked.Lot.Status);
        Assert.False(blocked.Outcome.Duplicate);
        var read = await Inventory.GetLotAsync(new GetLotRequest { Name = lot.Name });
        Assert.Equal(LotStatus.Blocked, read.Lot.Status);
        Assert.Equal("Tensile test out of spec", read.Lot.StatusReason);
        Assert.Equal(2, read.Lot.Version);

        var repeat = await Quality.BlockLotAsync(block);
        Assert.True(repeat.Outcome.Duplicate);
        Assert.Equal(2, (await Inventory.GetLotAsync(new GetLotRequest { Name = lot.Name })).Lot.Version);
    }

    [Fact]
    public async Task Blocking_an_unknown_lot_is_not_found()
    {
        var name = $"plants/P100/lots/{Unique("LOT")}";

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Quality.BlockLotAsync(new BlockLotRequest { Lot = name, Reason = "suspect", Metadata = Metadata() }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Block_without_a_reason_is_invalid_argument_and_leaves_the_lot_available()
    {
        var lot = await ReceiveAsync(Unique("LOT"));

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Quality.BlockLotAsync(new BlockLotRequest { Lot = lot.Name, Reason = "", Metadata = Metadata() }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("reason", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.Equal(LotStatus.Available, (await Inventory.GetLotAsync(new GetLotRequest { Name = lot.Name })).Lot.Status);
    }

    [Fact]
    public async Task Receipt_with_a_bad_quantity_is_invalid_argument_and_stores_nothing()
    {
        var lotId = Unique("LOT");
        var error = await Assert.ThrowsAsync<RpcException>(() => Inventory.ReceiveLotAsync(new ReceiveLotRequest
        {
            Parent = "plants/P100",
            LotId = lotId,
            Material = "STEEL-S235",
            Quantity = new Quantity { Value = "1e3", UnitOfMeasure = "KG" },
            Location = "RECV-01",
            Metadata = Metadata(),
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("quantity.value", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.Equal(0, await StoredRows(suite.ConnectionString, $"P100/{lotId}"));
    }
}
