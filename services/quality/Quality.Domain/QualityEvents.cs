using Manufacturing.Domain;

namespace Manufacturing.Quality.Domain;

/// <summary>The business events of quality's aggregates. Pure.</summary>
public static class QualityEvents
{
    /// <summary>An inspection was recorded.</summary>
    public static IEnumerable<EventDraft> Describe(Inspection? before, Inspection after, ICommand command) =>
        [EventDraft.Of("InspectionRecorded", ("lot", ResourceNames.FromKey("lots", after.LotKey)), ("result", EventText.UpperSnake(after.Result)),
            ("nonconformance", after.Nonconformance is { } nc ? ResourceNames.FromKey("nonconformances", nc) : null))];

    /// <summary>A nonconformance was raised or dispositioned.</summary>
    public static IEnumerable<EventDraft> Describe(Nonconformance? before, Nonconformance after, ICommand command) =>
        before is null
            ? [EventDraft.Of("NonconformanceRaised", ("lots", string.Join(",", after.Lots.Select(l => ResourceNames.FromKey("lots", l)))), ("description", after.Description))]
            : [EventDraft.Of("NonconformanceDispositioned", ("disposition", EventText.UpperSnake(after.Disposition)), ("supplier_accountable", after.SupplierAccountable ? "true" : "false"))];

    /// <summary>Quality placed a hold.</summary>
    public static IEnumerable<EventDraft> Describe(LotHold? before, LotHold after, ICommand command) =>
        [EventDraft.Of("LotHoldPlaced", ("lot", ResourceNames.FromKey("lots", after.LotKey)), ("reason", after.Reason))];
}
