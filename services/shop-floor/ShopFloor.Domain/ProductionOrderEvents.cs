using Manufacturing.Domain;

namespace Manufacturing.ShopFloor.Domain;

/// <summary>The business events of a production order's changes. Pure.</summary>
public static class ProductionOrderEvents
{
    /// <summary>The aggregate type in events.</summary>
    public const string AggregateType = "production_order";

    /// <summary>What <paramref name="command"/> changed from <paramref name="before"/> to <paramref name="after"/>.</summary>
    public static IEnumerable<EventDraft> Describe(ProductionOrder? before, ProductionOrder after, ICommand command)
    {
        switch (command)
        {
            case ReleaseProductionOrder:
                yield return EventDraft.Of("ProductionOrderReleased", ("product", after.Product), ("quantity", after.Quantity.ToString()));
                break;
            case StartOperation c:
                yield return EventDraft.Of("OperationStarted", ("operation_id", c.OperationId));
                break;
            case PauseOperation c:
                yield return EventDraft.Of("OperationPaused", ("operation_id", c.OperationId), ("reason", c.Reason));
                break;
            case ResumeOperation c:
                yield return EventDraft.Of("OperationResumed", ("operation_id", c.OperationId));
                break;
            case CompleteOperation c:
                yield return EventDraft.Of("OperationCompleted", ("operation_id", c.OperationId), ("good_quantity", c.Good.ToString()), ("scrap_quantity", c.Scrap.ToString()),
                    ("scrap_reason", c.ScrapReason.Length > 0 ? c.ScrapReason : null));
                break;
            case AmendProductionOrder:
                yield return EventDraft.Of("ProductionOrderAmended", ("quantity", after.Quantity.ToString()), ("amendment_count", after.Amendments.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                break;
            case DeclareOutput c:
                yield return EventDraft.Of("OutputDeclared", ("lot_id", c.LotId), ("quantity", c.Quantity.ToString()));
                break;
            case FlagNonconformance c:
                yield return EventDraft.Of("ProductionOrderFlagged", ("nonconformance", c.Nonconformance));
                break;
        }

        // Consumptions come from MES reports and from resolved exceptions alike; a parked report adds none.
        foreach (var consumption in after.Consumptions.Skip(before?.Consumptions.Length ?? 0))
        {
            yield return EventDraft.Of("MaterialConsumed", ("component", consumption.Component),
                ("lot", ResourceNames.FromKey("lots", consumption.LotKey)), ("quantity", consumption.Quantity.ToString()),
                ("exception", consumption.ViaException is { } n ? after.ExceptionName(n) : null));
        }

        foreach (var change in EventText.ExceptionChanges(before?.Exceptions ?? [], after.Exceptions, after.ExceptionName))
        {
            yield return change;
        }

        if (before is not null && before.Status != after.Status)
        {
            yield return EventDraft.Of($"ProductionOrder{after.Status}", ("previous_state", EventText.UpperSnake(before.Status)));
        }
    }

    /// <summary>
    /// The fields the production-order list shows, and reconciliation compares with the ERPs:
    /// <c>good_quantity</c> is what the order produced (the last operation's good quantity, once it
    /// completed); <c>scrap_quantity</c> what all its operations scrapped; <c>operations</c> each
    /// operation's status (<c>0010=COMPLETED 0020=RUNNING 0030=PENDING</c>), so that the newest of
    /// coalesced progress events still says where every operation stands.
    /// </summary>
    public static IEnumerable<(string, string?)> Snapshot(ProductionOrder order) =>
    [
        ("state", EventText.UpperSnake(order.Status)),
        ("product", order.Product),
        ("quantity", order.Quantity.ValueText),
        ("unit_of_measure", order.Quantity.Unit),
        ("planned_start_time", order.PlannedStart.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
        ("open_exceptions", order.Exceptions.Count(e => e.IsOpen).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("good_quantity", order.Operations is [.., { Status: OperationStatus.Completed } last] ? last.GoodQuantity.ToString(System.Globalization.CultureInfo.InvariantCulture) : null),
        ("scrap_quantity", order.Operations.Sum(o => o.ScrapQuantity).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("operations", string.Join(' ', order.Operations.Select(o => $"{o.OperationId}={EventText.UpperSnake(o.Status)}"))),
    ];
}
