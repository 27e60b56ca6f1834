using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime.MembershipService;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Manufacturing.Persistence.Tests.Support;

/// <summary>The real Orleans 10.4.2 ADO.NET providers, constructed and started outside a silo.</summary>
internal static class Providers
{
    public const string Invariant = "Npgsql";

    /// <summary>An <see cref="AdoNetGrainStorage"/> on <paramref name="connectionString"/>, initialised (queries loaded).</summary>
    public static async Task<IGrainStorage> StartGrainStorageAsync(
        string connectionString,
        bool deleteStateOnClear = false,
        string serviceId = "persistence-tests")
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddSerializer(serializer => serializer.AddAssembly(typeof(Providers).Assembly))
            .BuildServiceProvider();

        var options = new AdoNetGrainStorageOptions
        {
            Invariant = Invariant,
            ConnectionString = connectionString,
            DeleteStateOnClear = deleteStateOnClear,
            GrainStorageSerializer = new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>()),
        };

        var storage = new AdoNetGrainStorage(
            services.GetRequiredService<IActivatorProvider>(),
            services.GetRequiredService<ILogger<AdoNetGrainStorage>>(),
            Options.Create(options),
            Options.Create(new ClusterOptions { ClusterId = "persistence-tests", ServiceId = serviceId }),
            "store");

        var lifecycle = new ManualSiloLifecycle();
        storage.Participate(lifecycle);
        await lifecycle.StartAsync();
        return storage;
    }

    /// <summary>The ADO.NET <see cref="IReminderTable"/> on <paramref name="connectionString"/>, started.</summary>
    public static async Task<IReminderTable> StartReminderTableAsync(string connectionString, string serviceId = "reminder-tests")
    {
        var services = new ServiceCollection();
        services.AddOptions();
        services.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = "reminder-tests";
            o.ServiceId = serviceId;
        });
        services.UseAdoNetReminderService(o => o.Configure(r =>
        {
            r.Invariant = Invariant;
            r.ConnectionString = connectionString;
        }));

        var table = services.BuildServiceProvider().GetRequiredService<IReminderTable>();
        await table.StartAsync();
        return table;
    }

    /// <summary>The ADO.NET membership table for <paramref name="clusterId"/>, initialised (version row created).</summary>
    public static async Task<AdoNetClusteringTable> StartMembershipTableAsync(string connectionString, string clusterId)
    {
        var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        var table = new AdoNetClusteringTable(
            services,
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "clustering-tests" }),
            Options.Create(new AdoNetClusteringSiloOptions { Invariant = Invariant, ConnectionString = connectionString }),
            NullLogger<AdoNetClusteringTable>.Instance);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        return table;
    }
}
