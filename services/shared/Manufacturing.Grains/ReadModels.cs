using System.Collections.Concurrent;
using System.Collections.Immutable;
using Manufacturing.Domain;
using Orleans;
using Orleans.Concurrency;

namespace Manufacturing.Grains;

/// <summary>One row of a list: an aggregate's listed fields as of <see cref="Version"/>.</summary>
/// <param name="AggregateType">The aggregate type.</param>
/// <param name="Key">The aggregate's grain key.</param>
/// <param name="Plant">Its plant.</param>
/// <param name="State">Its state, as the read model filters it (for example <c>CREATED</c>).</param>
/// <param name="Version">The aggregate version the row reflects.</param>
/// <param name="Fields">Its other listed fields.</param>
/// <param name="UpdatedAt">When the fact that produced this version happened.</param>
public sealed record ReadModelRow(string AggregateType, string Key, string Plant, string State, long Version, IReadOnlyDictionary<string, string> Fields, DateTimeOffset UpdatedAt);

/// <summary>An exception as the exceptions read model lists it.</summary>
/// <param name="Name">Its resource name.</param>
/// <param name="Plant">Its plant.</param>
/// <param name="AggregateType">The aggregate that parked it.</param>
/// <param name="AggregateKey">That aggregate's key.</param>
/// <param name="Kind">What kind of disagreement.</param>
/// <param name="State">OPEN, APPROVED, REJECTED or CORRECTED.</param>
/// <param name="Reason">Why it was parked.</param>
/// <param name="Source">The source system of the parked change.</param>
/// <param name="RaisedAt">When it was raised.</param>
/// <param name="Version">The aggregate version the row reflects.</param>
public sealed record ExceptionRow(string Name, string Plant, string AggregateType, string AggregateKey, string Kind, string State, string Reason, string Source, DateTimeOffset RaisedAt, long Version);

/// <summary>How far a read model has got: the latest applied event's time, and when it was applied.</summary>
/// <param name="LastEventTime">The occurred_at of the newest event applied, if any.</param>
/// <param name="LastAppliedAt">When the newest event was applied, if any.</param>
public sealed record ReadModelPosition(DateTimeOffset? LastEventTime, DateTimeOffset? LastAppliedAt);

/// <summary>A page of results and the token of the next page (empty when this is the last).</summary>
/// <typeparam name="TRow">The row type.</typeparam>
/// <param name="Rows">The rows.</param>
/// <param name="NextPageToken">The next page's token.</param>
public sealed record Page<TRow>(IReadOnlyList<TRow> Rows, string NextPageToken);

/// <summary>
/// The read models: tables filled from delivered business events, idempotently (an event id is
/// applied once; a row only moves to a newer aggregate version), and the lists answered from them.
/// </summary>
public interface IReadModelStore
{
    /// <summary>Applies <paramref name="events"/>; already applied ones are skipped.</summary>
    Task ApplyAsync(IReadOnlyList<BusinessEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Rows of <paramref name="aggregateType"/> at <paramref name="plant"/>, optionally in one state, ordered by key.</summary>
    Task<Page<ReadModelRow>> ListAsync(string aggregateType, string plant, string? state, int pageSize, string pageToken, CancellationToken cancellationToken = default);

    /// <summary>Exceptions of <paramref name="aggregateType"/> at <paramref name="plant"/>, optionally of one kind and state, ordered by name.</summary>
    Task<Page<ExceptionRow>> ListExceptionsAsync(string aggregateType, string plant, string? kind, string? state, int pageSize, string pageToken, CancellationToken cancellationToken = default);

    /// <summary>How far the read model of <paramref name="aggregateType"/> has got.</summary>
    Task<ReadModelPosition> PositionAsync(string aggregateType, CancellationToken cancellationToken = default);
}

/// <summary>Turns delivered events into read-model changes; shared by the stores.</summary>
public static class ReadModelProjection
{
    /// <summary>The row an event implies for its aggregate (from its <c>state.*</c> snapshot), if it carries one.</summary>
    public static ReadModelRow? Row(BusinessEvent e)
    {
        if (!e.Data.TryGetValue("state.state", out var status))
        {
            return null;
        }

        var fields = e.Data.Where(d => d.Key.StartsWith("state.", StringComparison.Ordinal) && d.Key != "state.state")
            .ToDictionary(d => d.Key["state.".Length..], d => d.Value);
        return new ReadModelRow(e.AggregateType, e.AggregateKey, ResourceNames.SplitKey(e.AggregateKey).Plant, status, e.AggregateVersion, fields, e.OccurredAt);
    }

