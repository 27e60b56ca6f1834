using System.Net;
using Manufacturing.Persistence.Tests.Support;
using Manufacturing.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Manufacturing.Persistence.Tests;

/// <summary>The ADO.NET membership table: protocol checks on the provider class, then real silos and a client.</summary>
public sealed class ClusteringTests(ITestOutputHelper output)
{
    private static readonly DateTime LongAgo = Micros(DateTime.UtcNow.AddMinutes(-30));

    [Fact]
    public async Task Membership_table_version_guards_inserts_and_updates()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("cl_protocol");
        var table = await Providers.StartMembershipTableAsync(db, "protocol");
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true); // a second silo initialising: no error

        var empty = await table.ReadAllAsync();
        Assert.Empty(empty.Members);
        Assert.Equal(0, empty.Version.Version);

        var a = Entry(11111, SiloStatus.Joining, LongAgo, LongAgo);
        Assert.True(await table.InsertRowAsync(a, empty.Version.Next()));
        Assert.False(await table.InsertRowAsync(a, (await table.ReadAllAsync()).Version.Next())); // already a member
        Assert.False(await table.InsertRowAsync(Entry(22222, SiloStatus.Joining, LongAgo, LongAgo), empty.Version.Next())); // stale version

        var afterInsert = await table.ReadAllAsync();
        Assert.Equal(1, afterInsert.Version.Version);
        var (stored, etag) = Assert.Single(afterInsert.Members);
        Assert.Equal(afterInsert.Version.VersionEtag, etag);
        Assert.Equal(a.SiloAddress, stored.SiloAddress);
        Assert.Equal(a.SiloName, stored.SiloName);
        Assert.Equal(a.HostName, stored.HostName);
        Assert.Equal(SiloStatus.Joining, stored.Status);
        Assert.Equal(a.ProxyPort, stored.ProxyPort);
        Assert.Equal(a.StartTime, stored.StartTime);
        Assert.Equal(a.IAmAliveTime, stored.IAmAliveTime);
        Assert.Null(stored.SuspectTimes);

        var suspecter = SiloAddress.New(IPAddress.Loopback, 33333, 7);
        var suspectedAt = new DateTime(2026, 3, 4, 5, 6, 7, 890, DateTimeKind.Utc);
        stored.Status = SiloStatus.Active;
        stored.SuspectTimes = [Tuple.Create(suspecter, suspectedAt)];
        Assert.True(await table.UpdateRowAsync(stored, etag, afterInsert.Version.Next()));
        Assert.False(await table.UpdateRowAsync(stored, etag, afterInsert.Version.Next())); // stale version

        var afterUpdate = await table.ReadRowAsync(a.SiloAddress);
        Assert.Equal(2, afterUpdate.Version.Version);
        var updated = Assert.Single(afterUpdate.Members).Item1;
        Assert.Equal(SiloStatus.Active, updated.Status);
        Assert.NotNull(updated.SuspectTimes);
        var vote = Assert.Single(updated.SuspectTimes);
        Assert.Equal(suspecter, vote.Item1);
        Assert.Equal(suspectedAt, vote.Item2);

        // Updating a silo that is not a member changes nothing.
        Assert.False(await table.UpdateRowAsync(Entry(44444, SiloStatus.Active, LongAgo, LongAgo), afterUpdate.Version.VersionEtag, afterUpdate.Version.Next()));

        // The heartbeat moves IAmAliveTime but not the table version.
        updated.IAmAliveTime = Micros(DateTime.UtcNow);
        await table.UpdateIAmAliveAsync(updated);
        var afterHeartbeat = await table.ReadRowAsync(a.SiloAddress);
        Assert.Equal(2, afterHeartbeat.Version.Version);
        Assert.Equal(updated.IAmAliveTime, Assert.Single(afterHeartbeat.Members).Item1.IAmAliveTime);

        // Reading a silo that is not there still reports the table version.
        var unknown = await table.ReadRowAsync(SiloAddress.New(IPAddress.Loopback, 55555, 1));
        Assert.Empty(unknown.Members);
        Assert.Equal(2, unknown.Version.Version);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Defunct_cleanup_removes_old_dead_rows_and_keeps_live_and_recent_ones(bool perRowCleanupKey)
    {
        var db = await PostgresServer.CreateTestDatabaseAsync(perRowCleanupKey ? "cl_cleanup_row" : "cl_cleanup_bulk");
        if (!perRowCleanupKey)
        {
            // Without the optional key, 10.4.2 falls back to the bulk CleanupDefunctSiloEntriesKey.
            await Db.ExecuteAsync(db, "DELETE FROM orleansquery WHERE querykey = 'CleanupDefunctSiloEntryKey'");
        }

        // A session time zone far from UTC: timestamps must compare as instants, whatever the session says.
        var farFromUtc = db + ";Timezone=Asia/Kolkata";
        Assert.Equal("Asia/Kolkata", await Db.ScalarAsync<string>(farFromUtc, "SHOW timezone"));
        var table = await Providers.StartMembershipTableAsync(farFromUtc, "cleanup");
        var otherCluster = await Providers.StartMembershipTableAsync(db, "other");
        var recent = Micros(DateTime.UtcNow.AddMinutes(-1));
        var live = Entry(10001, SiloStatus.Active, LongAgo, LongAgo);
        var oldDead = Entry(10002, SiloStatus.Dead, LongAgo, LongAgo);
        oldDead.SuspectTimes = [Tuple.Create(live.SiloAddress, LongAgo)];
        var recentDead = Entry(10003, SiloStatus.Dead, LongAgo, recent);
        var shuttingDown = Entry(10004, SiloStatus.ShuttingDown, LongAgo, LongAgo);
        foreach (var entry in new[] { live, oldDead, recentDead, shuttingDown })
        {
            Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));
        }

        Assert.True(await otherCluster.InsertRowAsync(Entry(10002, SiloStatus.Dead, LongAgo, LongAgo), (await otherCluster.ReadAllAsync()).Version.Next()));
        var versionBefore = (await table.ReadAllAsync()).Version.Version;

        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddMinutes(-5));

        var after = await table.ReadAllAsync();
        Assert.Equal(
            new[] { live.SiloAddress, recentDead.SiloAddress, shuttingDown.SiloAddress }.Order(),
            after.Members.Select(m => m.Item1.SiloAddress).Order());
        Assert.Equal(versionBefore, after.Version.Version);
        Assert.Single((await otherCluster.ReadAllAsync()).Members);
    }

    [Fact]
    public async Task Deleting_the_membership_of_one_cluster_leaves_other_clusters()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("cl_delete");
        var doomed = await Providers.StartMembershipTableAsync(db, "doomed");
        var kept = await Providers.StartMembershipTableAsync(db, "kept");
        Assert.True(await doomed.InsertRowAsync(Entry(10001, SiloStatus.Active, LongAgo, LongAgo), (await doomed.ReadAllAsync()).Version.Next()));
        Assert.True(await kept.InsertRowAsync(Entry(10001, SiloStatus.Active, LongAgo, LongAgo), (await kept.ReadAllAsync()).Version.Next()));

        await doomed.DeleteMembershipTableEntriesAsync("doomed");

        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM orleansmembershipversiontable WHERE deploymentid = 'doomed'"));
        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = 'doomed'"));
        Assert.Single((await kept.ReadAllAsync()).Members);
    }

    [Fact]
    public async Task Two_silos_join_one_cluster_and_a_client_finds_them_through_the_gateway_query()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("cl_join");
        const string ClusterId = "join";
        await using var siloA = await TestSilo.StartAsync("silo-a", db, ClusterId, output, WithStorage(db));
        await using var siloB = await TestSilo.StartAsync("silo-b", db, ClusterId, output, WithStorage(db));
        var table = await Providers.StartMembershipTableAsync(db, ClusterId);

        var data = await Eventually.WaitForAsync(
            () => table.ReadAllAsync(),
            d => d.Members.Count(m => m.Item1.Status == SiloStatus.Active) == 2,
            TimeSpan.FromSeconds(20),
            "both silos Active",
            Describe);

        Assert.Equal(["silo-a", "silo-b"], data.Members.Select(m => m.Item1.SiloName).Order());
        Assert.Equal(
            new[] { siloA.GatewayPort, siloB.GatewayPort }.Order(),
            data.Members.Select(m => m.Item1.ProxyPort).Order());

        using var client = await StartClientAsync(db, ClusterId);
        var gateways = await client.Services.GetRequiredService<IGatewayListProvider>().GetGateways();
        Assert.Equal(new[] { siloA.GatewayPort, siloB.GatewayPort }.Order(), gateways.Select(g => g.Port).Order());

        var counter = client.Services.GetRequiredService<IClusterClient>().GetGrain<ICounterGrain>("P100/WO-CLUSTER");
        Assert.Equal(1, await counter.Increment());
        Assert.Equal(2, await counter.Increment());
        Assert.Equal("counter", await Db.ScalarAsync<string>(db, "SELECT graintypestring FROM orleansstorage WHERE grainidextensionstring LIKE '%P100/WO-CLUSTER'"));
    }

    [Fact]
    public async Task A_stopped_silo_ends_up_dead_and_cleanup_removes_only_its_row()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("cl_stop");
        const string ClusterId = "stop";
        await using var survivor = await TestSilo.StartAsync("survivor", db, ClusterId, output);
        await using var leaver = await TestSilo.StartAsync("leaver", db, ClusterId, output);
        var table = await Providers.StartMembershipTableAsync(db, ClusterId);
        await Eventually.WaitForAsync(
            () => table.ReadAllAsync(),
            d => d.Members.Count(m => m.Item1.Status == SiloStatus.Active) == 2,
            TimeSpan.FromSeconds(20),
            "both silos Active",
            Describe);
        var leaverAddress = leaver.Address;

        await leaver.StopAsync();

        var stopped = await Eventually.WaitForAsync(
            () => table.ReadAllAsync(),
            d => d.Members.Any(m => m.Item1.SiloAddress.Equals(leaverAddress) && m.Item1.Status == SiloStatus.Dead),
            TimeSpan.FromSeconds(20),
            "the stopped silo to be Dead",
            Describe);
        Assert.Equal(SiloStatus.Active, stopped.Members.Single(m => m.Item1.SiloName == "survivor").Item1.Status);

        // A cutoff after everything: the survivor's heartbeat is older too, but it is not Dead.
        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddSeconds(1));

        var after = await table.ReadAllAsync();
        var remaining = Assert.Single(after.Members).Item1;
        Assert.Equal("survivor", remaining.SiloName);
        Assert.Equal(SiloStatus.Active, remaining.Status);
        Assert.Equal(stopped.Version.Version, after.Version.Version);
    }

    [Fact]
    public async Task A_killed_silo_is_declared_dead_by_the_survivor_and_cleaned_up()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("cl_kill");
        const string ClusterId = "kill";
        await using var survivor = await TestSilo.StartAsync("survivor", db, ClusterId, output);
        using var victim = await SiloProcess.StartAsync("victim", db, ClusterId);
        var table = await Providers.StartMembershipTableAsync(db, ClusterId);
        await Eventually.WaitForAsync(
            () => table.ReadAllAsync(),
            d => d.Members.Count(m => m.Item1.Status == SiloStatus.Active) == 2,
            TimeSpan.FromSeconds(20),
            "both silos Active",
            Describe);

        victim.Kill();

        // No goodbye from the victim: the survivor's probes fail, it votes, and it writes the verdict.
        var declared = await Eventually.WaitForAsync(
            () => table.ReadAllAsync(),
            d => d.Members.Any(m => m.Item1.SiloName == "victim" && m.Item1.Status == SiloStatus.Dead),
            TimeSpan.FromSeconds(30),
            "the killed silo to be declared Dead",
            Describe);
        var dead = declared.Members.Single(m => m.Item1.SiloName == "victim").Item1;
        Assert.NotNull(dead.SuspectTimes);
        Assert.Contains(dead.SuspectTimes, vote => vote.Item1.Equals(survivor.Address));
        Assert.Equal(SiloStatus.Active, declared.Members.Single(m => m.Item1.SiloName == "survivor").Item1.Status);

        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddSeconds(1));

        var after = await table.ReadAllAsync();
        Assert.Equal("survivor", Assert.Single(after.Members).Item1.SiloName);
    }

    private static Action<ISiloBuilder> WithStorage(string db) => silo => silo.AddAdoNetGrainStorage("store", o =>
    {
        o.Invariant = Providers.Invariant;
        o.ConnectionString = db;
    });

    private static async Task<IHost> StartClientAsync(string db, string clusterId)
    {
        var host = new HostBuilder()
            .UseOrleansClient(client =>
            {
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = TestSilo.ServiceId;
                });
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = Providers.Invariant;
                    o.ConnectionString = db;
                });
            })
            .Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await host.StartAsync(timeout.Token);
        return host;
    }

    private static MembershipEntry Entry(int port, SiloStatus status, DateTime startTime, DateTime iAmAliveTime) => new()
    {
        SiloAddress = SiloAddress.New(IPAddress.Loopback, port, 1),
        SiloName = $"silo-{port}",
        HostName = "test-host",
        Status = status,
        ProxyPort = port + 1,
        StartTime = startTime,
        IAmAliveTime = iAmAliveTime,
    };

    /// <summary>PostgreSQL keeps microseconds: values compared after a round trip must not carry finer ticks.</summary>
    private static DateTime Micros(DateTime value) => new(value.Ticks - (value.Ticks % 10), DateTimeKind.Utc);

    private static string Describe(MembershipTableData data) =>
        $"version {data.Version.Version}: " + string.Join(", ", data.Members.Select(m => $"{m.Item1.SiloName}={m.Item1.Status}"));
}
