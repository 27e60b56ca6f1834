using Manufacturing.Migrator;
using Manufacturing.Persistence.Tests.Support;
using Manufacturing.Testing;
using Npgsql;

namespace Manufacturing.Persistence.Tests;

/// <summary>The shared fixture itself: fresh, migrated, bounded and droppable databases.</summary>
public sealed class PostgresServerTests
{
    [Fact]
    public async Task Each_created_database_is_fresh_migrated_pool_bounded_and_droppable()
    {
        var server = await PostgresServer.Shared;

        var first = await server.CreateDatabaseAsync("Fixture-Check");
        var second = await server.CreateDatabaseAsync("Fixture-Check", migrate: false);

        var firstName = new NpgsqlConnectionStringBuilder(first).Database!;
        Assert.Matches("^fixture_check_[0-9a-f]{8}$", firstName);
        Assert.NotEqual(firstName, new NpgsqlConnectionStringBuilder(second).Database);
        Assert.Equal(PostgresServer.TestPoolSize, new NpgsqlConnectionStringBuilder(first).MaxPoolSize);
        Assert.Equal((long)DatabaseMigrator.Migrations.Count, await Db.ScalarAsync<long>(first, "SELECT count(*) FROM mfg_schema_migrations"));
        Assert.Equal(0L, await Db.ScalarAsync<long>(second, "SELECT count(*) FROM pg_tables WHERE tablename = 'mfg_schema_migrations'"));

        await server.DropDatabaseAsync(first);

        Assert.Equal(0L, await Db.ScalarAsync<long>(server.AdminConnectionString, "SELECT count(*) FROM pg_database WHERE datname = @name", ("name", firstName)));
    }
}
