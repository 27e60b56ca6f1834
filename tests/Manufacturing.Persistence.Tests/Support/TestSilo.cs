using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Manufacturing.Persistence.Tests.Support;

/// <summary>A real silo in this process: ADO.NET clustering on the test database, loopback, free ports.</summary>
internal sealed class TestSilo : IAsyncDisposable
{
    public const string ServiceId = "mfg-persistence-tests";

    private TestSilo(IHost host, string name, int siloPort, int gatewayPort)
    {
        Host = host;
        Name = name;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
    }

    public IHost Host { get; }

    public string Name { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public bool Stopped { get; private set; }

    public SiloAddress Address => Host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    public static async Task<TestSilo> StartAsync(
        string name,
        string connectionString,
        string clusterId,
        ITestOutputHelper? output = null,
        Action<ISiloBuilder>? configure = null)
    {
        var siloPort = FreePorts.Next();
        var gatewayPort = FreePorts.Next();
        var host = new HostBuilder()
            .UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = ServiceId;
                });
                silo.Configure<SiloOptions>(o => o.SiloName = name);
                silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort);
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = Providers.Invariant;
                    o.ConnectionString = connectionString;
                });

                // Test-only membership timing (never production values): quick failure detection.
                silo.Configure<ClusterMembershipOptions>(o =>
                {
                    o.ProbeTimeout = TimeSpan.FromSeconds(1);
                    o.NumMissedProbesLimit = 2;
                    o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
                });
                configure?.Invoke(silo);
            })
            .ConfigureLogging(logging =>
            {
                logging.SetMinimumLevel(LogLevel.Warning);
                if (output is not null)
                {
                    logging.AddProvider(new TestOutputLoggerProvider(output, name));
                }
            })
            .Build();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(timeout.Token);
        return new TestSilo(host, name, siloPort, gatewayPort);
    }

    /// <summary>Graceful stop: the silo announces ShuttingDown, then Dead, in the membership table.</summary>
    public async Task StopAsync()
    {
        if (Stopped)
        {
            return;
        }

        Stopped = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await Host.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            Host.Dispose();
        }
    }
}
