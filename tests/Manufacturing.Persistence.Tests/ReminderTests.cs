using Manufacturing.Persistence.Tests.Support;
using Manufacturing.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Manufacturing.Persistence.Tests;

/// <summary>The real ADO.NET reminder table against the migrated schema, and a reminder firing on a silo.</summary>
public sealed class ReminderTests(ITestOutputHelper output)
{
    private static readonly GrainType ProbeType = GrainType.Create("reminderprobe");

    [Fact]
    public async Task Upsert_read_and_delete_respect_the_reminder_version()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("rem_crud");
        var table = await Providers.StartReminderTableAsync(db);
        var grain = GrainId.Create(ProbeType, "P100/WO-1");
        var start = new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);

        var firstEtag = await table.UpsertRow(Entry(grain, "close-shift", start, TimeSpan.FromMinutes(5)));
        var secondEtag = await table.UpsertRow(Entry(grain, "close-shift", start.AddHours(1), TimeSpan.FromMinutes(10)));
        await table.UpsertRow(Entry(grain, "report", start, TimeSpan.FromHours(1)));

        Assert.NotNull(firstEtag);
        Assert.NotEqual(firstEtag, secondEtag);
        var read = await table.ReadRow(grain, "close-shift");
        Assert.NotNull(read);
        Assert.Equal(grain, read.GrainId);
        Assert.Equal(secondEtag, read.ETag);
        Assert.Equal(start.AddHours(1), read.StartAt);
        Assert.Equal(TimeSpan.FromMinutes(10), read.Period);
        Assert.Equal(["close-shift", "report"], (await table.ReadRows(grain)).Reminders.Select(r => r.ReminderName).Order());
        Assert.Null(await table.ReadRow(grain, "no-such-reminder"));

        Assert.False(await table.RemoveRow(grain, "close-shift", firstEtag));
        Assert.NotNull(await table.ReadRow(grain, "close-shift"));
        Assert.True(await table.RemoveRow(grain, "close-shift", secondEtag!));
        Assert.Null(await table.ReadRow(grain, "close-shift"));
        Assert.False(await table.RemoveRow(grain, "close-shift", secondEtag!));
        Assert.Single((await table.ReadRows(grain)).Reminders);
    }

    [Fact]
    public async Task Periods_longer_than_an_int32_of_milliseconds_round_trip()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("rem_period");
        var table = await Providers.StartReminderTableAsync(db);
        var grain = GrainId.Create(ProbeType, "P100/LOT-1");

        await table.UpsertRow(Entry(grain, "monthly", DateTime.UtcNow, TimeSpan.FromDays(30)));
        await table.UpsertRow(Entry(grain, "yearly", DateTime.UtcNow, TimeSpan.FromDays(365)));

        Assert.Equal(TimeSpan.FromDays(30), (await table.ReadRow(grain, "monthly"))!.Period);
        Assert.Equal(TimeSpan.FromDays(365), (await table.ReadRow(grain, "yearly"))!.Period);
    }

    [Fact]
    public async Task Range_reads_follow_the_ring_including_wrap_around_and_the_whole_ring()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("rem_range");
        var table = await Providers.StartReminderTableAsync(db);
        var grains = Enumerable.Range(0, 200).Select(i => GrainId.Create(ProbeType, $"P100/WO-{i:D6}")).ToArray();
        foreach (var grain in grains)
        {
            await table.UpsertRow(Entry(grain, "tick", DateTime.UtcNow, TimeSpan.FromMinutes(1)));
        }

        var hashes = grains.Select(g => g.GetUniformHashCode()).Order().ToArray();
        // Each range is (begin, end] on the unsigned ring; the comments say which query the provider picks.
        var ranges = new (uint Begin, uint End)[]
        {
            (0x1000_0000, 0x6000_0000), // both below 2^31: Rows1
            (0x9000_0000, 0xF000_0000), // both above 2^31 (negative as int32): Rows1
            (0x4000_0000, 0xC000_0000), // crosses 2^31, no unsigned wrap, but wraps as int32: Rows2
            (0xC000_0000, 0x4000_0000), // unsigned wrap-around (Begin > End) that is ordered as int32: Rows1
            (0x7000_0000, 0x1000_0000), // wrap-around (Begin > End) in both views: Rows2
            (0xF000_0000, 0xE000_0000), // wrap-around covering almost the whole ring
            (0x1234_5678, 0x1234_5678), // Begin = End: the whole ring
            (0, 0),                     // Begin = End = 0: the whole ring
            (hashes[10], hashes[150]),  // boundaries on stored hashes: Begin excluded, End included
            (hashes[150], hashes[10]),  // the same boundaries, wrapped
        };

        foreach (var (begin, end) in ranges)
        {
            var expected = grains.Where(g => InRange(g.GetUniformHashCode(), begin, end)).Select(g => g.ToString()).Order().ToArray();
            var actual = (await table.ReadRows(begin, end)).Reminders.Select(r => r.GrainId.ToString()).Order().ToArray();
            Assert.True(expected.SequenceEqual(actual), $"range ({begin:X8}, {end:X8}]: expected {expected.Length} reminders, got {actual.Length}");
        }

        Assert.Equal(grains.Length, (await table.ReadRows(0x1234_5678, 0x1234_5678)).Reminders.Count);
        Assert.DoesNotContain(hashes[10], (await table.ReadRows(hashes[10], hashes[150])).Reminders.Select(r => r.GrainId.GetUniformHashCode()));
    }

    [Fact]
    public async Task Clearing_one_service_leaves_the_reminders_of_another_service()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("rem_service");
        var blue = await Providers.StartReminderTableAsync(db, serviceId: "blue");
        var green = await Providers.StartReminderTableAsync(db, serviceId: "green");
        var grain = GrainId.Create(ProbeType, "P100/WO-9");
        await blue.UpsertRow(Entry(grain, "tick", DateTime.UtcNow, TimeSpan.FromMinutes(1)));
        await green.UpsertRow(Entry(grain, "tick", DateTime.UtcNow, TimeSpan.FromMinutes(1)));

        await blue.TestOnlyClearTable();

        Assert.Null(await blue.ReadRow(grain, "tick"));
        Assert.NotNull(await green.ReadRow(grain, "tick"));
    }

    [Fact]
    public async Task A_reminder_fires_on_a_silo_using_the_adonet_reminder_service()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("rem_fire");
        await using var silo = await TestSilo.StartAsync("reminders", db, "rem-fire", output, silo =>
        {
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = Providers.Invariant;
                o.ConnectionString = db;
            });
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.ConfigureServices(services => services.AddSingleton<ReminderSignals>());
        });
        var signals = silo.Host.Services.GetRequiredService<ReminderSignals>();
        var grains = silo.Host.Services.GetRequiredService<IGrainFactory>();
        var probe = grains.GetGrain<IReminderProbeGrain>("P100/WO-REMIND");

        await probe.Start(dueTime: TimeSpan.FromMilliseconds(200), period: TimeSpan.FromSeconds(1));

        // Two ticks: the first (due time) and one period later.
        await signals.WaitForTicksAsync("P100/WO-REMIND", 2).WaitAsync(TimeSpan.FromSeconds(20));
        var row = Assert.Single(await Db.QueryAsync(db, "SELECT remindername, period FROM orleansreminderstable"));
        Assert.Equal(ReminderProbeGrain.ReminderName, row[0]);
        Assert.Equal(1000L, row[1]);

        await probe.Stop();
        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM orleansreminderstable"));
    }

    private static bool InRange(uint hash, uint begin, uint end) =>
        begin == end || (begin < end ? hash > begin && hash <= end : hash > begin || hash <= end);

    private static ReminderEntry Entry(GrainId grain, string name, DateTime start, TimeSpan period) =>
        new() { GrainId = grain, ReminderName = name, StartAt = start, Period = period };
}
