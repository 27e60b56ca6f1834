using Manufacturing.Grains;
using Manufacturing.Grains.Placement;
using Manufacturing.UnitTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Manufacturing.UnitTests.Placement;

/// <summary>
/// Plant-affine placement in a real (in-process) multi-silo cluster: silo Silo_0 serves every plant,
/// Silo_1 and the silo added later (Silo_2) serve P200; placement reads the plants from silo metadata.
/// </summary>
public sealed class PlantPlacementClusterTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> PlantsOfSilo = new() { ["Silo_0"] = "", ["Silo_1"] = "P200", ["Silo_2"] = "P200" };
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddMemoryGrainStorage(StorageNames.Inventory, o => o.Configure<Serializer>((s, serializer) => s.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer)));
            silo.Services.AddSingleton(Commands.Policy);
            silo.Services.AddSingleton<IReadModelStore>(ClusterFixture.ReadModels);
            silo.AddPlantAffinePlacement(new PlantPlacementOptions
            {
                Host = "inventory", Plants = PlantPlacement.Plants(PlantsOfSilo[options.SiloName]), RebalancePeriod = TimeSpan.FromSeconds(1),
            });
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    // Where each lot is active: the plant-affine activations every silo has registered.
    private Dictionary<string, string> Placement() =>
        _cluster.GetActiveSilos().SelectMany(silo => silo.ServiceProvider.GetRequiredService<PlantActivations>().Snapshot()
            .Select(grain => (Key: grain.Key.ToString()!, silo.Name))).ToDictionary(p => p.Key, p => p.Name);

    private async Task TouchAsync(IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            await _cluster.Client.GetGrain<ILotGrain>(key).Get();
        }
    }

    [Fact]
    public async Task Grains_go_to_their_plant_s_silo_and_spread_to_a_silo_that_joins_the_plant()
    {
        var p200 = Enumerable.Range(1, 40).Select(i => $"P200/LOT-{i}").ToList();
        var p100 = Enumerable.Range(1, 20).Select(i => $"P100/LOT-{i}").ToList();
        await TouchAsync(p200.Concat(p100));

        var placed = Placement();
        Assert.All(p200, k => Assert.Equal("Silo_1", placed[k]));
        Assert.All(p100, k => Assert.Equal("Silo_0", placed[k])); // P100 has no silo of its own: the one serving every plant

        var joined = await _cluster.StartAdditionalSiloAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        Dictionary<string, string> now;
        while (true)
        {
            await TouchAsync(p200.Concat(p100)); // a migrated grain comes back where the director now places it
            now = Placement();
            if (p200.Count(k => now.GetValueOrDefault(k) == joined.Name) >= 10 && p200.All(now.ContainsKey))
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"P200's grains did not spread to {joined.Name} within 60 s: {string.Join(", ", now.Select(p => $"{p.Key}@{p.Value}"))}");
            await Task.Delay(100);
        }

        Assert.All(p200, k => Assert.Contains(now[k], new[] { "Silo_1", joined.Name }));
        Assert.All(p100, k => Assert.Equal("Silo_0", now[k]));
        Assert.InRange(p200.Count(k => now[k] == joined.Name), 10, 30);
    }
}
