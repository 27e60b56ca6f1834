using System.Collections.Immutable;
using Manufacturing.Domain;

namespace Manufacturing.ShopFloor.Domain;

/// <summary>
/// The production order's execution state machine: the MES's operation events and the ERP's
/// amendments, cancellation and closing. Pure: the grain loads, calls these, and persists.
/// </summary>
/// <remarks>
/// Out-of-order and repeated events (plants resend, links drop, some MES report only completions):
/// <list type="bullet">
/// <item>A completion of an operation that never started is accepted: the start is inferred at the
/// completion time and marked so. A start arriving later, from before the completion, supplies the
/// real start time; any other event for a completed operation is refused (FAILED_PRECONDITION).</item>
/// <item>A pause or resume of an operation that never started is refused (OPERATION_NOT_STARTED):
/// there is nothing to pause, and inferring a start from a pause would invent production.</item>
/// <item>An event that asks for the state the operation is already in (a second start while
/// running, a second pause while paused) is accepted and changes nothing.</item>
/// <item>Every event for a cancelled or closed order is refused.</item>
/// </list>
/// </remarks>
public static class ProductionOrderExecution
{
    /// <summary>The MES started an operation.</summary>
    public static Transition<ProductionOrder> Start(string key, ProductionOrder? order, StartOperation command) =>
        OnOperation(key, order, command.OperationId, command.Metadata, (o, op) => op.Status switch
        {
            OperationStatus.Pending => With(o, op with { Status = OperationStatus.Running, StartedAt = command.Metadata.OccurredAt }),
            OperationStatus.Running => Transition<ProductionOrder>.Unchanged(),
            OperationStatus.Paused => Refuse("OPERATION_PAUSED", $"Operation {op.OperationId} of {o.Name} is paused; resume it instead of starting it."),
            _ when op.StartInferred && command.Metadata.OccurredAt <= op.CompletedAt =>
                With(o, op with { StartedAt = command.Metadata.OccurredAt, StartInferred = false }),
            _ => Refuse("OPERATION_COMPLETED", $"Operation {op.OperationId} of {o.Name} is already completed."),
        });

    /// <summary>The MES paused a running operation.</summary>
    public static Transition<ProductionOrder> Pause(string key, ProductionOrder? order, PauseOperation command)
    {
        var violations = new Violations();
        violations.RequireText(command.Reason, "reason", 256);
        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        return OnOperation(key, order, command.OperationId, command.Metadata, (o, op) => op.Status switch
        {
            OperationStatus.Running => With(o, op with { Status = OperationStatus.Paused, PauseReason = command.Reason }),
            OperationStatus.Paused => Transition<ProductionOrder>.Unchanged(),
            OperationStatus.Pending => Refuse("OPERATION_NOT_STARTED", $"Operation {op.OperationId} of {o.Name} has not started; it cannot be paused."),
            _ => Refuse("OPERATION_COMPLETED", $"Operation {op.OperationId} of {o.Name} is already completed."),
        });
    }

    /// <summary>The MES resumed a paused operation.</summary>
    public static Transition<ProductionOrder> Resume(string key, ProductionOrder? order, ResumeOperation command) =>
        OnOperation(key, order, command.OperationId, command.Metadata, (o, op) => op.Status switch
        {
            OperationStatus.Paused => With(o, op with { Status = OperationStatus.Running, PauseReason = "" }),
            OperationStatus.Running => Transition<ProductionOrder>.Unchanged(),
            OperationStatus.Pending => Refuse("OPERATION_NOT_STARTED", $"Operation {op.OperationId} of {o.Name} has not started; it cannot be resumed."),
            _ => Refuse("OPERATION_COMPLETED", $"Operation {op.OperationId} of {o.Name} is already completed."),
        });

    /// <summary>The MES completed an operation with its good and scrap quantities (in the order's unit).</summary>
    public static Transition<ProductionOrder> Complete(string key, ProductionOrder? order, CompleteOperation command)
    {
        if (order is not null)
        {
            var violations = new Violations();
            CheckUnit(command.Good, "good_quantity", order, violations);
            CheckUnit(command.Scrap, "scrap_quantity", order, violations);
            if (command.Good.Value < 0)
            {
                violations.Add("good_quantity.value", "must not be negative");
            }

            if (command.Scrap.Value < 0)
            {
                violations.Add("scrap_quantity.value", "must not be negative");
            }

            if (command.Good.Value + command.Scrap.Value <= 0)
            {
                violations.Add("good_quantity.value", "good and scrap quantities cannot both be zero");
            }

            if (command.Scrap.Value > 0)
            {
                violations.RequireText(command.ScrapReason, "scrap_reason", 256);
            }

            if (violations.ToError() is { } invalid)
            {
                return invalid;
            }
        }

        return OnOperation(key, order, command.OperationId, command.Metadata, (o, op) => op.Status switch
        {
            OperationStatus.Completed => Refuse("OPERATION_COMPLETED", $"Operation {op.OperationId} of {o.Name} is already completed."),
            _ => With(o, op with
            {
                Status = OperationStatus.Completed,
                StartedAt = op.StartedAt ?? command.Metadata.OccurredAt,
                StartInferred = op.Status == OperationStatus.Pending,
                CompletedAt = command.Metadata.OccurredAt,
                GoodQuantity = command.Good.Value,
                ScrapQuantity = command.Scrap.Value,
                ScrapReason = command.ScrapReason,
                PauseReason = "",
            }),
        });
    }

