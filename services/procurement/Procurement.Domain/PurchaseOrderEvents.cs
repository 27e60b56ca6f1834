using Manufacturing.Domain;

namespace Manufacturing.Procurement.Domain;

/// <summary>The business events of a purchase order's changes. Pure.</summary>
public static class PurchaseOrderEvents
{
    /// <summary>The aggregate type in events.</summary>
    public const string AggregateType = "purchase_order";

    /// <summary>What <paramref name="command"/> changed.</summary>
    public static IEnumerable<EventDraft> Describe(PurchaseOrder? before, PurchaseOrder after, ICommand command)
    {
        if (before is null)
        {
            yield return EventDraft.Of("PurchaseOrderCreated", ("vendor", after.Vendor), ("lines", after.Lines.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            yield break;
        }

        if (command is ChangePurchaseOrder)
        {
            yield return EventDraft.Of("PurchaseOrderChanged", ("lines", string.Join(",", ((ChangePurchaseOrder)command).Lines.Select(l => l.LineId))));
        }

        foreach (var line in after.Lines)
        {
            if (line.Confirmation is { } confirmation && before.Line(line.LineId)?.Confirmation != confirmation)
            {
                yield return EventDraft.Of("PurchaseOrderLineConfirmed", ("line_id", line.LineId), ("confirmed_quantity", confirmation.Quantity.ToString()),
                    ("confirmed_delivery_date", confirmation.Delivery.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        foreach (var notice in after.ShipmentNotices.Skip(before.ShipmentNotices.Length))
        {
            yield return EventDraft.Of("ShipmentNotified", ("notice_id", notice.NoticeId));
        }

        foreach (var receipt in after.Receipts.Skip(before.Receipts.Length))
        {
            yield return EventDraft.Of("GoodsReceived", ("line_id", receipt.LineId), ("material", after.Line(receipt.LineId)?.Material),
                ("quantity", receipt.Quantity.ToString()), ("lot", ResourceNames.FromKey("lots", receipt.LotKey)));
        }

        foreach (var change in EventText.ExceptionChanges(before.Exceptions, after.Exceptions, after.ExceptionName))
        {
            yield return change;
        }

        if (before.Status != after.Status)
        {
            yield return EventDraft.Of($"PurchaseOrder{after.Status}", ("previous_state", EventText.UpperSnake(before.Status)));
        }
    }

    /// <summary>
    /// The fields the purchase-order list shows, and reconciliation compares with the ERPs:
    /// <c>confirmed_dates</c> lists the supplier's confirmed delivery day of each confirmed line
    /// (<c>00010=2026-12-12 00020=2026-12-20</c>, by line id).
    /// </summary>
    public static IEnumerable<(string, string?)> Snapshot(PurchaseOrder order) =>
    [
        ("state", EventText.UpperSnake(order.Status)),
        ("vendor", order.Vendor),
        ("currency", order.Currency),
        ("confirmed_dates", order.Lines.Any(l => l.Confirmation is not null)
            ? string.Join(' ', order.Lines.Where(l => l.Confirmation is not null).OrderBy(l => l.LineId, StringComparer.Ordinal)
                .Select(l => $"{l.LineId}={l.Confirmation!.Delivery.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)}"))
            : null),
        ("open_exceptions", order.Exceptions.Count(e => e.IsOpen).ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];
}
