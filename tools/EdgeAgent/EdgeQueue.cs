using Google.Protobuf;
using Manufacturing.ShopFloor.V1;
using Microsoft.Data.Sqlite;

namespace Manufacturing.EdgeAgent;

/// <summary>An event waiting in the local queue: its row id, source, sequence and the event itself.</summary>
public sealed record QueuedEvent(long Id, string Source, long Sequence, PlantEvent Event);

/// <summary>An event the cluster refused for good, kept for an operator.</summary>
public sealed record QuarantinedEvent(long Id, string Source, long Sequence, string MessageId, int StatusCode, string Reason, DateTimeOffset QuarantinedAt, PlantEvent Event);

/// <summary>
/// The agent's local durable queue: SQLite in WAL mode with <c>synchronous=FULL</c>, so an event is
/// on disk (fsync'd) before the plant system is told it was taken, and survives kill -9 and power
/// loss. Each source's events get consecutive sequence numbers in the order they arrive; an event
/// leaves the queue only when the cluster acknowledged it (applied, duplicate or parked) or refused
/// it for good (then it moves to the quarantine, in the same transaction).
/// </summary>
public sealed class EdgeQueue : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _arrived = new(0, int.MaxValue);

    private EdgeQueue(SqliteConnection connection) => _connection = connection;

    /// <summary>Opens (creating when needed) the queue in <paramref name="path"/>.</summary>
    public static async Task<EdgeQueue> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using (var setup = connection.CreateCommand())
        {
            setup.CommandText = """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                CREATE TABLE IF NOT EXISTS sources (source TEXT PRIMARY KEY, next_sequence INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, sequence INTEGER NOT NULL,
                    payload BLOB NOT NULL, received_at TEXT NOT NULL, UNIQUE (source, sequence));
                CREATE TABLE IF NOT EXISTS quarantine (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, sequence INTEGER NOT NULL,
                    message_id TEXT NOT NULL, status_code INTEGER NOT NULL, reason TEXT NOT NULL,
                    payload BLOB NOT NULL, quarantined_at TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS sparkplug_counters (path TEXT PRIMARY KEY, value TEXT NOT NULL, read_at TEXT NOT NULL);
                """;
            await setup.ExecuteNonQueryAsync(cancellationToken);
        }

        return new EdgeQueue(connection);
    }

    /// <summary>
    /// Stores <paramref name="events"/> of <paramref name="source"/> (a full source name,
    /// <c>plants/{plant}/sources/{id}</c>) with the next sequences, durably, and returns the sequences;
    /// with them, in the same transaction, the Sparkplug counter readings they were counted from.
    /// </summary>
    public async Task<IReadOnlyList<long>> EnqueueAsync(
        string source,
        IReadOnlyList<PlantEvent> events,
        IReadOnlyDictionary<string, Sparkplug.CounterReading>? counters = null,
        CancellationToken cancellationToken = default)
    {
        var sequences = new List<long>(events.Count);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
            long next;
            await using (var read = _connection.CreateCommand())
            {
                read.Transaction = transaction;
                read.CommandText = "SELECT next_sequence FROM sources WHERE source = $source";
                read.Parameters.AddWithValue("$source", source);
                next = await read.ExecuteScalarAsync(cancellationToken) is long stored ? stored : 1;
            }

            await using (var insert = _connection.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO events (source, sequence, payload, received_at) VALUES ($source, $sequence, $payload, $at)";
                var sourceParameter = insert.Parameters.Add("$source", SqliteType.Text);
                var sequenceParameter = insert.Parameters.Add("$sequence", SqliteType.Integer);
                var payloadParameter = insert.Parameters.Add("$payload", SqliteType.Blob);
                insert.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
                foreach (var plantEvent in events)
                {
                    var stored = plantEvent.Clone();
                    stored.Sequence = next;
                    sourceParameter.Value = source;
                    sequenceParameter.Value = next;
                    payloadParameter.Value = stored.ToByteArray();
                    await insert.ExecuteNonQueryAsync(cancellationToken);
                    sequences.Add(next++);
                }
            }

            await using (var write = _connection.CreateCommand())
            {
                write.Transaction = transaction;
                write.CommandText = "INSERT INTO sources (source, next_sequence) VALUES ($source, $next) ON CONFLICT (source) DO UPDATE SET next_sequence = $next";
                write.Parameters.AddWithValue("$source", source);
                write.Parameters.AddWithValue("$next", next);
                await write.ExecuteNonQueryAsync(cancellationToken);
            }

            foreach (var (path, reading) in counters ?? new Dictionary<string, Sparkplug.CounterReading>())
            {
                await using var counter = _connection.CreateCommand();
                counter.Transaction = transaction;
                counter.CommandText = """
                    INSERT INTO sparkplug_counters (path, value, read_at) VALUES ($path, $value, $at)
                    ON CONFLICT (path) DO UPDATE SET value = $value, read_at = $at
                    """;
                counter.Parameters.AddWithValue("$path", path);
                counter.Parameters.AddWithValue("$value", reading.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                counter.Parameters.AddWithValue("$at", reading.At.ToUniversalTime().ToString("O"));
                await counter.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }

        if (sequences.Count > 0)
        {
            _arrived.Release();
        }

        return sequences;
    }

    /// <summary>The Sparkplug counter readings stored with the events counted from them, by metric path.</summary>
    public async Task<IReadOnlyDictionary<string, Sparkplug.CounterReading>> CountersAsync(CancellationToken cancellationToken = default)
    {
        var counters = new Dictionary<string, Sparkplug.CounterReading>(StringComparer.Ordinal);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var read = _connection.CreateCommand();
            read.CommandText = "SELECT path, value, read_at FROM sparkplug_counters";
            await using var rows = await read.ExecuteReaderAsync(cancellationToken);
            while (await rows.ReadAsync(cancellationToken))
            {
                counters[rows.GetString(0)] = new Sparkplug.CounterReading(
                    decimal.Parse(rows.GetString(1), System.Globalization.CultureInfo.InvariantCulture),
                    DateTimeOffset.Parse(rows.GetString(2), System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        finally
        {
            _gate.Release();
        }

        return counters;
    }

    /// <summary>Waits until an event arrives or <paramref name="timeout"/> passes.</summary>
    public Task WaitForArrivalAsync(TimeSpan timeout, CancellationToken cancellationToken) => _arrived.WaitAsync(timeout, cancellationToken);

    /// <summary>Up to <paramref name="limit"/> queued events after row <paramref name="afterId"/>, in arrival order.</summary>
    public async Task<IReadOnlyList<QueuedEvent>> ReadAfterAsync(long afterId, int limit, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var read = _connection.CreateCommand();
            read.CommandText = "SELECT id, source, sequence, payload FROM events WHERE id > $after ORDER BY id LIMIT $limit";
            read.Parameters.AddWithValue("$after", afterId);
            read.Parameters.AddWithValue("$limit", limit);
            var rows = new List<QueuedEvent>();
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new QueuedEvent(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), PlantEvent.Parser.ParseFrom((byte[])reader[3])));
            }

            return rows;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Settles acknowledged events in one transaction: removes the delivered ones, and moves the ones
    /// refused for good to the quarantine with their reason.
    /// </summary>
    public async Task SettleAsync(IReadOnlyList<PlantEventAck> acks, CancellationToken cancellationToken = default)
    {
        if (acks.Count == 0)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken);
            await using var quarantine = _connection.CreateCommand();
            quarantine.Transaction = transaction;
            quarantine.CommandText = """
                INSERT INTO quarantine (source, sequence, message_id, status_code, reason, payload, quarantined_at)
                SELECT source, sequence, $message, $code, $reason, payload, $at FROM events WHERE source = $source AND sequence = $sequence
                """;
            await using var delete = _connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM events WHERE source = $source AND sequence = $sequence";
            foreach (var ack in acks)
            {
                if (ack.Status == PlantEventStatus.Refused)
                {
                    quarantine.Parameters.Clear();
                    quarantine.Parameters.AddWithValue("$source", ack.Source);
                    quarantine.Parameters.AddWithValue("$sequence", ack.Sequence);
                    quarantine.Parameters.AddWithValue("$message", ack.MessageId);
                    quarantine.Parameters.AddWithValue("$code", ack.Error?.Code ?? 0);
                    quarantine.Parameters.AddWithValue("$reason", Reason(ack));
                    quarantine.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
                    await quarantine.ExecuteNonQueryAsync(cancellationToken);
                }

                delete.Parameters.Clear();
                delete.Parameters.AddWithValue("$source", ack.Source);
                delete.Parameters.AddWithValue("$sequence", ack.Sequence);
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string Reason(PlantEventAck ack)
    {
        var info = ack.Error?.Details.Select(d => d.TryUnpack<Google.Rpc.ErrorInfo>(out var i) ? i : null).FirstOrDefault(i => i is not null);
        return info is null ? ack.Error?.Message ?? "" : $"{info.Reason}: {ack.Error!.Message}";
    }

    /// <summary>Events waiting per source, and how many are in quarantine.</summary>
    public async Task<(IReadOnlyDictionary<string, long> Pending, long Quarantined)> BacklogAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var pending = new Dictionary<string, long>(StringComparer.Ordinal);
            await using (var read = _connection.CreateCommand())
            {
                read.CommandText = "SELECT source, count(*) FROM events GROUP BY source ORDER BY source";
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    pending[reader.GetString(0)] = reader.GetInt64(1);
                }
            }

            await using var count = _connection.CreateCommand();
            count.CommandText = "SELECT count(*) FROM quarantine";
            return (pending, (long)(await count.ExecuteScalarAsync(cancellationToken))!);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The quarantined events, oldest first.</summary>
    public async Task<IReadOnlyList<QuarantinedEvent>> QuarantineAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var read = _connection.CreateCommand();
            read.CommandText = "SELECT id, source, sequence, message_id, status_code, reason, quarantined_at, payload FROM quarantine ORDER BY id";
            var rows = new List<QuarantinedEvent>();
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new QuarantinedEvent(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt32(4),
                    reader.GetString(5), DateTimeOffset.Parse(reader.GetString(6), System.Globalization.CultureInfo.InvariantCulture), PlantEvent.Parser.ParseFrom((byte[])reader[7])));
            }

            return rows;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Sends a quarantined event again: it goes back to the end of its source's queue with a new
    /// sequence (its message id is unchanged, so the cluster still applies it at most once). False
    /// when no such quarantined event exists.
    /// </summary>
    public async Task<bool> RetryAsync(long quarantineId, CancellationToken cancellationToken = default)
    {
        var entry = (await QuarantineAsync(cancellationToken)).FirstOrDefault(q => q.Id == quarantineId);
        if (entry is null)
        {
            return false;
        }

        await EnqueueAsync(entry.Source, [entry.Event], cancellationToken: cancellationToken);
        return await DiscardAsync(quarantineId, cancellationToken);
    }

    /// <summary>Removes a quarantined event for good. False when no such quarantined event exists.</summary>
    public async Task<bool> DiscardAsync(long quarantineId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var delete = _connection.CreateCommand();
            delete.CommandText = "DELETE FROM quarantine WHERE id = $id";
            delete.Parameters.AddWithValue("$id", quarantineId);
            return await delete.ExecuteNonQueryAsync(cancellationToken) > 0;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _gate.Dispose();
        _arrived.Dispose();
    }
}
