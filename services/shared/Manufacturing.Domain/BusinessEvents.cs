using System.Collections.Immutable;
using Orleans;

namespace Manufacturing.Domain;

/// <summary>
/// A fact others must hear about, appended to the aggregate's outbox in the same state write as
/// the change that caused it, and delivered after that write until acknowledged. Receivers
/// deduplicate by <see cref="EventId"/>, which is derived from the aggregate and its version, so a
/// command retried after a failed write produces the same ids.
/// </summary>
[GenerateSerializer, Immutable, Alias("mfg.BusinessEvent")]
public sealed record BusinessEvent
{
    /// <summary><c>{aggregate_type}/{key}/{version}/{n}</c>: unique, and the same on every delivery.</summary>
    [Id(0)] public required string EventId { get; init; }

    /// <summary>What happened, for example <c>PurchaseOrderConfirmed</c>.</summary>
    [Id(1)] public required string Type { get; init; }

    /// <summary>The aggregate type (<c>production_order</c>, <c>lot</c>, <c>purchase_order</c>…).</summary>
    [Id(2)] public required string AggregateType { get; init; }

    /// <summary>The aggregate's grain key (<c>{plant}/{id}</c>).</summary>
    [Id(3)] public required string AggregateKey { get; init; }

    /// <summary>The aggregate's version after the change.</summary>
    [Id(4)] public long AggregateVersion { get; init; }

    /// <summary>The message id of the command that caused it.</summary>
    [Id(5)] public string MessageId { get => field ?? ""; init; } = "";

    /// <summary>The correlation id of the request that carried the command.</summary>
    [Id(6)] public string CorrelationId { get => field ?? ""; init; } = "";

    /// <summary>When the fact happened at the source (the command's occurred_at).</summary>
    [Id(7)] public DateTimeOffset OccurredAt { get; init; }

    /// <summary>The event's attributes, and a <c>state.*</c> snapshot of the aggregate's listed fields for read models.</summary>
    [Id(8)] public ImmutableDictionary<string, string> Data { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The source system of the command.</summary>
    [Id(9)] public SourceSystem Source { get; init; }

    /// <summary>
    /// The W3C <c>traceparent</c> of the command that caused it ("" when it was not traced), so the
    /// spans that deliver it to the ERPs link back to the originating request's trace.
    /// </summary>
    [Id(10)] public string TraceParent { get => field ?? ""; init; } = "";
}

/// <summary>An event as an aggregate's describer names it, before ids and versions are stamped on.</summary>
/// <param name="Type">What happened.</param>
/// <param name="Data">Its attributes.</param>
public sealed record EventDraft(string Type, ImmutableDictionary<string, string> Data)
{
    /// <summary>An event with attributes given as pairs.</summary>
    public static EventDraft Of(string type, params (string Key, string? Value)[] data) =>
        new(type, data.Where(d => d.Value is not null).ToImmutableDictionary(d => d.Key, d => d.Value!));
}

/// <summary>Helpers for describing events.</summary>
public static class EventText
{
    /// <summary><c>InProgress</c> → <c>IN_PROGRESS</c>: the contract's enum value names without their prefix.</summary>
    public static string UpperSnake<TEnum>(TEnum value) where TEnum : struct, Enum
    {
        var name = value.ToString();
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                builder.Append('_');
            }

            builder.Append(char.ToUpperInvariant(name[i]));
        }

        return builder.ToString();
    }

    /// <summary>The events of exceptions that appeared or changed state between two lists.</summary>
    public static IEnumerable<EventDraft> ExceptionChanges(IReadOnlyList<ParkedException> before, IReadOnlyList<ParkedException> after, Func<int, string> name)
    {
        foreach (var exception in after)
        {
            var previous = before.FirstOrDefault(e => e.Number == exception.Number);
            if (previous is not null && previous.State == exception.State)
            {
                continue;
            }

            yield return EventDraft.Of(previous is null ? "ExceptionRaised" : "ExceptionResolved",
                ("exception", name(exception.Number)), ("kind", exception.Kind), ("exception_state", UpperSnake(exception.State)),
                ("reason", exception.Reason), ("source", SourceSystems.WireName(exception.Source)),
                ("raised_at", exception.RaisedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
                ("reviewer", exception.Reviewer.Length > 0 ? exception.Reviewer : null));
        }
    }
}
