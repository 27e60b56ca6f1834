using System.Text.Json;
using Manufacturing.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Manufacturing.Grains;

/// <summary>
/// The read models in PostgreSQL (tables of migration 0002). A batch of events is applied in one
/// transaction: each event id once, each row only forward in version.
/// </summary>
public sealed class PostgresReadModelStore(string connectionString) : IReadModelStore
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    /// <summary>
    /// Applies a delivery of events in one transaction of a few round trips, however many events it
    /// holds: the event ids not applied before are claimed in one statement (idempotency by event
    /// id); of those, only each aggregate's highest version becomes its row (the upsert is guarded by
    /// version, so a row never moves back) and each exception's latest state is upserted, sent as one
    /// batch. Each aggregate type's position moves forward after the commit.
    /// </summary>
    public async Task ApplyAsync(IReadOnlyList<BusinessEvent> events, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0)
        {
            return;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var fresh = new HashSet<string>(StringComparer.Ordinal);
        await using (var claim = new NpgsqlCommand("""
            INSERT INTO mfg_read_applied_events (event_id, aggregate_type)
            SELECT * FROM unnest(@ids, @types) ON CONFLICT DO NOTHING RETURNING event_id
            """, connection, transaction))
        {
            claim.Parameters.AddWithValue("ids", events.Select(e => e.EventId).ToArray());
            claim.Parameters.AddWithValue("types", events.Select(e => e.AggregateType).ToArray());
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                fresh.Add(reader.GetString(0));
            }
        }

        var applied = events.Where(e => fresh.Contains(e.EventId)).ToList();
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (applied.Count > 0)
        {
            // The event log the integration service routes to the ERPs (migration 0005): in this
            // transaction, so an event is in it exactly when the read models have applied it.
            var log = new NpgsqlBatchCommand("""
                INSERT INTO mfg_integration_events (event_id, event_type, aggregate_type, aggregate_key, plant, aggregate_version,
                    occurred_at, message_id, correlation_id, source, data, trace_parent)
                SELECT id, type, aggregate_type, key, plant, version, occurred_at, message_id, correlation_id, source, data::jsonb, trace_parent
                FROM unnest(@ids, @types, @aggregate_types, @keys, @plants, @versions, @times, @messages, @correlations, @sources, @data, @traces)
                    AS e(id, type, aggregate_type, key, plant, version, occurred_at, message_id, correlation_id, source, data, trace_parent)
                ON CONFLICT (event_id) DO NOTHING
                """);
            log.Parameters.AddWithValue("ids", applied.Select(e => e.EventId).ToArray());
            log.Parameters.AddWithValue("types", applied.Select(e => e.Type).ToArray());
            log.Parameters.AddWithValue("aggregate_types", applied.Select(e => e.AggregateType).ToArray());
            log.Parameters.AddWithValue("keys", applied.Select(e => e.AggregateKey).ToArray());
            log.Parameters.AddWithValue("plants", applied.Select(e => ResourceNames.SplitKey(e.AggregateKey).Plant).ToArray());
            log.Parameters.AddWithValue("versions", applied.Select(e => e.AggregateVersion).ToArray());
            log.Parameters.AddWithValue("times", applied.Select(e => e.OccurredAt).ToArray());
            log.Parameters.AddWithValue("messages", applied.Select(e => e.MessageId).ToArray());
            log.Parameters.AddWithValue("correlations", applied.Select(e => e.CorrelationId).ToArray());
            log.Parameters.AddWithValue("sources", applied.Select(e => SourceSystems.WireName(e.Source)).ToArray());
            log.Parameters.AddWithValue("data", applied.Select(e => JsonSerializer.Serialize(e.Data)).ToArray());
            log.Parameters.AddWithValue("traces", applied.Select(e => e.TraceParent).ToArray());
            batch.BatchCommands.Add(log);
        }

        var rows = applied.Select(ReadModelProjection.Row).OfType<ReadModelRow>()
            .GroupBy(r => (r.AggregateType, r.Key)).Select(g => g.MaxBy(r => r.Version)!);
        foreach (var row in rows)
        {
            var upsert = new NpgsqlBatchCommand("""
                INSERT INTO mfg_read_aggregates (aggregate_type, aggregate_key, plant, state, version, fields, updated_at)
                VALUES (@type, @key, @plant, @state, @version, @fields, @updated)
                ON CONFLICT (aggregate_type, aggregate_key) DO UPDATE
                SET plant = EXCLUDED.plant, state = EXCLUDED.state, version = EXCLUDED.version,
                    fields = EXCLUDED.fields, updated_at = EXCLUDED.updated_at
                WHERE mfg_read_aggregates.version < EXCLUDED.version
                """);
            upsert.Parameters.AddWithValue("type", row.AggregateType);
            upsert.Parameters.AddWithValue("key", row.Key);
            upsert.Parameters.AddWithValue("plant", row.Plant);
            upsert.Parameters.AddWithValue("state", row.State);
            upsert.Parameters.AddWithValue("version", row.Version);
            upsert.Parameters.AddWithValue("fields", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(row.Fields));
            upsert.Parameters.AddWithValue("updated", row.UpdatedAt);
            batch.BatchCommands.Add(upsert);
        }

        var exceptions = applied.Select(ReadModelProjection.Exception).OfType<ExceptionRow>()
            .GroupBy(x => x.Name).Select(g => g.MaxBy(x => x.Version)!);
        foreach (var exception in exceptions)
        {
            var upsert = new NpgsqlBatchCommand("""
                INSERT INTO mfg_read_exceptions (name, plant, aggregate_type, aggregate_key, kind, state, reason, source, raised_at, version)
                VALUES (@name, @plant, @type, @key, @kind, @state, @reason, @source, @raised, @version)
                ON CONFLICT (name) DO UPDATE
                SET state = EXCLUDED.state, reason = EXCLUDED.reason, version = EXCLUDED.version
                WHERE mfg_read_exceptions.version <= EXCLUDED.version
                """);
            upsert.Parameters.AddWithValue("name", exception.Name);
            upsert.Parameters.AddWithValue("plant", exception.Plant);
            upsert.Parameters.AddWithValue("type", exception.AggregateType);
            upsert.Parameters.AddWithValue("key", exception.AggregateKey);
            upsert.Parameters.AddWithValue("kind", exception.Kind);
            upsert.Parameters.AddWithValue("state", exception.State);
            upsert.Parameters.AddWithValue("reason", exception.Reason);
            upsert.Parameters.AddWithValue("source", exception.Source);
            upsert.Parameters.AddWithValue("raised", exception.RaisedAt);
            upsert.Parameters.AddWithValue("version", exception.Version);
            batch.BatchCommands.Add(upsert);
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);

        // Each type's position is one row that every delivery moves: updated after the commit, in its
        // own statement, so deliveries do not queue on its lock for the length of their transactions.
        // A crash in between leaves the position behind the rows, never ahead (the next delivery moves it).
        await using var positions = new NpgsqlBatch(connection);
        foreach (var position in applied.GroupBy(e => e.AggregateType))
        {
            var upsert = new NpgsqlBatchCommand("""
                INSERT INTO mfg_read_positions (aggregate_type, last_event_time, last_applied_at) VALUES (@type, @time, now())
                ON CONFLICT (aggregate_type) DO UPDATE
                SET last_event_time = GREATEST(mfg_read_positions.last_event_time, EXCLUDED.last_event_time), last_applied_at = now()
                """);
            upsert.Parameters.AddWithValue("type", position.Key);
            upsert.Parameters.AddWithValue("time", position.Max(e => e.OccurredAt));
            positions.BatchCommands.Add(upsert);
        }

        if (positions.BatchCommands.Count > 0)
        {
            await positions.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task<Page<ReadModelRow>> ListAsync(string aggregateType, string plant, string? state, int pageSize, string pageToken, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("""
            SELECT aggregate_key, state, version, fields::text, updated_at FROM mfg_read_aggregates
            WHERE aggregate_type = @type AND plant = @plant AND (@state::text IS NULL OR state = @state) AND aggregate_key > @after
            ORDER BY aggregate_key LIMIT @limit
            """);
        command.Parameters.AddWithValue("type", aggregateType);
        command.Parameters.AddWithValue("plant", plant);
        command.Parameters.Add(new NpgsqlParameter("state", NpgsqlDbType.Text) { Value = (object?)state ?? DBNull.Value });
        command.Parameters.AddWithValue("after", pageToken);
        command.Parameters.AddWithValue("limit", pageSize + 1);
        var rows = new List<ReadModelRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var fields = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(3)) ?? [];
            rows.Add(new ReadModelRow(aggregateType, reader.GetString(0), plant, reader.GetString(1), reader.GetInt64(2), fields, reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return MemoryReadModelStore.Paged(rows, pageSize, r => r.Key);
    }

    /// <inheritdoc />
    public async Task<Page<ExceptionRow>> ListExceptionsAsync(string aggregateType, string plant, string? kind, string? state, int pageSize, string pageToken, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("""
            SELECT name, aggregate_type, aggregate_key, kind, state, reason, source, raised_at, version FROM mfg_read_exceptions
            WHERE aggregate_type = @type AND plant = @plant AND (@kind::text IS NULL OR kind = @kind) AND (@state::text IS NULL OR state = @state) AND name > @after
            ORDER BY name LIMIT @limit
            """);
        command.Parameters.AddWithValue("type", aggregateType);
        command.Parameters.AddWithValue("plant", plant);
        command.Parameters.Add(new NpgsqlParameter("kind", NpgsqlDbType.Text) { Value = (object?)kind ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("state", NpgsqlDbType.Text) { Value = (object?)state ?? DBNull.Value });
        command.Parameters.AddWithValue("after", pageToken);
        command.Parameters.AddWithValue("limit", pageSize + 1);
        var rows = new List<ExceptionRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ExceptionRow(reader.GetString(0), plant, reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), reader.GetFieldValue<DateTimeOffset>(7), reader.GetInt64(8)));
        }

        return MemoryReadModelStore.Paged(rows, pageSize, r => r.Name);
    }

    /// <inheritdoc />
    public async Task<ReadModelPosition> PositionAsync(string aggregateType, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("SELECT last_event_time, last_applied_at FROM mfg_read_positions WHERE aggregate_type = @type");
        command.Parameters.AddWithValue("type", aggregateType);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ReadModelPosition(reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1))
            : new ReadModelPosition(null, null);
    }
}
