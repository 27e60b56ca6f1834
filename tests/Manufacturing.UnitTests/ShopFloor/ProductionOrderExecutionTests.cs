using Manufacturing.Domain;
using Manufacturing.ShopFloor.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.ShopFloor;

/// <summary>Every operation event against every operation state, and the ERP's commands against every order state.</summary>
public sealed class ProductionOrderExecutionTests
{
    private const string Key = "P100/WO-1";
    private static readonly DateTimeOffset T0 = Commands.At.AddHours(1);

    private static ProductionOrder Released() =>
        ProductionOrderRules.Release(Key, null, Commands.Release()).Next!.WithVersion(1);

    private static ProductionOrder WithFirstOperation(OperationStatus status, bool inferred = false)
    {
        var order = Released();
        var op = order.Operations[0] with
        {
            Status = status,
            StartedAt = status == OperationStatus.Pending ? null : T0,
            CompletedAt = status == OperationStatus.Completed ? T0.AddHours(1) : null,
            StartInferred = inferred,
        };
        var operations = order.Operations.SetItem(0, op);
        return order with { Operations = operations, Status = ProductionOrderExecution.Derive(operations) };
    }

    private static CommandMetadata At(DateTimeOffset when) => new("e-1", when);

    private static readonly Quantity Good = new(24, "EA");
    private static readonly Quantity NoScrap = new(0, "EA");

    public static TheoryData<string, OperationStatus, string, OperationStatus?> OperationTransitions => new()
    {
        // event, from, expected outcome ("applied", "unchanged" or the refused precondition), resulting status
        { "start", OperationStatus.Pending, "applied", OperationStatus.Running },
        { "start", OperationStatus.Running, "unchanged", null },
        { "start", OperationStatus.Paused, "OPERATION_PAUSED", null },
        { "start", OperationStatus.Completed, "OPERATION_COMPLETED", null },
        { "pause", OperationStatus.Pending, "OPERATION_NOT_STARTED", null },
        { "pause", OperationStatus.Running, "applied", OperationStatus.Paused },
        { "pause", OperationStatus.Paused, "unchanged", null },
        { "pause", OperationStatus.Completed, "OPERATION_COMPLETED", null },
        { "resume", OperationStatus.Pending, "OPERATION_NOT_STARTED", null },
        { "resume", OperationStatus.Running, "unchanged", null },
        { "resume", OperationStatus.Paused, "applied", OperationStatus.Running },
        { "resume", OperationStatus.Completed, "OPERATION_COMPLETED", null },
        { "complete", OperationStatus.Pending, "applied", OperationStatus.Completed },
        { "complete", OperationStatus.Running, "applied", OperationStatus.Completed },
        { "complete", OperationStatus.Paused, "applied", OperationStatus.Completed },
        { "complete", OperationStatus.Completed, "OPERATION_COMPLETED", null },
    };

    [Theory]
    [MemberData(nameof(OperationTransitions))]
    public void Operation_events_follow_the_state_machine(string @event, OperationStatus from, string outcome, OperationStatus? to)
    {
        var order = WithFirstOperation(from);
        var metadata = At(T0.AddMinutes(30));
        var transition = @event switch
        {
            "start" => ProductionOrderExecution.Start(Key, order, new StartOperation { Metadata = metadata, OperationId = "0010" }),
            "pause" => ProductionOrderExecution.Pause(Key, order, new PauseOperation { Metadata = metadata, OperationId = "0010", Reason = "BREAKDOWN" }),
            "resume" => ProductionOrderExecution.Resume(Key, order, new ResumeOperation { Metadata = metadata, OperationId = "0010" }),
            _ => ProductionOrderExecution.Complete(Key, order, new CompleteOperation { Metadata = metadata, OperationId = "0010", Good = Good, Scrap = NoScrap }),
        };

        switch (outcome)
        {
            case "applied":
                Assert.Null(transition.Error);
                Assert.Equal(to, transition.Next!.Operations[0].Status);
                break;
            case "unchanged":
                Assert.Null(transition.Error);
                Assert.Null(transition.Next);
                break;
            default:
                Assert.Equal(DomainErrorCode.InvalidState, transition.Error!.Code);
                Assert.Equal(outcome, transition.Error.Precondition);
                break;
        }
    }