    /// <summary>The exception row an <c>ExceptionRaised</c>/<c>ExceptionResolved</c> event implies.</summary>
    public static ExceptionRow? Exception(BusinessEvent e) =>
        e.Type is "ExceptionRaised" or "ExceptionResolved" && e.Data.TryGetValue("exception", out var name)
            ? new ExceptionRow(name, ResourceNames.SplitKey(e.AggregateKey).Plant, e.AggregateType, e.AggregateKey,
                e.Data.GetValueOrDefault("kind", ""), e.Data.GetValueOrDefault("exception_state", ""), e.Data.GetValueOrDefault("reason", ""),
                e.Data.GetValueOrDefault("source", ""),
                e.Data.TryGetValue("raised_at", out var raised) ? DateTimeOffset.Parse(raised, System.Globalization.CultureInfo.InvariantCulture) : e.OccurredAt, e.AggregateVersion)
            : null;
}

/// <summary>The read models in memory: only for the zero-setup in-memory mode and tests.</summary>
public sealed class MemoryReadModelStore : IReadModelStore
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _applied = [];
    private readonly Dictionary<(string, string), ReadModelRow> _rows = [];
    private readonly Dictionary<string, ExceptionRow> _exceptions = [];
    private readonly ConcurrentDictionary<string, ReadModelPosition> _positions = new();

    /// <inheritdoc />
    public Task ApplyAsync(IReadOnlyList<BusinessEvent> events, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            foreach (var e in events)
            {
                if (!_applied.Add(e.EventId))
                {
                    continue;
                }

                if (ReadModelProjection.Row(e) is { } row &&
                    (!_rows.TryGetValue((row.AggregateType, row.Key), out var existing) || existing.Version < row.Version))
                {
                    _rows[(row.AggregateType, row.Key)] = row;
                }

                if (ReadModelProjection.Exception(e) is { } exception &&
                    (!_exceptions.TryGetValue(exception.Name, out var held) || held.Version <= exception.Version))
                {
                    _exceptions[exception.Name] = exception;
                }

                var previous = _positions.GetValueOrDefault(e.AggregateType);
                _positions[e.AggregateType] = new ReadModelPosition(
                    previous?.LastEventTime is { } last && last > e.OccurredAt ? last : e.OccurredAt, DateTimeOffset.UtcNow);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<Page<ReadModelRow>> ListAsync(string aggregateType, string plant, string? state, int pageSize, string pageToken, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var rows = _rows.Values
                .Where(r => r.AggregateType == aggregateType && r.Plant == plant && (state is null || r.State == state) && string.CompareOrdinal(r.Key, pageToken) > 0)
                .OrderBy(r => r.Key, StringComparer.Ordinal).Take(pageSize + 1).ToList();
            return Task.FromResult(Paged(rows, pageSize, r => r.Key));
        }
    }

    /// <inheritdoc />
    public Task<Page<ExceptionRow>> ListExceptionsAsync(string aggregateType, string plant, string? kind, string? state, int pageSize, string pageToken, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var rows = _exceptions.Values
                .Where(r => r.AggregateType == aggregateType && r.Plant == plant && (kind is null || r.Kind == kind) && (state is null || r.State == state) && string.CompareOrdinal(r.Name, pageToken) > 0)
                .OrderBy(r => r.Name, StringComparer.Ordinal).Take(pageSize + 1).ToList();
            return Task.FromResult(Paged(rows, pageSize, r => r.Name));
        }
    }

    /// <inheritdoc />
    public Task<ReadModelPosition> PositionAsync(string aggregateType, CancellationToken cancellationToken = default) =>
        Task.FromResult(_positions.GetValueOrDefault(aggregateType) ?? new ReadModelPosition(null, null));

    /// <summary>The first <paramref name="pageSize"/> rows and, when there were more, the last one's key as the next token.</summary>
    public static Page<TRow> Paged<TRow>(List<TRow> rows, int pageSize, Func<TRow, string> key) =>
        rows.Count > pageSize ? new Page<TRow>(rows[..pageSize], key(rows[pageSize - 1])) : new Page<TRow>(rows, "");
}

/// <summary>
/// The projector: applies delivered events to the read-model store of the silo it runs on. It holds no
/// state, so its activations take calls concurrently (reentrant): deliveries from many grains run in
/// parallel, bounded by the store's connection pool, instead of queueing behind one worker per core.
/// </summary>
[StatelessWorker, Reentrant]
internal sealed class EventProjectorGrain(IReadModelStore store) : Grain, IEventProjector
{
    public Task Project(ImmutableArray<BusinessEvent> events) => store.ApplyAsync(events);
}
