using System.Collections.Immutable;

namespace Manufacturing.Integration.Domain;

/// <summary>A business event as the integration service reads it from the event log (<c>mfg_integration_events</c>).</summary>
public sealed record IntegrationEvent
{
    /// <summary>Unique and stable across redeliveries (<c>{aggregate_type}/{key}/{version}/{n}</c>): the ERP reference.</summary>
    public required string EventId { get; init; }

    /// <summary>What happened (<c>OperationCompleted</c>, <c>LotBlocked</c>, …).</summary>
    public required string EventType { get; init; }

    /// <summary>The aggregate type (<c>production_order</c>, <c>lot</c>, …).</summary>
    public required string AggregateType { get; init; }

    /// <summary>The aggregate's key, <c>{plant}/{id}</c>.</summary>
    public required string AggregateKey { get; init; }

    /// <summary>The plant (the key's prefix).</summary>
    public required string Plant { get; init; }

    /// <summary>The aggregate's version after the change; one record's events are delivered in this order.</summary>
    public long AggregateVersion { get; init; }

    /// <summary>When it happened at the source.</summary>
    public DateTimeOffset OccurredAt { get; init; }

    /// <summary>The correlation id of the request that caused it.</summary>
    public string CorrelationId { get; init; } = "";

    /// <summary>The W3C <c>traceparent</c> of the originating command, "" when it was not traced.</summary>
    public string TraceParent { get; init; } = "";

    /// <summary>The event's attributes and the aggregate's <c>state.*</c> snapshot.</summary>
    public ImmutableDictionary<string, string> Data { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The aggregate's id within its plant (<c>WO-000123</c> for <c>P100/WO-000123</c>).</summary>
    public string Id => AggregateKey[(AggregateKey.IndexOf('/', StringComparison.Ordinal) + 1)..];

    /// <summary>An attribute, or "" when absent.</summary>
    public string this[string key] => Data.GetValueOrDefault(key, "");
}

/// <summary>Where one event must go: a connector, under a workflow, not before a time.</summary>
public sealed record Route(string Connector, string Workflow, DateTimeOffset DueAt);

/// <summary>A connector as routing sees it: its name, the plants it serves, the workflows it carries, and what its adapter can map.</summary>
public sealed record ConnectorRoute(string Name, IReadOnlySet<string> Plants, IReadOnlySet<string> Workflows, Func<IntegrationEvent, bool> Supports);

/// <summary>Decides which connectors carry an event, and when.</summary>
public static class Routing
{
    /// <summary>
    /// The routes of <paramref name="e"/>: every connector that serves its plant, carries its
    /// workflow (all workflows when it lists none) and whose adapter maps it, due per the workflow's
    /// policy. None when no workflow carries the event type (it stays in the event log only).
    /// </summary>
    public static IReadOnlyList<Route> Of(IntegrationEvent e, WorkflowCatalog workflows, IEnumerable<ConnectorRoute> connectors, DateTimeOffset now)
    {
        if (workflows.ForEvent(e.EventType) is not { } workflow)
        {
            return [];
        }

        var due = workflow.Policy.DueAt(now);
        return [.. connectors
            .Where(c => c.Plants.Contains(e.Plant) && (c.Workflows.Count == 0 || c.Workflows.Contains(workflow.Name)) && c.Supports(e))
            .Select(c => new Route(c.Name, workflow.Name, due))];
    }
}

/// <summary>
/// When a failed delivery is tried again: after an exponential backoff with jitter (5 s, 10 s, 20 s,
/// … up to 15 minutes, each between half and all of that), until the connector's attempts are spent.
/// </summary>
public static class RetrySchedule
{
    /// <summary>The first backoff.</summary>
    public static readonly TimeSpan First = TimeSpan.FromSeconds(5);

    /// <summary>The longest backoff.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromMinutes(15);

    /// <summary>The next try after the <paramref name="attempts"/>th failed one; <paramref name="jitter"/> in [0, 1).</summary>
    public static DateTimeOffset Next(int attempts, DateTimeOffset now, double jitter)
    {
        var full = Math.Min(First.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempts - 1)), Longest.TotalMilliseconds);
        return now + TimeSpan.FromMilliseconds(full * (0.5 + (jitter / 2)));
    }
}

/// <summary>Why a delivery failed, and whether trying again can help.</summary>
/// <param name="Error">What the ERP or the network said, in a line.</param>
/// <param name="Transient">Connection errors, timeouts, 5xx, 429, an open circuit: retried. A business refusal (4xx): not.</param>
public sealed record DeliveryFailure(string Error, bool Transient);

/// <summary>What a delivery did at the ERP.</summary>
/// <param name="ExternalRef">What identifies the effect there (a record id, a material document), for the operator and reconciliation.</param>
public sealed record DeliveryReceipt(string ExternalRef);
