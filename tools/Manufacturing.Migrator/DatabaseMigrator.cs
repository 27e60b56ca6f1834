using System.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Manufacturing.Migrator;

/// <summary>
/// Applies the embedded, versioned PostgreSQL migrations (<c>Migrations/NNNN_name.sql</c>) in order.
/// </summary>
/// <remarks>
/// <para>Each migration runs in its own transaction together with its row in
/// <c>mfg_schema_migrations</c>, so a migration is either fully applied and recorded or not at all.</para>
/// <para>A session-level advisory lock with a fixed key is held for the whole run, so several
/// processes (replicas starting together, an init container and a job) can run it at once: one
/// applies, the others wait and then find nothing to do.</para>
/// <para>An applied migration whose recorded checksum differs from the embedded file is refused:
/// migrations are never re-applied or edited in place; write a new one instead.</para>
/// </remarks>
public static class DatabaseMigrator
{
    /// <summary>The fixed advisory lock key ("MFG_MIGR" in ASCII) held while migrating.</summary>
    public const long AdvisoryLockKey = 0x4D46_475F_4D49_4752;

    /// <summary>The table that records applied migrations.</summary>
    public const string HistoryTable = "mfg_schema_migrations";

    private const string CreateHistoryTableSql = $"""
        CREATE TABLE IF NOT EXISTS {HistoryTable}
        (
            version    int         NOT NULL PRIMARY KEY,
            name       text        NOT NULL,
            checksum   text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """;

    /// <summary>The migrations embedded in this assembly, in version order.</summary>
    public static IReadOnlyList<Migration> Migrations => Migration.Embedded.Value;

    /// <summary>
    /// Applies every embedded migration that the database has not recorded yet.
    /// </summary>
    /// <param name="connectionString">Npgsql connection string of the target database.</param>
    /// <param name="logger">Optional progress logger.</param>
    /// <param name="cancellationToken">Cancels waiting for the lock and running migrations.</param>
    /// <returns>The migrations applied by this call (<c>NNNN_name</c>), empty when the schema was up to date.</returns>
    /// <exception cref="MigrationException">An applied migration's checksum differs from the embedded file.</exception>
    public static async Task<IReadOnlyList<string>> ApplyAsync(
        string connectionString,
        ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        logger ??= NullLogger.Instance;
        var migrations = Migrations;

        await using var connection = new NpgsqlConnection(Unpooled(connectionString));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

        // Session-level lock: released explicitly below, and by the server if this process dies
        // (the connection is unpooled, so closing it really ends the session).
        logger.LogDebug("Waiting for migration lock {LockKey}", AdvisoryLockKey);
        await LockAsync(connection, "pg_advisory_lock", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, null, CreateHistoryTableSql, cancellationToken).ConfigureAwait(false);
            var applied = await ReadAppliedAsync(connection, cancellationToken).ConfigureAwait(false);
            Verify(migrations, applied, logger);

            var appliedNow = new List<string>();
            foreach (var migration in migrations)
            {
                if (applied.ContainsKey(migration.Version))
                {
                    continue;
                }

                logger.LogInformation("Applying migration {Migration}", migration.FullName);
                await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
                {
                    try
                    {
                        await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
                    }
                    catch (PostgresException ex)
                    {
                        // Disposing the transaction rolls it back: nothing of this migration remains.
                        throw new MigrationException(
                            $"Migration {migration.FullName} failed and was rolled back: {ex.SqlState}: {ex.MessageText}",
                            ex);
                    }

                    await using (var record = new NpgsqlCommand(
                        $"INSERT INTO {HistoryTable} (version, name, checksum) VALUES (@version, @name, @checksum)",
                        connection,
                        transaction))
                    {
                        record.Parameters.AddWithValue("version", migration.Version);
                        record.Parameters.AddWithValue("name", migration.Name);
                        record.Parameters.AddWithValue("checksum", migration.Checksum);
                        await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }

                logger.LogInformation("Applied migration {Migration}", migration.FullName);
                appliedNow.Add(migration.FullName);
            }

            return appliedNow;
        }
        finally
        {
            if (connection.State == ConnectionState.Open)
            {
                // Best effort; closing the unpooled connection releases the lock anyway.
                try
                {
                    await LockAsync(connection, "pg_advisory_unlock", CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or OperationCanceledException)
                {
                    logger.LogDebug(ex, "Could not release the migration lock explicitly");
                }
            }
        }
    }

    /// <summary>
    /// Creates the database named in <paramref name="connectionString"/> if it does not exist, connecting to
    /// the <c>postgres</c> maintenance database with the same credentials. Safe to call concurrently.
    /// </summary>
    /// <param name="connectionString">Npgsql connection string naming the database to create.</param>
    /// <param name="logger">Optional progress logger.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static async Task EnsureDatabaseAsync(
        string connectionString,
        ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        logger ??= NullLogger.Instance;

        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var database = target.Database;
        if (string.IsNullOrEmpty(database))
        {
            throw new MigrationException("The connection string names no database (Database=...).");
        }

        var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

        if (await DatabaseExistsAsync(connection, database, cancellationToken).ConfigureAwait(false))
        {
            logger.LogDebug("Database {Database} exists", database);
            return;
        }

        try
        {
            // Identifiers cannot be parameters: quote it ("" escapes a quote inside the name).
            await ExecuteAsync(connection, null, $"CREATE DATABASE {QuoteIdentifier(database)}", cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Created database {Database}", database);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another caller created it between our check and our CREATE: 42P04, or 23505 from
            // pg_database's unique index when both CREATEs ran at the same moment.
            logger.LogDebug("Database {Database} was created concurrently", database);
        }
    }

    internal static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    private static async Task<bool> DatabaseExistsAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @name)", connection);
        command.Parameters.AddWithValue("name", database);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task<Dictionary<int, (string Name, string Checksum)>> ReadAppliedAsync(
        NpgsqlConnection connection,
        CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, (string, string)>();
        await using var command = new NpgsqlCommand($"SELECT version, name, checksum FROM {HistoryTable} ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
        }

        return applied;
    }

