using Manufacturing.Domain;

namespace Manufacturing.Inventory.Domain;

/// <summary>The business events of a lot's changes. Pure.</summary>
public static class LotEvents
{
    /// <summary>The aggregate type in events.</summary>
    public const string AggregateType = "lot";

    /// <summary>What <paramref name="command"/> changed.</summary>
    public static IEnumerable<EventDraft> Describe(Lot? before, Lot after, ICommand command)
    {
        yield return command switch
        {
            ReceiveLot c => EventDraft.Of("LotReceived", ("quantity", c.Quantity.ToString()), ("location", c.Location), ("purchase_order", c.PurchaseOrder)),
            ProduceLot c => EventDraft.Of(before is null ? "LotProduced" : "LotOutputAdded", ("quantity", c.Quantity.ToString()), ("production_order", c.ProductionOrder)),
            ConsumeLot c => EventDraft.Of("LotConsumed", ("quantity", c.Quantity.ToString()), ("production_order", c.ProductionOrder)),
            TransferLot c => EventDraft.Of("LotTransferred", ("from_location", c.From), ("to_location", c.To), ("quantity", c.Quantity.ToString())),
            AdjustLot c => EventDraft.Of("LotAdjusted", ("location", c.Location), ("counted_quantity", c.Counted.ToString()), ("reason", c.Reason)),
            BlockLot c => EventDraft.Of("LotBlocked", ("reason", c.Reason)),
            DecideLotQuality c => EventDraft.Of(after.Status switch
            {
                LotStatus.Scrapped => "LotScrapped",
                LotStatus.Returned => "LotReturned",
                _ => "LotReleased",
            }, ("reason", c.Reason)),
            _ => EventDraft.Of("LotChanged"),
        };
    }

    /// <summary>The fields lot lists show.</summary>
    public static IEnumerable<(string, string?)> Snapshot(Lot lot) =>
    [
        ("state", EventText.UpperSnake(lot.Status)),
        ("material", lot.Material),
        ("quantity", lot.QuantityOnHand.ValueText),
        ("unit_of_measure", lot.Unit),
    ];
}
