using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Manufacturing.Grains.Placement;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;

namespace Manufacturing.ServiceDefaults;

/// <summary>Hosts an Orleans silo of the one manufacturing cluster inside a domain host.</summary>
public static class SiloExtensions
{
    /// <summary>The ADO.NET invariant of the Npgsql provider.</summary>
    public const string NpgsqlInvariant = "Npgsql";

    /// <summary>
    /// Lets PostgreSQL failures cross silos. A grain whose storage read or write fails answers a call from
    /// another silo with that failure; Orleans serializes only exceptions of allowed types (by default
    /// System, Microsoft, Azure), so without this the caller got "Could not find a codec for type
    /// Npgsql.NpgsqlException" (INTERNAL) instead of the <see cref="System.Data.Common.DbException"/>
    /// that the gRPC layer answers with UNAVAILABLE. Message, SQL state (in the exception's data), inner
    /// exception and stack cross; nothing else of the exception does.
    /// </summary>
    public static IServiceCollection AddStorageExceptionSerialization(this IServiceCollection services)
    {
        services.Configure<ExceptionSerializationOptions>(o =>
        {
            var previous = o.SupportedExceptionTypeFilter;
            o.SupportedExceptionTypeFilter = type => typeof(System.Data.Common.DbException).IsAssignableFrom(type) || previous?.Invoke(type) == true;
        });
        services.Configure<Orleans.Serialization.Configuration.TypeManifestOptions>(o =>
        {
            o.AllowedTypes.Add(typeof(Npgsql.NpgsqlException).FullName!);
            o.AllowedTypes.Add(typeof(Npgsql.PostgresException).FullName!);
        });
        return services;
    }

    /// <summary>
    /// Adds the silo. With <c>ConnectionStrings:Orleans</c> set, clustering, grain storage (the named
    /// provider <paramref name="storageName"/>) and reminders use PostgreSQL through Orleans' ADO.NET
    /// providers (the schema comes from the migrator). Without it the silo joins a localhost
    /// development cluster with in-memory storage and says loudly that nothing is durable.
    /// </summary>
    public static WebApplicationBuilder AddManufacturingSilo(this WebApplicationBuilder builder, string storageName)
    {
        var configuration = builder.Configuration;
        var settings = configuration.GetSection("Orleans");
        var clusterId = settings["ClusterId"] ?? "manufacturing";
        var serviceId = settings["ServiceId"] ?? "manufacturing";
        var siloPort = settings.GetValue("SiloPort", 11111);
        var gatewayPort = settings.GetValue("GatewayPort", 0);
        var advertised = IPAddress.Parse(settings["AdvertisedIPAddress"] ?? IPAddress.Loopback.ToString());
        var connectionString = configuration.GetConnectionString("Orleans");
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = DomainConfiguration.DefaultPlants });
        builder.Services.AddSingleton(DomainConfiguration.PolicyFrom(builder.Configuration));
        builder.Services.AddSingleton(DomainConfiguration.UnitsFrom(builder.Configuration));
        builder.Services.AddSingleton(DomainConfiguration.CodesFrom(builder.Configuration));

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.GetValue("ShutdownTimeout", TimeSpan.FromSeconds(45)));
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = serviceId;
            });
            silo.Configure<SiloOptions>(o => o.SiloName = $"{builder.Environment.ApplicationName}-{siloPort}");
            silo.AddActivityPropagation();
            silo.Services.AddStorageExceptionSerialization();

            // Plant-affine placement: Orleans__Plants lists the plants this silo serves (empty: all of them).
            silo.AddPlantAffinePlacement(new PlantPlacementOptions
            {
                Host = builder.Environment.ApplicationName,
                Plants = PlantPlacement.Plants(settings["Plants"]),
                RebalancePeriod = settings.GetValue("Placement:RebalancePeriod", TimeSpan.FromSeconds(30)),
            });

            // Failure detection within seconds (docs/operations.md): probes every few seconds, a silo missing
            // three is voted dead; defunct rows are cleaned up. Any property can be set under Orleans:Membership.
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(3);
                o.NumMissedProbesLimit = 3;
                o.NumVotesForDeathDeclaration = 2;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(10);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
                o.DefunctSiloCleanupPeriod = TimeSpan.FromHours(1);
                o.DefunctSiloExpiration = TimeSpan.FromDays(1);
                settings.GetSection("Membership").Bind(o);
            });

            // Graceful shutdown (SIGTERM): every activation deactivates (its state is written with each command
            // already) within DeactivationTimeout, inside the host's ShutdownTimeout, inside the pod's grace period.
            silo.Configure<GrainCollectionOptions>(o => o.DeactivationTimeout = settings.GetValue("DeactivationTimeout", TimeSpan.FromSeconds(20)));
            if (k8s.KubernetesClientConfiguration.IsInCluster())
            {
                silo.UseKubernetesHosting();
            }

            if (!string.IsNullOrWhiteSpace(connectionString))
            {
                silo.ConfigureEndpoints(advertised, siloPort, gatewayPort, listenOnAnyHostAddress: settings.GetValue("ListenOnAnyHostAddress", false));
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = NpgsqlInvariant;
                    o.ConnectionString = connectionString;
                });
                silo.AddAdoNetGrainStorage(storageName, options => options.Configure<Serializer>((o, serializer) =>
                {
                    o.Invariant = NpgsqlInvariant;
                    o.ConnectionString = connectionString;
                    o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                }));
                silo.UseAdoNetReminderService(o =>
                {
                    o.Invariant = NpgsqlInvariant;
                    o.ConnectionString = connectionString;
                });
            }
            else
            {
                var primaryPort = settings.GetValue("PrimarySiloPort", 11111);
                silo.UseLocalhostClustering(siloPort, gatewayPort, new IPEndPoint(IPAddress.Loopback, primaryPort), serviceId, clusterId);
                silo.AddMemoryGrainStorage(storageName, options => options.Configure<Serializer>((o, serializer) =>
                    o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer)));
                silo.UseInMemoryReminderService();
                builder.Services.AddHostedService<InMemoryStorageWarning>();
            }
        });

        builder.Services.AddSingleton<Manufacturing.Grains.IReadModelStore>(string.IsNullOrWhiteSpace(connectionString)
            ? new Manufacturing.Grains.MemoryReadModelStore()
            : new Manufacturing.Grains.PostgresReadModelStore(connectionString));

        var health = builder.Services.AddHealthChecks().AddCheck<SiloHealthCheck>("orleans-silo", tags: ["ready"]);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            health.AddCheck("postgresql", new PostgresHealthCheck(connectionString), tags: ["ready"]);
        }

        return builder;
    }

    /// <summary>Repeats at start-up, in the log and on stderr, that this silo keeps nothing.</summary>
    private sealed class InMemoryStorageWarning(ILogger<InMemoryStorageWarning> logger, IHostEnvironment environment)
        : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            const string banner = "*** IN-MEMORY STORAGE: ConnectionStrings__Orleans is not set. Clustering, grain state and reminders of {Host} live in memory and are LOST when it stops. Set ConnectionStrings__Orleans to a PostgreSQL database for anything but a demo. ***";
            logger.LogWarning(banner, environment.ApplicationName);
            Console.Error.WriteLine(banner.Replace("{Host}", environment.ApplicationName, StringComparison.Ordinal));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
