using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Manufacturing.ServiceDefaults.Security;

/// <summary>One audited call (see <c>manufacturing.governance.v1.AuditRecord</c>).</summary>
public sealed record AuditRecord
{
    /// <summary>When it was recorded (set by the store).</summary>
    public DateTimeOffset RecordedAt { get; init; }

    /// <summary>The store's sequence number (set by the store).</summary>
    public long Id { get; init; }

    /// <summary><c>gateway</c> or the service that recorded it.</summary>
    public required string Component { get; init; }

    /// <summary>The token's client, or <see cref="Unauthenticated"/>.</summary>
    public required string Identity { get; init; }

    /// <summary>The source system the call acted as, or empty.</summary>
    public string SourceSystem { get; init; } = "";

    /// <summary>The correlation id.</summary>
    public string CorrelationId { get; init; } = "";

    /// <summary>The command's message id, or empty.</summary>
    public string MessageId { get; init; } = "";

    /// <summary>The resource name the call named, or empty.</summary>
    public string Resource { get; init; } = "";

    /// <summary>The RPC, or <c>METHOD /path</c> at the gateway.</summary>
    public required string Rpc { get; init; }

    /// <summary><see cref="Accepted"/> or <see cref="Refused"/>.</summary>
    public required string Outcome { get; init; }

    /// <summary>The gRPC status code name.</summary>
    public required string Status { get; init; }

    /// <summary>Why it was refused; empty when accepted.</summary>
    public string Reason { get; init; } = "";

    /// <summary>The identity of calls without a valid token.</summary>
    public const string Unauthenticated = "(unauthenticated)";

    /// <summary>The outcome of an applied command.</summary>
    public const string Accepted = "ACCEPTED";

    /// <summary>The outcome of a refused call.</summary>
    public const string Refused = "REFUSED";
}

/// <summary>What to list: all filters optional.</summary>
public sealed record AuditQuery(string? Resource, string? Identity, DateTimeOffset? From, DateTimeOffset? To, int PageSize, long After);

/// <summary>Where audit records go: append-only.</summary>
public interface IAuditStore
{
    /// <summary>Appends <paramref name="records"/> in one transaction.</summary>
    Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default);

    /// <summary>Records matching <paramref name="query"/>, oldest first, and the next page's token (the last id) when there are more.</summary>
    Task<(IReadOnlyList<AuditRecord> Records, long? Next)> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);
}

