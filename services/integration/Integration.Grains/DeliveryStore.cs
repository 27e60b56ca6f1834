using System.Collections.Immutable;
using System.Text.Json;
using Manufacturing.Integration.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Manufacturing.Integration.Grains;

/// <summary>A delivery as the dispatcher and the dead-letter RPCs see it.</summary>
public sealed record Delivery
{
    /// <summary>The row id (the dead letter's name is <c>deadLetters/{id}</c>).</summary>
    public long Id { get; init; }

    /// <summary>The connector that carries it.</summary>
    public required string Connector { get; init; }

    /// <summary>The workflow it travels under.</summary>
    public required string Workflow { get; init; }

    /// <summary>The event.</summary>
    public required IntegrationEvent Event { get; init; }

    /// <summary>pending, delivered, coalesced, dead or discarded.</summary>
    public required string Status { get; init; }

    /// <summary>Attempts made.</summary>
    public int Attempts { get; init; }

    /// <summary>Each failed attempt: when, what, and whether it was transient.</summary>
    public ImmutableArray<DeliveryError> Errors { get; init; } = [];

    /// <summary>Not before.</summary>
    public DateTimeOffset DueAt { get; init; }

    /// <summary>When it was routed.</summary>
    public DateTimeOffset EnqueuedAt { get; init; }

    /// <summary>When it was delivered, coalesced, dead or discarded.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>What the ERP answered (a record id, a document number).</summary>
    public string ExternalRef { get; init; } = "";

    /// <summary>Why an operator discarded it.</summary>
    public string DiscardReason { get; init; } = "";
}

/// <summary>One failed attempt.</summary>
public sealed record DeliveryError(DateTimeOffset At, string Error, bool Transient);

/// <summary>Which dead letters an operator means: by connector, workflow, error text and time of death (all optional).</summary>
public sealed record DeadLetterFilter(string? Connector = null, string? Workflow = null, string? ErrorContains = null, DateTimeOffset? DeadAfter = null, DateTimeOffset? DeadBefore = null);

/// <summary>A connector's queue: pending deliveries, the oldest one's age, dead letters, delivered so far.</summary>
public sealed record ConnectorBacklog(long Pending, DateTimeOffset? OldestPending, long Dead, long Delivered);

