using System.Collections.Concurrent;
using Manufacturing.Grains;
using Manufacturing.Grains.Placement;
using Manufacturing.Procurement.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Manufacturing.UnitTests.Support;

/// <summary>
/// A two-silo in-process cluster hosting every domain's grains. The shop floor's storage can be told
/// to fail its next writes, to prove what a grain does when its state write fails.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The read models every silo of the test cluster projects into.</summary>
    public static RecordingReadModelStore ReadModels { get; } = new();

    public async Task InitializeAsync()
    {
        Cluster = new TestClusterBuilder(2).AddSiloBuilderConfigurator<SiloConfiguration>().Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    private sealed class SiloConfiguration : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddMemoryGrainStorage(StorageNames.Inventory, o => o.Configure<Serializer>((options, s) => options.GrainStorageSerializer = new OrleansGrainStorageSerializer(s)));
            silo.AddMemoryGrainStorage(StorageNames.Quality, o => o.Configure<Serializer>((options, s) => options.GrainStorageSerializer = new OrleansGrainStorageSerializer(s)));
            silo.AddMemoryGrainStorage(StorageNames.Procurement, o => o.Configure<Serializer>((options, s) => options.GrainStorageSerializer = new OrleansGrainStorageSerializer(s)));
            silo.UseInMemoryReminderService();
            silo.AddPlantAffinePlacement(new PlantPlacementOptions { Host = "all-domains", Plants = new HashSet<string>() });
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.Services.AddSingleton(Commands.Policy);
            silo.Services.AddSingleton(new Manufacturing.Domain.UnitCatalog([("BOLT-M8", "BOX", 100m)]));
            silo.Services.AddSingleton<IReadModelStore>(ReadModels);
            silo.Services.AddSingleton(new ProcurementPolicy(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Procurement:ReminderPeriod"] = "00:00:01",
                ["Plants:P200:Procurement:AcknowledgementDue"] = "00:00:01",
            }).Build()));
            silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.ShopFloor, (services, _) => new FaultInjectingStorage(services.GetRequiredService<Serializer>()));
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>
/// An in-memory grain storage with etags, shared by every silo of the process (so a grain reactivated
/// on the other silo reads the same rows), that fails the next <see cref="FailNextWrites"/> writes.
/// </summary>
internal sealed class FaultInjectingStorage(Serializer serializer) : IGrainStorage
{
    private static readonly ConcurrentDictionary<string, (byte[] Data, int Version)> Rows = new();
    private static int _failNextWrites;

    public static void FailNextWrites(int count) => Interlocked.Exchange(ref _failNextWrites, count);

    public static bool Contains(string stateName, GrainId grainId) => Rows.ContainsKey($"{stateName}/{grainId}");

    /// <summary>How many writes of the row succeeded so far.</summary>
    public static int Writes(string stateName, GrainId grainId) => Rows.TryGetValue($"{stateName}/{grainId}", out var row) ? row.Version : 0;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Rows.TryGetValue($"{stateName}/{grainId}", out var row))
        {
            grainState.State = serializer.Deserialize<T>(row.Data);
            grainState.ETag = row.Version.ToString();
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Interlocked.Decrement(ref _failNextWrites) >= 0)
        {
            throw new IOException("injected storage failure");
        }

        var key = $"{stateName}/{grainId}";
        var version = Rows.TryGetValue(key, out var row) ? row.Version : 0;
        if (grainState.ETag != (version == 0 ? null : version.ToString()))
        {
            throw new InconsistentStateException($"etag {grainState.ETag} is stale", version.ToString(), grainState.ETag);
        }

        Rows[key] = (serializer.SerializeToArray(grainState.State), version + 1);
        grainState.ETag = (version + 1).ToString();
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Rows.TryRemove($"{stateName}/{grainId}", out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}

/// <summary>
/// The in-memory read models, remembering every event id they applied, and able to refuse the next
/// deliveries (as an unreachable projector database would).
/// </summary>
public sealed class RecordingReadModelStore : IReadModelStore
{
    private readonly MemoryReadModelStore _inner = new();
    private readonly ConcurrentDictionary<string, byte> _applied = new();
    private int _failNext;

    public void FailNextDeliveries(int count) => Interlocked.Exchange(ref _failNext, count);

    public bool Applied(string eventId) => _applied.ContainsKey(eventId);

    public Task ApplyAsync(IReadOnlyList<Manufacturing.Domain.BusinessEvent> events, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Decrement(ref _failNext) >= 0)
        {
            throw new IOException("injected read-model failure");
        }

        foreach (var e in events)
        {
            _applied.TryAdd(e.EventId, 0);
        }

        return _inner.ApplyAsync(events, cancellationToken);
    }

    public Task<Page<ReadModelRow>> ListAsync(string aggregateType, string plant, string? state, int pageSize, string pageToken, CancellationToken cancellationToken = default) =>
        _inner.ListAsync(aggregateType, plant, state, pageSize, pageToken, cancellationToken);

    public Task<Page<ExceptionRow>> ListExceptionsAsync(string aggregateType, string plant, string? kind, string? state, int pageSize, string pageToken, CancellationToken cancellationToken = default) =>
        _inner.ListExceptionsAsync(aggregateType, plant, kind, state, pageSize, pageToken, cancellationToken);

    public Task<ReadModelPosition> PositionAsync(string aggregateType, CancellationToken cancellationToken = default) =>
        _inner.PositionAsync(aggregateType, cancellationToken);
}