    /// <summary>The ERP amends quantity and/or planned dates; refused once the order is completed, closed or cancelled.</summary>
    public static Transition<ProductionOrder> Amend(string key, ProductionOrder? order, AmendProductionOrder command)
    {
        if (order is null)
        {
            return NotFound(key);
        }

        var violations = new Violations();
        if (command.Quantity is null && command.PlannedStart is null && command.PlannedEnd is null)
        {
            violations.Add("quantity", "an amendment must change the quantity, the planned start or the planned end");
        }

        if (command.Quantity is { } quantity)
        {
            CheckUnit(quantity, "quantity", order, violations);
            if (quantity.Value <= 0)
            {
                violations.Add("quantity.value", "must be greater than zero");
            }
        }

        var start = command.PlannedStart ?? order.PlannedStart;
        var end = command.PlannedEnd ?? order.PlannedEnd;
        if (end < start)
        {
            violations.Add(command.PlannedEnd is null ? "planned_start_time" : "planned_end_time", "the planned end must not be before the planned start");
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (order.Status is ProductionOrderStatus.Completed or ProductionOrderStatus.Closed or ProductionOrderStatus.Cancelled)
        {
            return Refuse("ORDER_" + order.Status.ToString().ToUpperInvariant(), $"Production order {order.Name} is {order.Status}; it can no longer be amended.");
        }

        var amended = order with { Quantity = command.Quantity ?? order.Quantity, PlannedStart = start, PlannedEnd = end };
        return amended == order ? Transition<ProductionOrder>.Unchanged() : Transition<ProductionOrder>.To(amended with { Amendments = order.Amendments + 1 });
    }

    /// <summary>The ERP cancels an order; only before any execution.</summary>
    public static Transition<ProductionOrder> Cancel(string key, ProductionOrder? order, CancelProductionOrder command)
    {
        var violations = new Violations();
        violations.RequireText(command.Reason, "reason", 256);
        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        return order switch
        {
            null => NotFound(key),
            { Status: ProductionOrderStatus.Cancelled } => Transition<ProductionOrder>.Unchanged(),
            { Status: ProductionOrderStatus.Released } => Transition<ProductionOrder>.To(order with { Status = ProductionOrderStatus.Cancelled, CancelReason = command.Reason }),
            _ => Refuse("ORDER_IN_EXECUTION", $"Production order {order.Name} is {order.Status}; only an order that has not started can be cancelled."),
        };
    }

    /// <summary>The ERP closes a completed order.</summary>
    public static Transition<ProductionOrder> Close(string key, ProductionOrder? order, CloseProductionOrder command) => order switch
    {
        null => NotFound(key),
        { Status: ProductionOrderStatus.Closed } => Transition<ProductionOrder>.Unchanged(),
        { Status: ProductionOrderStatus.Completed } => Transition<ProductionOrder>.To(order with { Status = ProductionOrderStatus.Closed }),
        _ => Refuse("ORDER_NOT_COMPLETED", $"Production order {order.Name} is {order.Status}; only a completed order can be closed."),
    };

    /// <summary>The order's status as its operations make it.</summary>
    public static ProductionOrderStatus Derive(ImmutableArray<RoutingOperation> operations)
    {
        if (operations.All(o => o.Status == OperationStatus.Completed))
        {
            return ProductionOrderStatus.Completed;
        }

        if (operations.Any(o => o.Status == OperationStatus.Running))
        {
            return ProductionOrderStatus.InProgress;
        }

        if (operations.Any(o => o.Status == OperationStatus.Paused))
        {
            return ProductionOrderStatus.Paused;
        }

        return operations.Any(o => o.Status == OperationStatus.Completed) ? ProductionOrderStatus.InProgress : ProductionOrderStatus.Released;
    }

    private static Transition<ProductionOrder> OnOperation(
        string key, ProductionOrder? order, string operationId, CommandMetadata metadata, Func<ProductionOrder, RoutingOperation, Transition<ProductionOrder>> apply)
    {
        if (order is null)
        {
            return NotFound(key);
        }

        if (order.Status is ProductionOrderStatus.Cancelled or ProductionOrderStatus.Closed)
        {
            return Refuse("ORDER_" + order.Status.ToString().ToUpperInvariant(), $"Production order {order.Name} is {order.Status}; it takes no execution events.");
        }

        var operation = order.Operations.FirstOrDefault(o => o.OperationId == operationId);
        if (operation is null)
        {
            return new DomainError(DomainErrorCode.NotFound, $"Production order {order.Name} has no operation '{operationId}' in its routing.");
        }

        return apply(order, operation);
    }

    private static Transition<ProductionOrder> With(ProductionOrder order, RoutingOperation operation)
    {
        var operations = order.Operations.Replace(order.Operations.First(o => o.OperationId == operation.OperationId), operation);
        return Transition<ProductionOrder>.To(order with { Operations = operations, Status = Derive(operations) });
    }

    private static void CheckUnit(Quantity quantity, string field, ProductionOrder order, Violations violations)
    {
        if (quantity.Unit != order.Quantity.Unit)
        {
            violations.Add($"{field}.unit_of_measure", $"must be the order's unit {order.Quantity.Unit}");
        }
    }

    private static Transition<ProductionOrder> Refuse(string precondition, string message) => DomainError.InvalidState(precondition, message);

    private static Transition<ProductionOrder> NotFound(string key) =>
        DomainError.NotFound($"Production order {ResourceNames.FromKey("productionOrders", key)} does not exist.");
}
