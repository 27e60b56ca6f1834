using Manufacturing.EdgeAgent;
using Manufacturing.EdgeAgent.Sparkplug;
using Manufacturing.ShopFloor.V1;

namespace Manufacturing.UnitTests.EdgeAgent;

/// <summary>The agent's local queue (a SQLite file): what it keeps across a restart.</summary>
public sealed class EdgeQueueTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"mfg-queue-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task Counter_readings_are_stored_with_the_events_counted_from_them_and_read_back_after_a_reopen()
    {
        var at = new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);
        await using (var queue = await EdgeQueue.OpenAsync(_path))
        {
            await queue.EnqueueAsync("plants/P100/sources/G.n", [new PlantEvent { MachineSignal = new MachineSignal { GoodCount = 5 } }],
                new Dictionary<string, CounterReading> { ["G/n/d/Count/Good"] = new(1005m, at) });
            await queue.EnqueueAsync("plants/P100/sources/G.n", [], new Dictionary<string, CounterReading> { ["G/n/d/Count/Scrap"] = new(7m, at.AddMinutes(1)) });
        }

        await using var reopened = await EdgeQueue.OpenAsync(_path);
        var counters = await reopened.CountersAsync();
        var (pending, _) = await reopened.BacklogAsync();

        Assert.Equal(new CounterReading(1005m, at), counters["G/n/d/Count/Good"]);
        Assert.Equal(new CounterReading(7m, at.AddMinutes(1)), counters["G/n/d/Count/Scrap"]);
        Assert.Equal(1, pending["plants/P100/sources/G.n"]);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }
}