/// <summary>
/// The integration tables of migration 0005 in PostgreSQL: routing the event log into deliveries,
/// claiming a connector's due deliveries (in order per record and workflow, newest-only for
/// coalescing workflows), recording each attempt's outcome, and the dead-letter queue.
/// </summary>
public sealed class DeliveryStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, connector, workflow, event_id, event_type, aggregate_type, aggregate_key, plant, aggregate_version, occurred_at,
        correlation_id, data::text, status, attempts, errors::text, due_at, enqueued_at, finished_at, external_ref, discard_reason, trace_parent
        """;

    /// <summary>
    /// Routes up to <paramref name="limit"/> events of the log that were not routed yet, in one
    /// transaction: each becomes a delivery per route (<paramref name="route"/>), created once per
    /// connector and event id, and is marked routed. Returns the connectors that got deliveries.
    /// Concurrent routers skip each other's rows.
    /// </summary>
    public async Task<IReadOnlySet<string>> RouteAsync(Func<IntegrationEvent, IReadOnlyList<Route>> route, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var events = new List<(long Id, IntegrationEvent Event)>();
        await using (var read = new NpgsqlCommand("""
            SELECT id, event_id, event_type, aggregate_type, aggregate_key, plant, aggregate_version, occurred_at, correlation_id, data::text, trace_parent
            FROM mfg_integration_events WHERE routed_at IS NULL ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        {
            read.Parameters.AddWithValue("limit", limit);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                events.Add((reader.GetInt64(0), ReadEvent(reader, 1, 10)));
            }
        }

        if (events.Count == 0)
        {
            return ImmutableHashSet<string>.Empty;
        }

        var connectors = new HashSet<string>(StringComparer.Ordinal);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (_, e) in events)
        {
            foreach (var r in route(e))
            {
                connectors.Add(r.Connector);
                var insert = new NpgsqlBatchCommand("""
                    INSERT INTO mfg_deliveries (connector, workflow, event_id, event_type, aggregate_type, aggregate_key, plant,
                        aggregate_version, occurred_at, correlation_id, data, due_at, trace_parent)
                    VALUES (@connector, @workflow, @event_id, @event_type, @aggregate_type, @aggregate_key, @plant,
                        @version, @occurred_at, @correlation_id, @data, @due_at, @trace_parent)
                    ON CONFLICT (connector, event_id) DO NOTHING
                    """);
                insert.Parameters.AddWithValue("connector", r.Connector);
                insert.Parameters.AddWithValue("workflow", r.Workflow);
                insert.Parameters.AddWithValue("event_id", e.EventId);
                insert.Parameters.AddWithValue("event_type", e.EventType);
                insert.Parameters.AddWithValue("aggregate_type", e.AggregateType);
                insert.Parameters.AddWithValue("aggregate_key", e.AggregateKey);
                insert.Parameters.AddWithValue("plant", e.Plant);
                insert.Parameters.AddWithValue("version", e.AggregateVersion);
                insert.Parameters.AddWithValue("occurred_at", e.OccurredAt);
                insert.Parameters.AddWithValue("correlation_id", e.CorrelationId);
                insert.Parameters.AddWithValue("trace_parent", e.TraceParent);
                insert.Parameters.AddWithValue("data", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(e.Data));
                insert.Parameters.AddWithValue("due_at", r.DueAt);
                batch.BatchCommands.Add(insert);
            }
        }

        var routed = new NpgsqlBatchCommand("UPDATE mfg_integration_events SET routed_at = now() WHERE id = ANY(@ids)");
        routed.Parameters.AddWithValue("ids", events.Select(e => e.Id).ToArray());
        batch.BatchCommands.Add(routed);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return connectors;
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> of <paramref name="connector"/>'s due deliveries for
    /// <paramref name="lease"/>: only the oldest pending one of each record within a workflow (so a
    /// record's events reach the ERP in order, also across retries), after marking as coalesced, in
    /// <paramref name="coalescing"/> workflows, every due delivery that a newer due one of the same
    /// record supersedes.
    /// </summary>
    public async Task<IReadOnlyList<Delivery>> ClaimAsync(string connector, IReadOnlyCollection<string> coalescing, int limit, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (coalescing.Count > 0)
        {
            await using var coalesce = new NpgsqlCommand("""
                UPDATE mfg_deliveries d SET status = 'coalesced', finished_at = now(), lease_until = NULL
                WHERE d.connector = @connector AND d.status = 'pending' AND d.workflow = ANY(@workflows) AND d.due_at <= now()
                  AND (d.lease_until IS NULL OR d.lease_until < now())
                  AND EXISTS (SELECT 1 FROM mfg_deliveries n WHERE n.connector = d.connector AND n.workflow = d.workflow
                              AND n.aggregate_key = d.aggregate_key AND n.status = 'pending' AND n.id > d.id AND n.due_at <= now())
                """, connection, transaction);
            coalesce.Parameters.AddWithValue("connector", connector);
            coalesce.Parameters.AddWithValue("workflows", coalescing.ToArray());
            await coalesce.ExecuteNonQueryAsync(cancellationToken);
        }

        var claimed = new List<Delivery>();
        await using (var claim = new NpgsqlCommand($"""
            WITH due AS (
                SELECT d.id FROM mfg_deliveries d
                WHERE d.connector = @connector AND d.status = 'pending' AND d.due_at <= now()
                  AND (d.lease_until IS NULL OR d.lease_until < now())
                  AND NOT EXISTS (SELECT 1 FROM mfg_deliveries e WHERE e.connector = d.connector AND e.workflow = d.workflow
                                  AND e.aggregate_key = d.aggregate_key AND e.status = 'pending' AND e.id < d.id)
                ORDER BY d.id LIMIT @limit FOR UPDATE SKIP LOCKED)
            UPDATE mfg_deliveries SET lease_until = now() + @lease WHERE id IN (SELECT id FROM due)
            RETURNING {Columns}
            """, connection, transaction))
        {
            claim.Parameters.AddWithValue("connector", connector);
            claim.Parameters.AddWithValue("limit", limit);
            claim.Parameters.AddWithValue("lease", lease);
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(Read(reader));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return [.. claimed.OrderBy(d => d.Id)];
    }

    /// <summary>Records a delivery as delivered, with what the ERP answered.</summary>
    public async Task DeliveredAsync(long id, string externalRef, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE mfg_deliveries SET status = 'delivered', attempts = attempts + 1, external_ref = @ref, finished_at = now(), lease_until = NULL
            WHERE id = @id AND status = 'pending'
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("ref", externalRef);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Records a failed attempt: a dead letter when it was not transient or the attempts are spent
    /// (<paramref name="maxAttempts"/>), otherwise pending again from <paramref name="retryAt"/>.
    /// Returns true when it became a dead letter.
    /// </summary>
    public async Task<bool> FailedAsync(long id, DeliveryFailure failure, int maxAttempts, DateTimeOffset retryAt, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE mfg_deliveries SET
                attempts = attempts + 1,
                errors = errors || jsonb_build_array(jsonb_build_object('at', now(), 'error', @error::text, 'transient', @transient)),
                last_error = @error,
                lease_until = NULL,
                status = CASE WHEN NOT @transient OR attempts + 1 >= @max THEN 'dead' ELSE 'pending' END,
                finished_at = CASE WHEN NOT @transient OR attempts + 1 >= @max THEN now() END,
                due_at = CASE WHEN NOT @transient OR attempts + 1 >= @max THEN due_at ELSE @retry_at END
            WHERE id = @id AND status = 'pending'
            RETURNING status
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("error", failure.Error.Length > 2000 ? failure.Error[..2000] : failure.Error);
        command.Parameters.AddWithValue("transient", failure.Transient);
        command.Parameters.AddWithValue("max", maxAttempts);
        command.Parameters.AddWithValue("retry_at", retryAt);
        return await command.ExecuteScalarAsync(cancellationToken) is "dead";
    }

    /// <summary>Gives claimed deliveries back without an attempt (the circuit opened, the host is stopping).</summary>
    public async Task ReleaseAsync(IEnumerable<long> ids, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("UPDATE mfg_deliveries SET lease_until = NULL WHERE id = ANY(@ids) AND status = 'pending'");
        command.Parameters.AddWithValue("ids", ids.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The dead letters matching <paramref name="filter"/>, most recently routed first, a page after <paramref name="afterId"/> (0: the first).</summary>
    public async Task<IReadOnlyList<Delivery>> DeadLettersAsync(DeadLetterFilter filter, int limit, long afterId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM mfg_deliveries
            WHERE status = 'dead' {Where()} AND (@after = 0 OR id < @after)
            ORDER BY id DESC LIMIT @limit
            """);
        Bind(command, filter);
        command.Parameters.AddWithValue("after", afterId);
        command.Parameters.AddWithValue("limit", limit);
        var rows = new List<Delivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Read(reader));
        }

        return rows;
    }

    /// <summary>One delivery by id, whatever its status, or null.</summary>
    public async Task<Delivery?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM mfg_deliveries WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Puts dead letters back in the queue, due now, with their attempts counted afresh (their errors
    /// stay): the ones named by <paramref name="ids"/>, or every one matching <paramref name="filter"/>.
    /// They go through the same idempotent path. Returns the replayed ids.
    /// </summary>
    public async Task<IReadOnlyList<long>> ReplayAsync(IReadOnlyCollection<long> ids, DeadLetterFilter? filter, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            UPDATE mfg_deliveries SET status = 'pending', due_at = now(), attempts = 0, finished_at = NULL, lease_until = NULL
            WHERE status = 'dead' AND (cardinality(@ids) = 0 OR id = ANY(@ids)) {(filter is null ? "" : Where())}
            RETURNING id
            """);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        Bind(command, filter ?? new DeadLetterFilter());
        var replayed = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            replayed.Add(reader.GetInt64(0));
        }

        return replayed;
    }

    /// <summary>Discards a dead letter with the operator's reason; false when there is no such dead letter.</summary>
    public async Task<bool> DiscardAsync(long id, string reason, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE mfg_deliveries SET status = 'discarded', discard_reason = @reason, finished_at = now() WHERE id = @id AND status = 'dead'
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("reason", reason);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>A connector's queue figures.</summary>
    public async Task<ConnectorBacklog> BacklogAsync(string connector, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT count(*) FILTER (WHERE status = 'pending'), min(enqueued_at) FILTER (WHERE status = 'pending'),
                   count(*) FILTER (WHERE status = 'dead'), count(*) FILTER (WHERE status = 'delivered')
            FROM mfg_deliveries WHERE connector = @connector
            """);
        command.Parameters.AddWithValue("connector", connector);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ConnectorBacklog(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    private static string Where() => """
        AND (@connector::text IS NULL OR connector = @connector) AND (@workflow::text IS NULL OR workflow = @workflow)
        AND (@error::text IS NULL OR last_error ILIKE '%' || @error || '%')
        AND (@dead_after::timestamptz IS NULL OR finished_at >= @dead_after) AND (@dead_before::timestamptz IS NULL OR finished_at < @dead_before)
        """;

    private static void Bind(NpgsqlCommand command, DeadLetterFilter filter)
    {
        command.Parameters.Add(new NpgsqlParameter("connector", NpgsqlDbType.Text) { Value = (object?)filter.Connector ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("workflow", NpgsqlDbType.Text) { Value = (object?)filter.Workflow ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)filter.ErrorContains ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("dead_after", NpgsqlDbType.TimestampTz) { Value = (object?)filter.DeadAfter ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("dead_before", NpgsqlDbType.TimestampTz) { Value = (object?)filter.DeadBefore ?? DBNull.Value });
    }

    private static ImmutableDictionary<string, string> Data(string json) =>
        (JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? []).ToImmutableDictionary(StringComparer.Ordinal);

    // The event's columns, in the order both tables' queries select them, starting at `first`:
    // event_id, event_type, aggregate_type, aggregate_key, plant, aggregate_version, occurred_at, correlation_id, data;
    // and its trace_parent at `trace`.
    private static IntegrationEvent ReadEvent(NpgsqlDataReader reader, int first, int trace) => new()
    {
        EventId = reader.GetString(first),
        EventType = reader.GetString(first + 1),
        AggregateType = reader.GetString(first + 2),
        AggregateKey = reader.GetString(first + 3),
        Plant = reader.GetString(first + 4),
        AggregateVersion = reader.GetInt64(first + 5),
        OccurredAt = reader.GetFieldValue<DateTimeOffset>(first + 6),
        CorrelationId = reader.GetString(first + 7),
        Data = Data(reader.GetString(first + 8)),
        TraceParent = reader.GetString(trace),
    };

    private static Delivery Read(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        Connector = reader.GetString(1),
        Workflow = reader.GetString(2),
        Event = ReadEvent(reader, 3, 20),
        Status = reader.GetString(12),
        Attempts = reader.GetInt32(13),
        Errors = [.. (JsonSerializer.Deserialize<List<JsonElement>>(reader.GetString(14)) ?? []).Select(e => new DeliveryError(
            e.GetProperty("at").GetDateTimeOffset(), e.GetProperty("error").GetString() ?? "", e.GetProperty("transient").GetBoolean()))],
        DueAt = reader.GetFieldValue<DateTimeOffset>(15),
        EnqueuedAt = reader.GetFieldValue<DateTimeOffset>(16),
        FinishedAt = reader.IsDBNull(17) ? null : reader.GetFieldValue<DateTimeOffset>(17),
        ExternalRef = reader.GetString(18),
        DiscardReason = reader.GetString(19),
    };
}