/// <summary>The audit trail in PostgreSQL (table <c>mfg_audit_records</c>, migration 0003).</summary>
public sealed class PostgresAuditStore(NpgsqlDataSource dataSource) : IAuditStore
{
    /// <inheritdoc />
    public async Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY mfg_audit_records (component, identity, source_system, correlation_id, message_id, resource, rpc, outcome, status, reason) FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        foreach (var r in records)
        {
            await writer.StartRowAsync(cancellationToken);
            foreach (var value in new[] { r.Component, r.Identity, r.SourceSystem, r.CorrelationId, r.MessageId, r.Resource, r.Rpc, r.Outcome, r.Status, r.Reason })
            {
                await writer.WriteAsync(value, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            }
        }

        await writer.CompleteAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<(IReadOnlyList<AuditRecord> Records, long? Next)> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, recorded_at, component, identity, source_system, correlation_id, message_id, resource, rpc, outcome, status, reason
            FROM mfg_audit_records
            WHERE id > @after AND (@resource::text IS NULL OR resource = @resource) AND (@identity::text IS NULL OR identity = @identity)
              AND (@from::timestamptz IS NULL OR recorded_at >= @from) AND (@to::timestamptz IS NULL OR recorded_at < @to)
            ORDER BY id LIMIT @limit
            """);
        command.Parameters.AddWithValue("after", query.After);
        command.Parameters.Add(new NpgsqlParameter("resource", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)query.Resource ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("identity", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)query.Identity ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("from", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)query.From ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("to", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)query.To ?? DBNull.Value });
        command.Parameters.AddWithValue("limit", query.PageSize + 1);
        var records = new List<AuditRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new AuditRecord
            {
                Id = reader.GetInt64(0),
                RecordedAt = reader.GetFieldValue<DateTimeOffset>(1),
                Component = reader.GetString(2),
                Identity = reader.GetString(3),
                SourceSystem = reader.GetString(4),
                CorrelationId = reader.GetString(5),
                MessageId = reader.GetString(6),
                Resource = reader.GetString(7),
                Rpc = reader.GetString(8),
                Outcome = reader.GetString(9),
                Status = reader.GetString(10),
                Reason = reader.GetString(11),
            });
        }

        return records.Count > query.PageSize ? (records[..query.PageSize], records[query.PageSize - 1].Id) : (records, null);
    }
}

/// <summary>The audit trail in memory: only for the zero-setup in-memory run (per process).</summary>
public sealed class MemoryAuditStore : IAuditStore
{
    private readonly Lock _gate = new();
    private readonly List<AuditRecord> _records = [];

    /// <inheritdoc />
    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            foreach (var record in records)
            {
                _records.Add(record with { Id = _records.Count + 1, RecordedAt = DateTimeOffset.UtcNow });
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<(IReadOnlyList<AuditRecord> Records, long? Next)> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var matching = _records.Where(r => r.Id > query.After && (query.Resource is null || r.Resource == query.Resource)
                && (query.Identity is null || r.Identity == query.Identity) && (query.From is null || r.RecordedAt >= query.From)
                && (query.To is null || r.RecordedAt < query.To)).Take(query.PageSize + 1).ToList();
            return Task.FromResult<(IReadOnlyList<AuditRecord>, long?)>(matching.Count > query.PageSize
                ? (matching[..query.PageSize], matching[query.PageSize - 1].Id)
                : (matching, null));
        }
    }
}

/// <summary>
/// Takes audit records from the request path and writes them in batches in the background, so a
/// call never waits for the audit write; a failed write is retried (with backoff) until it
/// succeeds, and what is queued at shutdown is written before the host stops. The queue is bounded
/// (<c>Audit:QueueCapacity</c>, 10000): when the database falls that far behind, callers wait
/// rather than records being dropped.
/// </summary>
public sealed partial class AuditTrail(IAuditStore store, ServiceIdentity component, IConfiguration configuration, ILogger<AuditTrail> logger) : BackgroundService
{
    private readonly Channel<AuditRecord> _queue = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(configuration.GetValue("Audit:QueueCapacity", 10_000))
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    /// <summary>Queues <paramref name="record"/> (its component is this host's).</summary>
    public ValueTask RecordAsync(AuditRecord record) => _queue.Writer.WriteAsync(record with { Component = component.Name });

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuditRecord>(500);
        var delay = TimeSpan.FromMilliseconds(200);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < 500 && _queue.Reader.TryRead(out var record))
                {
                    batch.Add(record);
                }

                try
                {
                    await store.AppendAsync(batch, stoppingToken);
                    batch.Clear();
                    delay = TimeSpan.FromMilliseconds(200);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    LogWriteFailed(logger, batch.Count, delay, e);
                    await Task.Delay(delay, stoppingToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: write what is queued, once, below.
        }

        while (_queue.Reader.TryRead(out var left))
        {
            batch.Add(left);
        }

        if (batch.Count > 0)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await store.AppendAsync(batch, timeout.Token);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or InvalidOperationException)
            {
                LogLostAtShutdown(logger, batch.Count, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Count} audit records failed; retrying in {Delay}")]
    private static partial void LogWriteFailed(ILogger logger, int count, TimeSpan delay, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Count} audit records could not be written before shutdown")]
    private static partial void LogLostAtShutdown(ILogger logger, int count, Exception exception);
}

/// <summary>Registers the audit trail.</summary>
public static class AuditSetup
{
    /// <summary>
    /// The audit store: PostgreSQL from <c>ConnectionStrings:Audit</c> (or <c>ConnectionStrings:Orleans</c>),
    /// in memory otherwise (the zero-setup run, which says so loudly); and the background writer.
    /// </summary>
    public static WebApplicationBuilder AddManufacturingAudit(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Audit") ?? builder.Configuration.GetConnectionString("Orleans");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            builder.Services.AddSingleton<IAuditStore, MemoryAuditStore>();
        }
        else
        {
            builder.Services.AddSingleton<IAuditStore>(new PostgresAuditStore(new NpgsqlDataSourceBuilder(connectionString) { Name = "audit" }.Build()));
        }

        builder.Services.AddSingleton<AuditTrail>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AuditTrail>());
        return builder;
    }
}