    private static void Verify(
        IReadOnlyList<Migration> migrations,
        Dictionary<int, (string Name, string Checksum)> applied,
        ILogger logger)
    {
        var embedded = migrations.ToDictionary(m => m.Version);
        foreach (var (version, (name, checksum)) in applied.OrderBy(a => a.Key))
        {
            if (!embedded.TryGetValue(version, out var migration))
            {
                // A newer build migrated this database (e.g. during a rolling upgrade). Its
                // migrations must stay compatible with older code, so this is not an error here.
                logger.LogWarning(
                    "Database has migration {Version:D4}_{Name} which this migrator does not know; it was applied by a newer version",
                    version,
                    name);
                continue;
            }

            if (!string.Equals(migration.Checksum, checksum, StringComparison.OrdinalIgnoreCase))
            {
                throw new MigrationException(
                    $"Checksum mismatch for applied migration {version:D4}_{name}: the database recorded {checksum}, " +
                    $"the embedded {migration.FileName} is {migration.Checksum}. Applied migrations must never change; " +
                    "restore the original file and put the change in a new migration.");
            }
        }
    }

    private static async Task LockAsync(NpgsqlConnection connection, string function, CancellationToken cancellationToken)
    {
        // No command timeout: another process may hold the lock while it migrates.
        await using var command = new NpgsqlCommand($"SELECT {function}(@key)", connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("key", AdvisoryLockKey);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? transaction,
        string sql,
        CancellationToken cancellationToken)
    {
        // No command timeout: waiting for the lock, or a migration on a big table, may take longer
        // than Npgsql's 30 s default. Callers bound the run with the cancellation token.
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
