using System.Text.Json;
using Manufacturing.Grains;
using Manufacturing.Integration.Domain;
using Npgsql;

namespace Manufacturing.Integration.Grains;

/// <summary>A drift as the report shows it: the difference, and when it was found, last seen and resolved.</summary>
public sealed record DriftEntry
{
    /// <summary>The row id (the drift's name is <c>drifts/{id}</c>).</summary>
    public long Id { get; init; }

    /// <summary>The connector whose ERP differs.</summary>
    public required string Connector { get; init; }

    /// <summary>The difference, with both sides.</summary>
    public required Drift Drift { get; init; }

    /// <summary>When a run first found it.</summary>
    public DateTimeOffset FoundAt { get; init; }

    /// <summary>When a run last found it.</summary>
    public DateTimeOffset LastSeenAt { get; init; }

    /// <summary>When a run found the two sides agreeing again; null while open.</summary>
    public DateTimeOffset? ResolvedAt { get; init; }
}

/// <summary>Which drifts a report shows: by connector and aggregate type (optional), open only unless asked.</summary>
public sealed record DriftFilter(string? Connector = null, string? AggregateType = null, bool IncludeResolved = false);

/// <summary>
/// Reconciliation's tables (migration 0006) in PostgreSQL: which of our records a connector delivered
/// (and so must agree with its ERP), the drifts found, and each run.
/// </summary>
public sealed class ReconciliationStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Up to <paramref name="limit"/> records of <paramref name="aggregateType"/> that
    /// <paramref name="connector"/> delivered under <paramref name="workflows"/> since
    /// <paramref name="since"/>, most recently delivered first, as the read model has them now. Records
    /// with a delivery still pending or dead at the connector are left out: the ERP is not meant to
    /// agree with them yet (and a dead letter is already an exception for review).
    /// </summary>
    public async Task<IReadOnlyList<OurRecord>> RecordsAsync(string connector, string aggregateType, IReadOnlyCollection<string> workflows,
        DateTimeOffset since, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT aggregate_key, plant, external_ref, state, fields FROM (
                SELECT DISTINCT ON (d.aggregate_key) d.aggregate_key, d.plant, d.external_ref, d.finished_at, a.state, a.fields::text AS fields
                FROM mfg_deliveries d
                JOIN mfg_read_aggregates a ON a.aggregate_type = d.aggregate_type AND a.aggregate_key = d.aggregate_key
                WHERE d.connector = @connector AND d.aggregate_type = @type AND d.workflow = ANY(@workflows)
                  AND d.status = 'delivered' AND d.finished_at >= @since
                  AND NOT EXISTS (SELECT 1 FROM mfg_deliveries u
                                  WHERE u.connector = d.connector AND u.aggregate_type = d.aggregate_type AND u.aggregate_key = d.aggregate_key
                                    AND u.status IN ('pending', 'dead'))
                ORDER BY d.aggregate_key, d.finished_at DESC
            ) delivered
            ORDER BY finished_at DESC, aggregate_key
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("connector", connector);
        command.Parameters.AddWithValue("type", aggregateType);
        command.Parameters.AddWithValue("workflows", workflows.ToArray());
        command.Parameters.AddWithValue("since", since);
        command.Parameters.AddWithValue("limit", limit);
        var records = new List<OurRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var fields = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(4)) ?? [];
            records.Add(new OurRecord(aggregateType, reader.GetString(0), reader.GetString(1), reader.GetString(3), fields, reader.GetString(2)));
        }

        return records;
    }

    /// <summary>
    /// Records a run of <paramref name="connector"/> in one transaction: every drift in
    /// <paramref name="drifts"/> opened (or, when open already, updated with both sides and seen
    /// again); every open drift of a <paramref name="checkedRecords"/> record that this run did not find
    /// resolved. Returns the run as stored.
    /// </summary>
    public async Task<ReconciliationRun> RecordRunAsync(string connector, DateTimeOffset startedAt, IReadOnlyCollection<(string AggregateType, string AggregateKey)> checkedRecords,
        IReadOnlyCollection<Drift> drifts, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var opened = 0;
        foreach (var drift in drifts)
        {
            await using var upsert = new NpgsqlCommand("""
                INSERT INTO mfg_drifts (connector, aggregate_type, aggregate_key, plant, field, ours, theirs, external_ref)
                VALUES (@connector, @type, @key, @plant, @field, @ours, @theirs, @ref)
                ON CONFLICT (connector, aggregate_type, aggregate_key, field) WHERE resolved_at IS NULL
                DO UPDATE SET ours = EXCLUDED.ours, theirs = EXCLUDED.theirs, external_ref = EXCLUDED.external_ref, last_seen_at = now()
                RETURNING (xmax = 0)
                """, connection, transaction);
            upsert.Parameters.AddWithValue("connector", connector);
            upsert.Parameters.AddWithValue("type", drift.AggregateType);
            upsert.Parameters.AddWithValue("key", drift.AggregateKey);
            upsert.Parameters.AddWithValue("plant", drift.Plant);
            upsert.Parameters.AddWithValue("field", drift.Field);
            upsert.Parameters.AddWithValue("ours", drift.Ours);
            upsert.Parameters.AddWithValue("theirs", drift.Theirs);
            upsert.Parameters.AddWithValue("ref", drift.ExternalRef);
            opened += (bool)(await upsert.ExecuteScalarAsync(cancellationToken))! ? 1 : 0;
        }

        await using var resolve = new NpgsqlCommand("""
            UPDATE mfg_drifts SET resolved_at = now()
            WHERE connector = @connector AND resolved_at IS NULL
              AND (aggregate_type, aggregate_key) IN (SELECT * FROM unnest(@checked_types, @checked_keys))
              AND (aggregate_type, aggregate_key, field) NOT IN (SELECT * FROM unnest(@found_types, @found_keys, @found_fields))
            """, connection, transaction);
        resolve.Parameters.AddWithValue("connector", connector);
        resolve.Parameters.AddWithValue("checked_types", checkedRecords.Select(r => r.AggregateType).ToArray());
        resolve.Parameters.AddWithValue("checked_keys", checkedRecords.Select(r => r.AggregateKey).ToArray());
        resolve.Parameters.AddWithValue("found_types", drifts.Select(d => d.AggregateType).ToArray());
        resolve.Parameters.AddWithValue("found_keys", drifts.Select(d => d.AggregateKey).ToArray());
        resolve.Parameters.AddWithValue("found_fields", drifts.Select(d => d.Field).ToArray());
        var resolved = await resolve.ExecuteNonQueryAsync(cancellationToken);

        var run = new ReconciliationRun
        {
            StartedAt = startedAt, FinishedAt = DateTimeOffset.UtcNow, Checked = checkedRecords.Count, Found = drifts.Count, Opened = opened, Resolved = resolved,
        };
        await InsertRunAsync(connection, transaction, connector, run, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return run;
    }

    /// <summary>Records a run that failed (the ERP unreachable, say): it changes no drift.</summary>
    public async Task<ReconciliationRun> RecordFailedRunAsync(string connector, DateTimeOffset startedAt, int checkedRecords, string error, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var run = new ReconciliationRun { StartedAt = startedAt, FinishedAt = DateTimeOffset.UtcNow, Checked = checkedRecords, Error = error };
        await InsertRunAsync(connection, null, connector, run, cancellationToken);
        return run;
    }

    /// <summary>Drifts matching <paramref name="filter"/>, most recently found first, up to <paramref name="limit"/> after row <paramref name="afterId"/> (0: from the newest).</summary>
    public async Task<IReadOnlyList<DriftEntry>> DriftsAsync(DriftFilter filter, int limit, long afterId = 0, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, connector, aggregate_type, aggregate_key, plant, field, ours, theirs, external_ref, found_at, last_seen_at, resolved_at
            FROM mfg_drifts
            WHERE (@connector::text IS NULL OR connector = @connector)
              AND (@type::text IS NULL OR aggregate_type = @type)
              AND (@resolved OR resolved_at IS NULL)
              AND (@after = 0 OR id < @after)
            ORDER BY id DESC
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("connector", (object?)filter.Connector ?? DBNull.Value);
        command.Parameters.AddWithValue("type", (object?)filter.AggregateType ?? DBNull.Value);
        command.Parameters.AddWithValue("resolved", filter.IncludeResolved);
        command.Parameters.AddWithValue("after", afterId);
        command.Parameters.AddWithValue("limit", limit);
        var drifts = new List<DriftEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            drifts.Add(new DriftEntry
            {
                Id = reader.GetInt64(0),
                Connector = reader.GetString(1),
                Drift = new Drift(reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetString(8)),
                FoundAt = reader.GetFieldValue<DateTimeOffset>(9),
                LastSeenAt = reader.GetFieldValue<DateTimeOffset>(10),
                ResolvedAt = reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
            });
        }

        return drifts;
    }

    /// <summary>Open drifts of <paramref name="connector"/>.</summary>
    public async Task<long> OpenDriftsAsync(string connector, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM mfg_drifts WHERE connector = @connector AND resolved_at IS NULL");
        command.Parameters.AddWithValue("connector", connector);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The last run of <paramref name="connector"/>, or null before the first.</summary>
    public async Task<ReconciliationRun?> LastRunAsync(string connector, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT started_at, finished_at, checked, found, opened, resolved, error FROM mfg_reconciliation_runs
            WHERE connector = @connector ORDER BY id DESC LIMIT 1
            """);
        command.Parameters.AddWithValue("connector", connector);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ReconciliationRun
            {
                StartedAt = reader.GetFieldValue<DateTimeOffset>(0), FinishedAt = reader.GetFieldValue<DateTimeOffset>(1), Checked = reader.GetInt32(2),
                Found = reader.GetInt32(3), Opened = reader.GetInt32(4), Resolved = reader.GetInt32(5), Error = reader.GetString(6),
            }
            : null;
    }

    private static async Task InsertRunAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string connector, ReconciliationRun run, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand("""
            INSERT INTO mfg_reconciliation_runs (connector, started_at, finished_at, checked, found, opened, resolved, error)
            VALUES (@connector, @started, @finished, @checked, @found, @opened, @resolved, @error)
            """, connection, transaction);
        insert.Parameters.AddWithValue("connector", connector);
        insert.Parameters.AddWithValue("started", run.StartedAt);
        insert.Parameters.AddWithValue("finished", run.FinishedAt);
        insert.Parameters.AddWithValue("checked", run.Checked);
        insert.Parameters.AddWithValue("found", run.Found);
        insert.Parameters.AddWithValue("opened", run.Opened);
        insert.Parameters.AddWithValue("resolved", run.Resolved);
        insert.Parameters.AddWithValue("error", run.Error);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }
}