    [Fact]
    public void Order_status_follows_its_operations()
    {
        var order = Released();
        Assert.Equal(ProductionOrderStatus.Released, order.Status);

        order = ProductionOrderExecution.Start(Key, order, new StartOperation { Metadata = At(T0), OperationId = "0010" }).Next!;
        Assert.Equal(ProductionOrderStatus.InProgress, order.Status);

        order = ProductionOrderExecution.Pause(Key, order, new PauseOperation { Metadata = At(T0.AddMinutes(5)), OperationId = "0010", Reason = "SHIFT_CHANGE" }).Next!;
        Assert.Equal(ProductionOrderStatus.Paused, order.Status);
        Assert.Equal("SHIFT_CHANGE", order.Operations[0].PauseReason);

        order = ProductionOrderExecution.Resume(Key, order, new ResumeOperation { Metadata = At(T0.AddMinutes(20)), OperationId = "0010" }).Next!;
        order = ProductionOrderExecution.Complete(Key, order, new CompleteOperation { Metadata = At(T0.AddHours(1)), OperationId = "0010", Good = Good, Scrap = new Quantity(1, "EA"), ScrapReason = "WELD_DEFECT" }).Next!;
        Assert.Equal(ProductionOrderStatus.InProgress, order.Status);

        order = ProductionOrderExecution.Complete(Key, order, new CompleteOperation { Metadata = At(T0.AddHours(2)), OperationId = "0020", Good = Good, Scrap = NoScrap }).Next!;
        Assert.Equal(ProductionOrderStatus.Completed, order.Status);

        order = ProductionOrderExecution.Close(Key, order, new CloseProductionOrder { Metadata = At(T0.AddHours(3)) }).Next!;
        Assert.Equal(ProductionOrderStatus.Closed, order.Status);
    }

    [Fact]
    public void A_completion_before_its_start_infers_the_start_and_a_late_start_supplies_the_real_time()
    {
        var completed = ProductionOrderExecution.Complete(Key, Released(),
            new CompleteOperation { Metadata = At(T0.AddHours(1)), OperationId = "0010", Good = Good, Scrap = NoScrap }).Next!;
        Assert.True(completed.Operations[0].StartInferred);
        Assert.Equal(T0.AddHours(1), completed.Operations[0].StartedAt);

        var lateStart = ProductionOrderExecution.Start(Key, completed, new StartOperation { Metadata = At(T0), OperationId = "0010" }).Next!;
        Assert.False(lateStart.Operations[0].StartInferred);
        Assert.Equal(T0, lateStart.Operations[0].StartedAt);
        Assert.Equal(OperationStatus.Completed, lateStart.Operations[0].Status);

        var startAfterCompletion = ProductionOrderExecution.Start(Key, completed, new StartOperation { Metadata = At(T0.AddHours(2)), OperationId = "0010" });
        Assert.Equal("OPERATION_COMPLETED", startAfterCompletion.Error!.Precondition);
    }

    [Theory]
    [InlineData(ProductionOrderStatus.Cancelled, "ORDER_CANCELLED")]
    [InlineData(ProductionOrderStatus.Closed, "ORDER_CLOSED")]
    public void Cancelled_and_closed_orders_take_no_execution_events(ProductionOrderStatus status, string precondition)
    {
        var order = Released() with { Status = status };

        var transition = ProductionOrderExecution.Start(Key, order, new StartOperation { Metadata = At(T0), OperationId = "0010" });

        Assert.Equal(precondition, transition.Error!.Precondition);
    }

    [Fact]
    public void Events_for_an_unknown_order_or_operation_are_not_found()
    {
        Assert.Equal(DomainErrorCode.NotFound, ProductionOrderExecution.Start(Key, null, new StartOperation { Metadata = At(T0), OperationId = "0010" }).Error!.Code);
        Assert.Equal(DomainErrorCode.NotFound, ProductionOrderExecution.Start(Key, Released(), new StartOperation { Metadata = At(T0), OperationId = "9999" }).Error!.Code);
    }

