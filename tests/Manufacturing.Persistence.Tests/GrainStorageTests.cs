using System.Diagnostics.CodeAnalysis;
using Manufacturing.Persistence.Tests.Support;
using Manufacturing.Testing;
using Orleans.Runtime;
using Orleans.Storage;

namespace Manufacturing.Persistence.Tests;

/// <summary>The real AdoNetGrainStorage (Invariant "Npgsql") against the migrated schema, etags under test control.</summary>
public sealed class GrainStorageTests
{
    private const string StateName = "order";
    private static readonly GrainType TestGrainType = GrainType.Create("storagetest");

    [Fact]
    public async Task Write_then_read_round_trips_the_state_and_the_etag()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("st_roundtrip");
        var storage = await Providers.StartGrainStorageAsync(db);
        var grain = StringKey("P100/WO-000123");

        var written = State(7, "released");
        await storage.WriteStateAsync(StateName, grain, written);
        var read = await ReadAsync(storage, grain);

        Assert.NotNull(written.ETag);
        Assert.True(written.RecordExists);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(7, read.State.Value);
        Assert.Equal("released", read.State.Note);

        // A second write moves the etag on, and the read sees it.
        read.State.Value = 8;
        await storage.WriteStateAsync(StateName, grain, read);
        var reread = await ReadAsync(storage, grain);
        Assert.NotEqual(written.ETag, reread.ETag);
        Assert.Equal(read.ETag, reread.ETag);
        Assert.Equal(8, reread.State.Value);
    }

    [Fact]
    public async Task Reading_a_state_never_written_reports_no_record_and_no_etag()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("st_missing");
        var storage = await Providers.StartGrainStorageAsync(db);

        var read = await ReadAsync(storage, StringKey("P100/WO-404"));

        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Equal(0, read.State.Value);
    }

    [Fact]
    public async Task Stale_etag_write_is_a_conflict_and_keeps_the_stored_state()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("st_stale");
        var storage = await Providers.StartGrainStorageAsync(db);
        var grain = StringKey("P100/LOT-7781");
        var first = State(1);
        await storage.WriteStateAsync(StateName, grain, first);
        var staleEtag = first.ETag;
        first.State.Value = 2;
        await storage.WriteStateAsync(StateName, grain, first);

        var stale = State(99);
        stale.ETag = staleEtag;
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, stale));

        // A null etag (a writer that believes nothing is stored) conflicts as well.
        var blind = State(98);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, blind));

        var read = await ReadAsync(storage, grain);
        Assert.Equal(2, read.State.Value);
        Assert.Equal(first.ETag, read.ETag);
    }

    [Fact]
    public async Task Racing_first_writes_let_exactly_one_writer_win()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("st_race");
        // Two provider instances: two pools, truly concurrent statements.
        var left = await Providers.StartGrainStorageAsync(db);
        var right = await Providers.StartGrainStorageAsync(db);
        var grains = Enumerable.Range(0, 12).Select(i => StringKey($"P100/WO-RACE-{i}")).ToArray();

        var outcomes = await Task.WhenAll(grains.SelectMany(grain => new[]
        {
            TryWriteAsync(left, grain, State(1, "left")),
            TryWriteAsync(right, grain, State(2, "right")),
        })).WaitAsync(TimeSpan.FromSeconds(30));

        foreach (var grain in grains)
        {
            var forGrain = outcomes.Where(o => o.Grain == grain).ToArray();
            var winner = Assert.Single(forGrain, o => o.Error is null);
            Assert.IsType<InconsistentStateException>(Assert.Single(forGrain, o => o.Error is not null).Error);
            var stored = await ReadAsync(left, grain);
            Assert.Equal(winner.State.State.Value, stored.State.Value);
            Assert.Equal(winner.State.ETag, stored.ETag);
        }

        Assert.Equal(grains.Length, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM orleansstorage"));
    }

    [Fact]
    public async Task Clear_keeps_a_tombstone_bumps_the_version_and_reads_as_missing()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("st_clear");
        var storage = await Providers.StartGrainStorageAsync(db);
        var grain = StringKey("P100/WO-CLEAR");
        var state = State(5);
        await storage.WriteStateAsync(StateName, grain, state);
        var writtenEtag = state.ETag;

        await storage.ClearStateAsync(StateName, grain, state);

        Assert.False(state.RecordExists);
        Assert.NotNull(state.ETag);
        Assert.NotEqual(writtenEtag, state.ETag);
        var row = Assert.Single(await Db.QueryAsync(db, "SELECT payloadbinary, version FROM orleansstorage"));
        Assert.Null(row[0]);
        Assert.Equal(state.ETag, row[1]!.ToString());

        var read = await ReadAsync(storage, grain);
        Assert.False(read.RecordExists);
        Assert.Equal(state.ETag, read.ETag);
        Assert.Equal(0, read.State.Value);

        // The tombstone's version is the etag to write with; the old etag no longer works.
        var old = State(6);
        old.ETag = writtenEtag;
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, old));
        read.State.Value = 6;
        await storage.WriteStateAsync(StateName, grain, read);
        Assert.Equal(6, (await ReadAsync(storage, grain)).State.Value);
    }

    [Fact]
    public async Task Clear_with_a_stale_etag_is_a_conflict_and_keeps_the_state()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("st_clear_stale");
        var storage = await Providers.StartGrainStorageAsync(db);
        var grain = StringKey("P100/WO-CLEAR-STALE");
        var state = State(1);
        await storage.WriteStateAsync(StateName, grain, state);
        var stale = State(1);
        stale.ETag = state.ETag;
        stale.RecordExists = true;
        state.State.Value = 2;
        await storage.WriteStateAsync(StateName, grain, state);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grain, stale));

        var read = await ReadAsync(storage, grain);
        Assert.True(read.RecordExists);
        Assert.Equal(2, read.State.Value);
        Assert.Equal(state.ETag, read.ETag);
    }

    [Fact]
    public async Task Clearing_a_state_never_written_stores_nothing()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("st_clear_none");
        var storage = await Providers.StartGrainStorageAsync(db);

        await storage.ClearStateAsync(StateName, StringKey("P100/WO-NEVER"), State(0));

        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM orleansstorage"));
    }

    [Fact]
    public async Task Delete_state_on_clear_removes_the_row_and_the_next_write_starts_fresh()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("st_delete");
        var storage = await Providers.StartGrainStorageAsync(db, deleteStateOnClear: true);
        var grain = StringKey("P100/WO-DELETE");
        var state = State(3);
        await storage.WriteStateAsync(StateName, grain, state);
        var stale = State(3);
        stale.ETag = state.ETag;
        stale.RecordExists = true;
        state.State.Value = 4;
        await storage.WriteStateAsync(StateName, grain, state);

        // A stale etag cannot delete.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grain, stale));
        Assert.Equal(1L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM orleansstorage"));

        await storage.ClearStateAsync(StateName, grain, state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM orleansstorage"));
        var read = await ReadAsync(storage, grain);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);

        state.State.Value = 5;
        await storage.WriteStateAsync(StateName, grain, state);
        Assert.Equal(5, (await ReadAsync(storage, grain)).State.Value);
    }

    [Fact]
    public async Task String_guid_with_extension_and_integer_keys_each_get_their_own_row()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("st_keys");
        var storage = await Providers.StartGrainStorageAsync(db);
        var guid = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        var bytes = guid.ToByteArray();
        var n0 = BitConverter.ToInt64(bytes, 0);
        var n1 = BitConverter.ToInt64(bytes, 8);
        var cases = new (GrainId Grain, long N0, long N1, string? Extension)[]
        {
            (StringKey("P100/WO-1"), 0, 0, "P100/WO-1"),
            (GuidKey(guid, null), n0, n1, null),
            (GuidKey(guid, "P100"), n0, n1, "P100"),
            (GuidKey(guid, "P200"), n0, n1, "P200"),
            (IntegerKey(42, null), 0, 42, null),
            (IntegerKey(42, "P100"), 0, 42, "P100"),
            (IntegerKey(-7, null), 0, -7, null),
        };

        for (var i = 0; i < cases.Length; i++)
        {
            await storage.WriteStateAsync(StateName, cases[i].Grain, State(100 + i));
        }

        for (var i = 0; i < cases.Length; i++)
        {
            var (grain, expectedN0, expectedN1, extension) = cases[i];
            Assert.Equal(100 + i, (await ReadAsync(storage, grain)).State.Value);
            var row = Assert.Single(await Db.QueryAsync(
                db,
                "SELECT graintypestring FROM orleansstorage WHERE grainidn0 = @n0 AND grainidn1 = @n1 AND grainidextensionstring IS NOT DISTINCT FROM @ext",
                ("n0", expectedN0),
                ("n1", expectedN1),
                ("ext", extension)));
            Assert.Equal(StateName, row[0]);
        }

        Assert.Equal(cases.Length, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM orleansstorage"));
    }

    [Fact]
    public async Task Two_state_names_with_the_same_key_are_separate_rows()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("st_names");
        var storage = await Providers.StartGrainStorageAsync(db);
        var grain = StringKey("P100/PO-4711");

        await storage.WriteStateAsync("header", grain, State(1));
        await storage.WriteStateAsync("lines", grain, State(2));

        Assert.Equal(1, (await ReadAsync(storage, grain, "header")).State.Value);
        Assert.Equal(2, (await ReadAsync(storage, grain, "lines")).State.Value);
        var names = (await Db.QueryAsync(db, "SELECT graintypestring FROM orleansstorage ORDER BY 1")).Select(r => r[0]);
        Assert.Equal(["header", "lines"], names);
    }

    [Fact]
    public async Task Service_id_separates_the_rows_of_two_services()
    {
        var db = await PostgresServer.CreateTestDatabaseAsync("st_service");
        var blue = await Providers.StartGrainStorageAsync(db, serviceId: "blue");
        var green = await Providers.StartGrainStorageAsync(db, serviceId: "green");
        var grain = StringKey("P100/WO-SVC");

        await blue.WriteStateAsync(StateName, grain, State(1));
        await green.WriteStateAsync(StateName, grain, State(2));

        Assert.Equal(1, (await ReadAsync(blue, grain)).State.Value);
        Assert.Equal(2, (await ReadAsync(green, grain)).State.Value);
    }

    private static GrainId StringKey(string key) => GrainId.Create(TestGrainType, key);

    private static GrainId GuidKey(Guid key, string? extension) => GrainId.Create(TestGrainType, GrainIdKeyExtensions.CreateGuidKey(key, extension));

    private static GrainId IntegerKey(long key, string? extension) => GrainId.Create(TestGrainType, GrainIdKeyExtensions.CreateIntegerKey(key, extension));

    private static TestState State(int value, string? note = null) => new() { State = new CounterState { Value = value, Note = note } };

    private static async Task<TestState> ReadAsync(IGrainStorage storage, GrainId grain, string stateName = StateName)
    {
        var state = new TestState();
        await storage.ReadStateAsync(stateName, grain, state);
        return state;
    }

    private static async Task<WriteOutcome> TryWriteAsync(IGrainStorage storage, GrainId grain, TestState state)
    {
        try
        {
            await storage.WriteStateAsync(StateName, grain, state);
            return new WriteOutcome(grain, state, null);
        }
        catch (Exception ex)
        {
            return new WriteOutcome(grain, state, ex);
        }
    }

    private sealed class TestState : IGrainState<CounterState>
    {
        private CounterState _state = new();

        [AllowNull]
        public CounterState State
        {
            get => _state;
            set => _state = value ?? new CounterState();
        }

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }

    private sealed record WriteOutcome(GrainId Grain, TestState State, Exception? Error);
}
