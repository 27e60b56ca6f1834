using Manufacturing.Grains;
using Manufacturing.Integration.Grains;
using Manufacturing.ServiceDefaults;
using Npgsql;

namespace Manufacturing.Integration.Api;

/// <summary>The integration host's delivery wiring: connectors from configuration, the delivery store, and the router's start.</summary>
internal static partial class IntegrationHosting
{
    /// <summary>
    /// Reads <c>Integration:Workflows</c> and <c>Integration:Connectors</c> (a setting that cannot work
    /// stops the host, naming it), and starts the router once the silo is up. Connectors need
    /// PostgreSQL (<c>ConnectionStrings:Orleans</c>): deliveries and dead letters are kept there.
    /// </summary>
    public static WebApplicationBuilder AddIntegrationDelivery(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Orleans");
        var dataSource = string.IsNullOrWhiteSpace(connectionString) ? null : NpgsqlDataSource.Create(connectionString);
        builder.Services.AddSingleton(new IntegrationRuntime(builder.Configuration,
            dataSource is null ? null : new DeliveryStore(dataSource), dataSource is null ? null : new ReconciliationStore(dataSource),
            DomainConfiguration.CodesFrom(builder.Configuration)));
        builder.Services.AddSingleton<Grpc.IdocIntake>();
        builder.Services.AddSingleton<IInboundApplier, Grpc.OdooInboundApplier>();
        builder.Services.AddHostedService<RouterStarter>();
        return builder;
    }

    // Starts the router (and through it every connector) once the host, and so the silo, has started;
    // tries again until it succeeds (the cluster may still be forming), each failure logged.
    private sealed partial class RouterStarter(IGrainFactory grains, IntegrationRuntime runtime, IHostApplicationLifetime lifetime, ILogger<RouterStarter> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            if (runtime.Store is null)
            {
                LogNoStore(logger);
                return;
            }

            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
            await started.Task.WaitAsync(stoppingToken);
            var delay = TimeSpan.FromMilliseconds(200);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await grains.GetGrain<IIntegrationRouterGrain>(0).Start();
                    LogStarted(logger, runtime.Connectors.Count);
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogStartFailed(logger, delay, e.Message);
                    await Task.Delay(delay, stoppingToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                }
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Integration: no PostgreSQL (ConnectionStrings__Orleans unset), so no business events are delivered to any ERP.")]
        private static partial void LogNoStore(ILogger logger);

        [LoggerMessage(Level = LogLevel.Information, Message = "Integration: routing business events to {Count} connector(s).")]
        private static partial void LogStarted(ILogger logger, int count);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Integration: starting the router failed; trying again in {Delay}: {Reason}")]
        private static partial void LogStartFailed(ILogger logger, TimeSpan delay, string reason);
    }
}
