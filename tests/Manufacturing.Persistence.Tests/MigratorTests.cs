using System.Diagnostics;
using Manufacturing.Migrator;
using Manufacturing.Persistence.Tests.Support;
using Manufacturing.Testing;
using Npgsql;

namespace Manufacturing.Persistence.Tests;

public sealed class MigratorTests
{
    /// <summary>Every key the 10.4.2 providers read (clustering incl. the optional per-row cleanup, persistence, reminders).</summary>
    public static readonly string[] ProviderQueryKeys =
    [
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
        "MembershipReadAllKey", "MembershipReadRowKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey",
        "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey",
        "UpsertReminderRowKey", "ReadReminderRowKey", "ReadReminderRowsKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
        "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    private static IEnumerable<string> AllMigrationNames => DatabaseMigrator.Migrations.Select(m => m.FullName);

    [Fact]
    public async Task Applying_twice_applies_nothing_the_second_time()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("mig_twice", migrate: false);

        var first = await DatabaseMigrator.ApplyAsync(db);
        var second = await DatabaseMigrator.ApplyAsync(db);

        Assert.Equal(AllMigrationNames, first);
        Assert.Contains("0001_orleans_adonet", first);
        Assert.Empty(second);
        var history = await Db.QueryAsync(db, "SELECT version, name, checksum FROM mfg_schema_migrations ORDER BY version");
        Assert.Equal(DatabaseMigrator.Migrations.Count, history.Count);
        Assert.Equal(1, history[0][0]);
        Assert.Equal("orleans_adonet", history[0][1]);
        Assert.Equal(DatabaseMigrator.Migrations[0].Checksum, history[0][2]);
    }

    [Fact]
    public async Task First_migration_stores_every_query_key_the_providers_read()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("mig_keys");

        var keys = (await Db.QueryAsync(db, "SELECT querykey FROM orleansquery")).Select(r => (string)r[0]!).ToHashSet();

