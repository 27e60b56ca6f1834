using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Manufacturing.Common.V1;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.ShopFloor.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>An order's life on the shop floor, through the gateway, persisted in PostgreSQL.</summary>
[Collection(SuiteCollection.Name)]
public sealed class ProductionOrderExecutionTests(SuiteFixture suite)
{
    private ShopFloorService.ShopFloorServiceClient Erp => new(suite.As("odoo"));

    private ShopFloorService.ShopFloorServiceClient Mes => new(suite.As("mes"));

    private static CommandMetadata At(int minutes) => new()
    {
        MessageId = Unique("mes"),
        OccurredAt = Timestamp.FromDateTime(new DateTime(2026, 12, 1, 6, 0, 0, DateTimeKind.Utc).AddMinutes(minutes)),
    };

    private static Quantity Ea(string value) => new() { Value = value, UnitOfMeasure = "EA" };

    [Fact]
    public async Task Released_order_runs_pauses_completes_out_of_order_and_closes()
    {
        var released = await Erp.ReleaseProductionOrderAsync(Release(Unique("WO")));
        var name = released.ProductionOrder.Name;

        var start = new StartOperationRequest { ProductionOrder = name, OperationId = "0010", Metadata = At(0) };
        var started = await Mes.StartOperationAsync(start);
        Assert.Equal(ProductionOrderState.InProgress, started.ProductionOrder.State);
        Assert.Equal(OperationState.Running, started.ProductionOrder.Operations[0].State);
        Assert.True((await Mes.StartOperationAsync(start)).Outcome.Duplicate);

        var paused = await Mes.PauseOperationAsync(new PauseOperationRequest { ProductionOrder = name, OperationId = "0010", Reason = "BREAKDOWN", Metadata = At(10) });
        Assert.Equal(ProductionOrderState.Paused, paused.ProductionOrder.State);
        await Mes.ResumeOperationAsync(new ResumeOperationRequest { ProductionOrder = name, OperationId = "0010", Metadata = At(25) });
        await Mes.CompleteOperationAsync(new CompleteOperationRequest
        {
            ProductionOrder = name, OperationId = "0010", GoodQuantity = Ea("24"), ScrapQuantity = Ea("1"), ScrapReason = "WELD_DEFECT", Metadata = At(60),
        });

        // 0020 was never reported started: its completion is accepted with an inferred start.
        var completed = await Mes.CompleteOperationAsync(new CompleteOperationRequest
        {
            ProductionOrder = name, OperationId = "0020", GoodQuantity = Ea("24"), ScrapQuantity = Ea("0"), Metadata = At(120),
        });
        Assert.Equal(ProductionOrderState.Completed, completed.ProductionOrder.State);
        Assert.True(completed.ProductionOrder.Operations[1].StartInferred);

        var amend = await Assert.ThrowsAsync<RpcException>(() => Erp.AmendProductionOrderAsync(
            new AmendProductionOrderRequest { Name = name, Quantity = Ea("30"), Metadata = At(130) }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, amend.StatusCode);
        Assert.Equal("ORDER_COMPLETED", amend.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations[0].Type);

        var closed = await Erp.CloseProductionOrderAsync(new CloseProductionOrderRequest { Name = name, Metadata = At(200) });
        Assert.Equal(ProductionOrderState.Closed, closed.ProductionOrder.State);

        var read = (await Mes.GetProductionOrderAsync(new GetProductionOrderRequest { Name = name })).ProductionOrder;
        Assert.Equal("24", read.Operations[0].GoodQuantity.Value);
        Assert.Equal("1", read.Operations[0].ScrapQuantity.Value);
        Assert.Equal("WELD_DEFECT", read.Operations[0].ScrapReason);
        Assert.Equal(closed.ProductionOrder, read);
    }

    [Fact]
    public async Task Pausing_an_operation_that_never_started_is_failed_precondition_and_changes_nothing()
    {
        var released = await Erp.ReleaseProductionOrderAsync(Release(Unique("WO")));

        var error = await Assert.ThrowsAsync<RpcException>(() => Mes.PauseOperationAsync(new PauseOperationRequest
        {
            ProductionOrder = released.ProductionOrder.Name, OperationId = "0010", Reason = "BREAKDOWN", Metadata = At(5),
        }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("OPERATION_NOT_STARTED", error.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations[0].Type);
        var read = await Mes.GetProductionOrderAsync(new GetProductionOrderRequest { Name = released.ProductionOrder.Name });
        Assert.Equal(released.ProductionOrder, read.ProductionOrder);
    }

    [Fact]
    public async Task Amend_before_execution_and_cancel_are_versioned_changes()
    {
        var released = await Erp.ReleaseProductionOrderAsync(Release(Unique("WO")));
        var name = released.ProductionOrder.Name;

        var amended = await Erp.AmendProductionOrderAsync(new AmendProductionOrderRequest { Name = name, Quantity = Ea("30"), Metadata = At(1) });
        var cancelled = await Erp.CancelProductionOrderAsync(new CancelProductionOrderRequest { Name = name, Reason = "customer order withdrawn", Metadata = At(2) });
        var start = await Assert.ThrowsAsync<RpcException>(() => Mes.StartOperationAsync(
            new StartOperationRequest { ProductionOrder = name, OperationId = "0010", Metadata = At(3) }).ResponseAsync);

        Assert.Equal("30", amended.ProductionOrder.Quantity.Value);
        Assert.Equal(2, amended.ProductionOrder.Version);
        Assert.Equal(1, amended.ProductionOrder.AmendmentCount);
        Assert.Equal(ProductionOrderState.Cancelled, cancelled.ProductionOrder.State);
        Assert.Equal(3, cancelled.ProductionOrder.Version);
        Assert.Equal(StatusCode.FailedPrecondition, start.StatusCode);
    }

    [Fact]
    public async Task Completion_in_another_unit_or_for_an_unknown_operation_is_refused()
    {
        var released = await Erp.ReleaseProductionOrderAsync(Release(Unique("WO")));
        var name = released.ProductionOrder.Name;

        var unit = await Assert.ThrowsAsync<RpcException>(() => Mes.CompleteOperationAsync(new CompleteOperationRequest
        {
            ProductionOrder = name, OperationId = "0010", GoodQuantity = new Quantity { Value = "3", UnitOfMeasure = "KG" }, ScrapQuantity = Ea("0"), Metadata = At(1),
        }).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Mes.StartOperationAsync(
            new StartOperationRequest { ProductionOrder = name, OperationId = "0099", Metadata = At(2) }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, unit.StatusCode);
        Assert.Equal("good_quantity.unit_of_measure", Assert.Single(unit.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }
}
