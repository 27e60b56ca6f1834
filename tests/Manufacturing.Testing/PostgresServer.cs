using System.Text;
using DotNet.Testcontainers.Builders;
using Manufacturing.Migrator;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Manufacturing.Testing;

/// <summary>
/// A real PostgreSQL for tests, shared by the whole test process: the server named by
/// <c>MFG_TEST_POSTGRES</c> (an admin connection string; ./test.sh starts one and sets it), or else a
/// Testcontainers PostgreSQL when a Docker engine is available. Tests never share a database: each
/// takes a fresh one from <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresServer
{
    /// <summary>Environment variable holding an admin connection string to an existing server.</summary>
    public const string EnvironmentVariable = "MFG_TEST_POSTGRES";

    /// <summary>Image used when the server comes from Testcontainers.</summary>
    public const string ContainerImage = "postgres:15-alpine";

    /// <summary>Maximum Pool Size put into every connection string handed to a test.</summary>
    public const int TestPoolSize = 20;

    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private PostgresServer(string adminConnectionString, string source)
    {
        AdminConnectionString = adminConnectionString;
        Source = source;
    }

    /// <summary>
    /// The process-wide server, started on first use. Fails with an explanation when neither
    /// <c>MFG_TEST_POSTGRES</c> is set nor Docker is available.
    /// </summary>
    public static Task<PostgresServer> Shared => SharedServer.Value;

    /// <summary>Connection string with rights to create databases (database <c>postgres</c>).</summary>
    public string AdminConnectionString { get; }

    /// <summary>Where the server came from (for diagnostics).</summary>
    public string Source { get; }

    /// <summary>
    /// Stops the shared server (fast shutdown: connections are cut), for fault tests. Needs
    /// <c>MFG_TEST_PG_STOP</c> and <c>MFG_TEST_PG_START</c>, the shell commands ./test.sh sets for the
    /// server it starts; fails saying so when they are not set.
    /// </summary>
    public static Task StopServerAsync() => RunAsync("MFG_TEST_PG_STOP");

    /// <summary>Starts the shared server again after <see cref="StopServerAsync"/>, on the same port and data.</summary>
    public static async Task StartServerAsync()
    {
        await RunAsync("MFG_TEST_PG_START").ConfigureAwait(false);

        // This process's pooled connections died with the old server; drop them rather than fail on first use.
        NpgsqlConnection.ClearAllPools();
    }

    private static async Task RunAsync(string variable)
    {
        var command = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(command))
        {
            throw new InvalidOperationException(
                $"{variable} is not set: this fault test stops and starts the test PostgreSQL, which it can do for the server ./test.sh starts (it sets MFG_TEST_PG_STOP and MFG_TEST_PG_START).");
        }

        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-c", command])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{variable} failed (exit {process.ExitCode}): {await errors.ConfigureAwait(false)}");
        }
    }

    /// <summary>Shorthand for <c>(await Shared).CreateDatabaseAsync(...)</c>.</summary>
    public static async Task<string> CreateTestDatabaseAsync(string prefix, bool migrate = true, CancellationToken cancellationToken = default)
    {
        var server = await Shared.ConfigureAwait(false);
        return await server.CreateDatabaseAsync(prefix, migrate, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a fresh database named <c>prefix_xxxxxxxx</c> (lower case, 8 random hex digits) and,
    /// when <paramref name="migrate"/> is true, applies the project's migrations to it.
    /// </summary>
    /// <returns>
    /// A connection string to the new database, with <c>Maximum Pool Size</c> = <see cref="TestPoolSize"/> and a short
    /// idle lifetime. The database is left behind for inspection (the test server is throwaway);
    /// <see cref="DropDatabaseAsync"/> removes one explicitly.
    /// </returns>
    public async Task<string> CreateDatabaseAsync(string prefix, bool migrate = true, CancellationToken cancellationToken = default)
    {
        var name = UniqueDatabaseName(prefix);
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var connectionString = ConnectionStringFor(name);
        if (migrate)
        {
            await DatabaseMigrator.ApplyAsync(connectionString, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return connectionString;
    }

    /// <summary>A connection string to database <paramref name="database"/> on this server (it need not exist).</summary>
    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString)
        {
            Database = database,
            MaxPoolSize = TestPoolSize,

            // Every test has its own database and so its own pool; close idle connections soon so that
            // finished tests do not hold server connections (max_connections is 100 by default).
            ConnectionIdleLifetime = 2,
            ConnectionPruningInterval = 1,
        }.ConnectionString;

    /// <summary>Drops the database of <paramref name="connectionString"/>, disconnecting its sessions.</summary>
    public async Task DropDatabaseAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database
            ?? throw new ArgumentException("The connection string names no database.", nameof(connectionString));
        NpgsqlConnection.ClearPool(new NpgsqlConnection(connectionString));
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"DROP DATABASE IF EXISTS \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\" WITH (FORCE)",
            connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>prefix_xxxxxxxx</c>: the prefix lower-cased, reduced to [a-z0-9_] and at most 40 characters.</summary>
    public static string UniqueDatabaseName(string prefix)
    {
        var clean = new StringBuilder();
        foreach (var c in prefix.ToLowerInvariant())
        {
            clean.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' ? c : '_');
            if (clean.Length == 40)
            {
                break;
            }
        }

        if (clean.Length == 0 || char.IsDigit(clean[0]))
        {
            clean.Insert(0, "db_");
        }

        return $"{clean}_{Guid.NewGuid():N}"[..(clean.Length + 9)];
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var builder = new NpgsqlConnectionStringBuilder(configured);
            if (string.IsNullOrEmpty(builder.Database))
            {
                builder.Database = "postgres";
            }

            var server = new PostgresServer(builder.ConnectionString, $"{EnvironmentVariable} ({builder.Host}:{builder.Port})");
            await server.CheckReachableAsync().ConfigureAwait(false);
            return server;
        }

        PostgreSqlContainer container;
        try
        {
            container = new PostgreSqlBuilder(ContainerImage).Build();
            await container.StartAsync().ConfigureAwait(false);
        }
        catch (DockerUnavailableException ex)
        {
            var reason = ex.Message.Split('\n', 2)[0].Trim();
            throw new InvalidOperationException(
                $"No PostgreSQL for the tests. Run ./test.sh (it starts a throwaway PostgreSQL and sets {EnvironmentVariable}), " +
                $"or set {EnvironmentVariable} to an admin connection string such as \"Host=127.0.0.1;Port=55432;Username=mfg;Database=postgres\". " +
                $"({EnvironmentVariable} is not set, and Testcontainers found no Docker engine: {reason})",
                ex);
        }

        // The container lives as long as the test process. Testcontainers' resource reaper removes it
        // afterwards; the bounded dispose covers runs with the reaper disabled.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
        return new PostgresServer(container.GetConnectionString(), $"Testcontainers ({ContainerImage})");
    }

    private async Task CheckReachableAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"{EnvironmentVariable} is set but its PostgreSQL cannot be used ({ex.Message}). Start it (./test.sh does) or fix the connection string.",
                ex);
        }
    }
}