        Assert.Empty(ProviderQueryKeys.Except(keys));
        Assert.Equal(ProviderQueryKeys.Length, keys.Count);
    }

    [Fact]
    public async Task Grain_state_is_compressed_with_lz4_where_the_server_has_it()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("mig_lz4");
        var lz4 = await Db.ScalarAsync<bool>(db, "SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))");

        var compression = await Db.ScalarAsync<char>(db,
            "SELECT attcompression FROM pg_attribute WHERE attrelid = 'orleansstorage'::regclass AND attname = 'payloadbinary'");

        Assert.Equal(lz4 ? 'l' : '\0', compression);
    }

    [Fact]
    public async Task Migration_sql_can_be_run_again_by_hand_without_harm()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("mig_rerun");
        await Db.ExecuteAsync(db, "UPDATE orleansquery SET querytext = 'stale' WHERE querykey = 'GatewaysQueryKey'");

        await Db.ExecuteAsync(db, DatabaseMigrator.Migrations[0].Sql);

        Assert.Equal(ProviderQueryKeys.Length, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM orleansquery"));
        Assert.NotEqual("stale", await Db.ScalarAsync<string>(db, "SELECT querytext FROM orleansquery WHERE querykey = 'GatewaysQueryKey'"));
    }

    [Fact]
    public async Task Concurrent_apply_from_several_tasks_applies_each_migration_once()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("mig_race", migrate: false);

        var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => DatabaseMigrator.ApplyAsync(db))))
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Single(runs, r => r.Count > 0);
        Assert.Equal(AllMigrationNames, runs.Single(r => r.Count > 0));
        Assert.Equal(5, runs.Count(r => r.Count == 0));
        Assert.Equal(DatabaseMigrator.Migrations.Count, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM mfg_schema_migrations"));
    }

    [Fact]
    public async Task Tampered_checksum_is_refused_with_a_clear_error()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("mig_tamper");
        await Db.ExecuteAsync(db, "UPDATE mfg_schema_migrations SET checksum = 'deadbeef' WHERE version = 1");
        await Db.ExecuteAsync(db, "DELETE FROM orleansquery WHERE querykey = 'GatewaysQueryKey'");

        var error = await Assert.ThrowsAsync<MigrationException>(() => DatabaseMigrator.ApplyAsync(db));

        Assert.Contains("0001_orleans_adonet", error.Message);
        Assert.Contains("checksum", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("deadbeef", error.Message);
        // Refused, not silently re-applied: the deleted row stays deleted.
        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM orleansquery WHERE querykey = 'GatewaysQueryKey'"));
    }

    [Fact]
    public async Task A_failing_migration_is_rolled_back_and_not_recorded()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("mig_fail", migrate: false);
        // A table in the way with an incompatible shape: 0001's query rows cannot be inserted.
        await Db.ExecuteAsync(db, "CREATE TABLE orleansquery (querykey int PRIMARY KEY, querytext int)");

        var error = await Assert.ThrowsAsync<MigrationException>(() => DatabaseMigrator.ApplyAsync(db));

        Assert.Contains("0001_orleans_adonet failed and was rolled back", error.Message);
        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM mfg_schema_migrations"));
        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'orleansstorage'"));
    }

    [Fact]
    public async Task Ensure_database_creates_a_missing_database_even_when_called_concurrently()
    {
        var server = await PostgresServer.Shared;
        var name = PostgresServer.UniqueDatabaseName("mig_ensure");
        var db = server.ConnectionStringFor(name);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => DatabaseMigrator.EnsureDatabaseAsync(db))))
            .WaitAsync(TimeSpan.FromSeconds(30));
        await DatabaseMigrator.EnsureDatabaseAsync(db);

        Assert.Equal(1L, await Db.ScalarAsync<long>(server.AdminConnectionString, "SELECT count(*) FROM pg_database WHERE datname = @name", ("name", name)));
        Assert.Equal(AllMigrationNames, await DatabaseMigrator.ApplyAsync(db));
    }

    [Fact]
    public async Task Command_line_applies_then_reports_up_to_date_with_exit_code_zero()
    {
        var server = await PostgresServer.Shared;
        var db = server.ConnectionStringFor(PostgresServer.UniqueDatabaseName("mig_cli"));

        var first = await RunMigratorAsync("--connection", db, "--create-database");
        var second = await RunMigratorAsync([], ("ConnectionStrings__Orleans", db));

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("0001_orleans_adonet", first.StdOut);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains($"schema is up to date at version {DatabaseMigrator.Migrations.Count}", second.StdOut);
    }

    [Fact]
    public async Task Command_line_fails_with_a_one_line_error_when_the_server_is_unreachable()
    {
        var unreachable = $"Host=127.0.0.1;Port={FreePorts.Next()};Username=mfg;Database=nowhere;Timeout=5";

        var result = await RunMigratorAsync("--connection", unreachable);

        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: cannot reach PostgreSQL at 127.0.0.1:", line);
        Assert.DoesNotContain("   at ", result.StdErr);
    }

    [Fact]
    public async Task Command_line_refuses_a_tampered_checksum_with_a_non_zero_exit_code()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("mig_cli_tamper");
        await Db.ExecuteAsync(db, "UPDATE mfg_schema_migrations SET checksum = 'deadbeef' WHERE version = 1");

        var result = await RunMigratorAsync("--connection", db);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: Checksum mismatch for applied migration 0001_orleans_adonet", line);
    }

    private static Task<ProcessResult> RunMigratorAsync(params string[] args) => RunMigratorAsync(args, []);

    private static async Task<ProcessResult> RunMigratorAsync(string[] args, params (string Name, string Value)[] environment)
    {
        var migratorDll = typeof(DatabaseMigrator).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(migratorDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("ConnectionStrings__Orleans");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The migrator did not exit within 30 s.");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    private sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {StdOut}\nstderr: {StdErr}";
    }
}
