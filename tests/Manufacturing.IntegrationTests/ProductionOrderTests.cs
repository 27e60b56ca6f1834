using Google.Rpc;
using Grpc.Core;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.ShopFloor.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>Production orders over real gRPC through the gateway, stored in PostgreSQL.</summary>
[Collection(SuiteCollection.Name)]
public sealed class ProductionOrderTests(SuiteFixture suite)
{
    private ShopFloorService.ShopFloorServiceClient Client => new(suite.As("odoo"));

    [Fact]
    public async Task Released_order_is_stored_in_postgresql_and_read_back_through_the_gateway()
    {
        var id = Unique("WO");
        var released = await Client.ReleaseProductionOrderAsync(Release(id));

        Assert.False(released.Outcome.Duplicate);
        Assert.Equal(1, released.Outcome.ResourceVersion);
        Assert.Equal($"plants/P100/productionOrders/{id}", released.ProductionOrder.Name);
        Assert.Equal(ProductionOrderState.Released, released.ProductionOrder.State);

        var read = await Client.GetProductionOrderAsync(new GetProductionOrderRequest { Name = released.ProductionOrder.Name });
        Assert.Equal(released.ProductionOrder, read.ProductionOrder);
        Assert.Equal("0.125", read.ProductionOrder.Components[1].QuantityPerUnit.Value);
        Assert.Equal(1, await StoredRows(suite.ConnectionString, $"P100/{id}"));
    }

    [Fact]
    public async Task Repeat_with_the_same_message_id_returns_the_first_outcome_marked_duplicate()
    {
        var id = Unique("WO");
        var request = Release(id);
        var first = await Client.ReleaseProductionOrderAsync(request);
        var repeat = await Client.ReleaseProductionOrderAsync(request);

        Assert.True(repeat.Outcome.Duplicate);
        Assert.Equal(first.Outcome.ResourceVersion, repeat.Outcome.ResourceVersion);
        Assert.Equal(first.ProductionOrder, repeat.ProductionOrder);
    }

    [Fact]
    public async Task Same_message_id_with_a_different_payload_is_already_exists_and_changes_nothing()
    {
        var id = Unique("WO");
        var request = Release(id);
        await Client.ReleaseProductionOrderAsync(request);

        var reused = Release(id, request.Metadata.MessageId, quantity: "30");
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ReleaseProductionOrderAsync(reused).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Equal("MESSAGE_ID_REUSED", error.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        var read = await Client.GetProductionOrderAsync(new GetProductionOrderRequest { Name = $"plants/P100/productionOrders/{id}" });
        Assert.Equal("25", read.ProductionOrder.Quantity.Value);
        Assert.Equal(1, read.ProductionOrder.Version);
    }

    [Fact]
    public async Task Releasing_an_existing_order_under_a_new_message_id_is_already_exists()
    {
        var id = Unique("WO");
        await Client.ReleaseProductionOrderAsync(Release(id));

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ReleaseProductionOrderAsync(Release(id)).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        var status = error.GetRpcStatus()!;
        Assert.Equal("RESOURCE_ALREADY_EXISTS", status.GetDetail<ErrorInfo>().Reason);
        Assert.Equal($"plants/P100/productionOrders/{id}", status.GetDetail<ResourceInfo>().ResourceName);
    }

    [Fact]
    public async Task Invalid_release_is_invalid_argument_naming_each_field_and_stores_nothing()
    {
        var id = Unique("WO");
        var request = Release(id);
        request.ProductionOrder.Quantity.Value = "-5";
        request.ProductionOrder.Quantity.UnitOfMeasure = "each";
        request.ProductionOrder.PlannedEndTime = null;
        request.Metadata.MessageId = "";

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ReleaseProductionOrderAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            "production_order.quantity.value",
            "production_order.quantity.unit_of_measure",
            "production_order.planned_end_time",
            "metadata.message_id",
        }, fields);
        var notFound = await Assert.ThrowsAsync<RpcException>(() =>
            Client.GetProductionOrderAsync(new GetProductionOrderRequest { Name = $"plants/P100/productionOrders/{id}" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, notFound.StatusCode);
        Assert.Equal(0, await StoredRows(suite.ConnectionString, $"P100/{id}"));
    }

    [Fact]
    public async Task Domain_rule_violations_are_invalid_argument_too()
    {
        var request = Release(Unique("WO"));
        request.ProductionOrder.Components.Add(request.ProductionOrder.Components[0].Clone());
        request.ProductionOrder.PlannedEndTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(new DateTime(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc));

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ReleaseProductionOrderAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToList();
        Assert.Contains("production_order.components[2].material", fields);
        Assert.Contains("production_order.planned_end_time", fields);
    }

    [Theory]
    [InlineData("")]
    [InlineData("plants/P100")]
    [InlineData("plants/P100/lots/WO-1")]
    [InlineData("plants/P 100/productionOrders/WO-1")]
    public async Task Malformed_order_name_is_invalid_argument(string name)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.GetProductionOrderAsync(new GetProductionOrderRequest { Name = name }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("name", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }
}
