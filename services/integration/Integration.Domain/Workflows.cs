using System.Collections.Immutable;

namespace Manufacturing.Integration.Domain;

/// <summary>How a workflow's events travel to the ERPs.</summary>
public enum SyncMode
{
    /// <summary>As soon as the event is routed.</summary>
    RealTime = 1,

    /// <summary>Collected for <see cref="SyncPolicy.Interval"/> and sent together at the end of each interval.</summary>
    MicroBatch = 2,

    /// <summary>Sent at fixed times: every <see cref="SyncPolicy.Interval"/>, counted from midnight UTC (hourly, nightly, …).</summary>
    Scheduled = 3,
}

/// <summary>
/// A workflow's sync policy: when its deliveries become due, and whether, of one record's events
/// waiting together, only the newest is sent (coalescing: progress that a later update supersedes).
/// </summary>
public sealed record SyncPolicy(SyncMode Mode, TimeSpan Interval, bool Coalesce)
{
    /// <summary>Real time, no coalescing.</summary>
    public static SyncPolicy RealTime { get; } = new(SyncMode.RealTime, TimeSpan.Zero, false);

    /// <summary>When an event routed at <paramref name="now"/> is due: now, or the end of the interval it falls in.</summary>
    public DateTimeOffset DueAt(DateTimeOffset now)
    {
        if (Mode == SyncMode.RealTime || Interval <= TimeSpan.Zero)
        {
            return now;
        }

        var midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var slots = (long)Math.Floor((now - midnight).Ticks / (double)Interval.Ticks) + 1;
        return midnight + TimeSpan.FromTicks(Interval.Ticks * slots);
    }

    /// <summary>The policy as the docs and the status RPC show it (<c>real-time</c>, <c>micro-batch 30s, coalescing</c>, <c>scheduled every 1h</c>).</summary>
    public override string ToString() => Mode switch
    {
        SyncMode.RealTime => "real-time",
        SyncMode.MicroBatch => $"micro-batch {Text(Interval)}{(Coalesce ? ", coalescing" : "")}",
        _ => $"scheduled every {Text(Interval)}{(Coalesce ? ", coalescing" : "")}",
    };

    private static string Text(TimeSpan span) =>
        span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours:0}h"
        : span.TotalMinutes >= 1 && span.TotalMinutes == Math.Floor(span.TotalMinutes) ? $"{span.TotalMinutes:0}m"
        : $"{span.TotalSeconds:0}s";
}

/// <summary>A business flow to the ERPs: the event types it carries, its sync policy, and why that policy.</summary>
public sealed record Workflow(string Name, ImmutableHashSet<string> EventTypes, SyncPolicy Policy, string Reason);

/// <summary>
/// The workflows and their default policies. The reasons are the source documents': production
/// completion, quality holds, supplier confirmations and shortages in real time; consumption near
/// real time; telemetry and reporting in batch. Each policy can be changed by configuration
/// (<c>Integration:Workflows:{name}:Mode|Interval|Coalesce</c>); the event types cannot, because
/// the adapters map each of them.
/// </summary>
public sealed class WorkflowCatalog
{
    private readonly ImmutableDictionary<string, Workflow> _workflows;

    /// <summary>A catalog of <paramref name="workflows"/>.</summary>
    public WorkflowCatalog(IEnumerable<Workflow> workflows) =>
        _workflows = workflows.ToImmutableDictionary(w => w.Name, StringComparer.Ordinal);

    /// <summary>The defaults.</summary>
    public static WorkflowCatalog Default { get; } = new(
    [
        new("production-completion", ["OperationCompleted", "OutputDeclared"], SyncPolicy.RealTime,
            "Production completion moves inventory and costing in the ERP and releases what waits on it."),
        new("production-progress", ["OperationStarted", "OperationPaused", "OperationResumed"], new(SyncMode.MicroBatch, TimeSpan.FromSeconds(30), true),
            "Planners need current status, not every microstop: the newest state per order every 30 s keeps the ERP current without flooding it."),
        new("material-consumption", ["MaterialConsumed"], new(SyncMode.MicroBatch, TimeSpan.FromSeconds(10), false),
            "Near real time: inventory accuracy and planning without one ERP call per scan; every consumption counts, none is coalesced."),
        new("quality-holds", ["LotBlocked", "LotHoldPlaced", "NonconformanceRaised", "NonconformanceDispositioned"], SyncPolicy.RealTime,
            "A hold that reaches the ERP late lets blocked material be shipped or consumed."),
        new("supplier-confirmations", ["PurchaseOrderLineConfirmed", "ShipmentNotified"], SyncPolicy.RealTime,
            "Confirmed dates and shipment notices drive production scheduling and customer commitments."),
        new("receipts", ["GoodsReceived"], SyncPolicy.RealTime,
            "Received stock must be available to the ERP's planning and to production at once."),
        new("stock-transfers", ["LotTransferred"], new(SyncMode.MicroBatch, TimeSpan.FromSeconds(10), false),
            "Stock moved between storage locations keeps the ERP's availability per location right; near real time like consumption, every move counted."),
        new("telemetry", ["TelemetryWindowClosed"], new(SyncMode.Scheduled, TimeSpan.FromHours(1), false),
            "OEE and shift summaries are reporting: hourly batches, never raw machine data."),
    ]);

    /// <summary>Every workflow.</summary>
    public IEnumerable<Workflow> All => _workflows.Values.OrderBy(w => w.Name, StringComparer.Ordinal);

    /// <summary>The workflow named <paramref name="name"/>, or null.</summary>
    public Workflow? Find(string name) => _workflows.GetValueOrDefault(name);

    /// <summary>The workflow that carries events of <paramref name="eventType"/>, or null when none does.</summary>
    public Workflow? ForEvent(string eventType) => _workflows.Values.FirstOrDefault(w => w.EventTypes.Contains(eventType));

    /// <summary>This catalog with <paramref name="name"/>'s policy replaced; throws naming the setting when the workflow or policy is not valid.</summary>
    public WorkflowCatalog WithPolicy(string name, SyncPolicy policy)
    {
        var workflow = Find(name) ?? throw new InvalidOperationException(
            $"Integration__Workflows__{name}: no such workflow (known: {string.Join(", ", _workflows.Keys.Order(StringComparer.Ordinal))}).");
        if (policy.Mode != SyncMode.RealTime && (policy.Interval < TimeSpan.FromSeconds(1) || policy.Interval > TimeSpan.FromDays(1)))
        {
            throw new InvalidOperationException($"Integration__Workflows__{name}__Interval must be between 00:00:01 and 1.00:00:00 for {policy.Mode}.");
        }

        return new WorkflowCatalog(_workflows.Values.Select(w => w.Name == name ? w with { Policy = policy } : w));
    }
}