    public static TheoryData<string, CompleteOperation> InvalidCompletions => new()
    {
        { "good_quantity.unit_of_measure", new CompleteOperation { Metadata = At(T0), OperationId = "0010", Good = new Quantity(1, "KG"), Scrap = NoScrap } },
        { "good_quantity.value", new CompleteOperation { Metadata = At(T0), OperationId = "0010", Good = new Quantity(-1, "EA"), Scrap = NoScrap } },
        { "good_quantity.value", new CompleteOperation { Metadata = At(T0), OperationId = "0010", Good = NoScrap, Scrap = NoScrap } },
        { "scrap_reason", new CompleteOperation { Metadata = At(T0), OperationId = "0010", Good = Good, Scrap = new Quantity(2, "EA") } },
    };

    [Theory]
    [MemberData(nameof(InvalidCompletions))]
    public void Invalid_completion_is_refused_naming_the_field(string field, CompleteOperation command)
    {
        var transition = ProductionOrderExecution.Complete(Key, Released(), command);

        Assert.Equal(DomainErrorCode.InvalidArgument, transition.Error!.Code);
        Assert.Contains(field, transition.Error.Violations.Select(v => v.Field));
    }

    [Theory]
    [InlineData(OperationStatus.Pending, true)]
    [InlineData(OperationStatus.Running, true)]
    [InlineData(OperationStatus.Completed, false)]
    public void Amendments_apply_until_the_order_is_completed(OperationStatus firstOperation, bool applies)
    {
        var order = WithFirstOperation(firstOperation);
        if (firstOperation == OperationStatus.Completed)
        {
            var operations = order.Operations.SetItem(1, order.Operations[1] with { Status = OperationStatus.Completed });
            order = order with { Operations = operations, Status = ProductionOrderExecution.Derive(operations) };
        }

        var transition = ProductionOrderExecution.Amend(Key, order, new AmendProductionOrder { Metadata = At(T0), Quantity = new Quantity(30, "EA") });

        if (applies)
        {
            Assert.Equal(30, transition.Next!.Quantity.Value);
            Assert.Equal(1, transition.Next.Amendments);
        }
        else
        {
            Assert.Equal("ORDER_COMPLETED", transition.Error!.Precondition);
        }
    }

    [Fact]
    public void Amendment_must_change_something_consistent()
    {
        var order = Released();

        Assert.Equal(DomainErrorCode.InvalidArgument, ProductionOrderExecution.Amend(Key, order, new AmendProductionOrder { Metadata = At(T0) }).Error!.Code);
        Assert.Contains("planned_end_time", ProductionOrderExecution.Amend(Key, order,
            new AmendProductionOrder { Metadata = At(T0), PlannedEnd = order.PlannedStart.AddHours(-1) }).Error!.Violations.Select(v => v.Field));
        Assert.Null(ProductionOrderExecution.Amend(Key, order, new AmendProductionOrder { Metadata = At(T0), Quantity = order.Quantity }).Next);
    }

    [Theory]
    [InlineData(OperationStatus.Pending, null)]
    [InlineData(OperationStatus.Running, "ORDER_IN_EXECUTION")]
    public void Cancel_only_before_execution(OperationStatus firstOperation, string? refusal)
    {
        var transition = ProductionOrderExecution.Cancel(Key, WithFirstOperation(firstOperation), new CancelProductionOrder { Metadata = At(T0), Reason = "customer order withdrawn" });

        if (refusal is null)
        {
            Assert.Equal(ProductionOrderStatus.Cancelled, transition.Next!.Status);
        }
        else
        {
            Assert.Equal(refusal, transition.Error!.Precondition);
        }
    }

    [Fact]
    public void Close_only_after_completion()
    {
        Assert.Equal("ORDER_NOT_COMPLETED", ProductionOrderExecution.Close(Key, Released(), new CloseProductionOrder { Metadata = At(T0) }).Error!.Precondition);
    }
}
