using System.Diagnostics;
using System.Diagnostics.Metrics;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Integration.Connectors;
using Manufacturing.Integration.Connectors.Odoo;
using Manufacturing.Integration.Connectors.Sap;
using Manufacturing.Integration.Domain;
using Microsoft.Extensions.Configuration;

namespace Manufacturing.Integration.Grains;

/// <summary>One configured ERP connection: its settings, its adapter behind the resilience pipeline, and its inbound reader when it polls.</summary>
public sealed class Connector(ConnectorOptions options, ResilientAdapter adapter, OdooInboundReader? inbound = null)
{
    /// <summary>The settings.</summary>
    public ConnectorOptions Options { get; } = options;

    /// <summary>The adapter, behind timeout, retry, circuit breaker and concurrency limit.</summary>
    public ResilientAdapter Adapter { get; } = adapter;

    /// <summary>Reads Odoo's changes, when <c>Inbound__Enabled</c>; null otherwise.</summary>
    public OdooInboundReader? Inbound { get; } = inbound;
}

/// <summary>
/// What the integration silo runs with: the workflows and their policies, the connectors from
/// configuration (<c>Integration:Connectors:{name}</c>), and the delivery store. Built once at start;
/// a setting that cannot work stops the host with a message naming it.
/// </summary>
public sealed class IntegrationRuntime : IDisposable
{
    private readonly List<HttpClient> _clients = [];

    /// <summary>Reads and checks the configuration.</summary>
    public IntegrationRuntime(IConfiguration configuration, DeliveryStore? store, ReconciliationStore? reconciliation = null, CodeMap? codes = null)
    {
        Reconciliation = ReconciliationSettings.From(configuration.GetSection("Integration:Reconciliation"));
        ReconciliationStore = reconciliation;
        var workflows = WorkflowCatalog.Default;
        foreach (var section in configuration.GetSection("Integration:Workflows").GetChildren())
        {
            var current = workflows.Find(section.Key)?.Policy ?? SyncPolicy.RealTime;
            var mode = section["Mode"] is { } text
                ? Enum.TryParse<SyncMode>(text.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var parsed) ? parsed
                    : throw new InvalidOperationException($"Integration__Workflows__{section.Key}__Mode must be RealTime, MicroBatch or Scheduled.")
                : current.Mode;
            var interval = section["Interval"] is { } span ? TimeSpan.Parse(span, System.Globalization.CultureInfo.InvariantCulture) : current.Interval;
            var coalesce = section["Coalesce"] is { } flag ? bool.Parse(flag) : current.Coalesce;
            workflows = workflows.WithPolicy(section.Key, new SyncPolicy(mode, interval, coalesce));
        }

        Workflows = workflows;
        var connectors = new Dictionary<string, Connector>(StringComparer.Ordinal);
        foreach (var section in configuration.GetSection("Integration:Connectors").GetChildren())
        {
            var options = (section.Get<ConnectorOptions>() ?? new ConnectorOptions()) with { Name = section.Key };
            options.Validate();
            foreach (var workflow in options.Workflows.Where(w => workflows.Find(w) is null))
            {
                throw new InvalidOperationException($"Integration__Connectors__{options.Name}__Workflows: no workflow {workflow}.");
            }

            var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = Timeout.InfiniteTimeSpan };
            _clients.Add(http);
            IOdooClient? odoo = options.Kind == "odoo"
                ? options.Protocol == "jsonrpc" ? new OdooJsonRpcClient(http, options) : new OdooJson2Client(http, options)
                : null;
            IErpAdapter adapter = odoo is null ? new SapAdapter(new SapODataClient(http, options), options, codes) : new OdooAdapter(odoo, options, codes);
            var inbound = odoo is not null && options.Inbound.Enabled ? new OdooInboundReader(odoo, options, codes) : null;
            connectors[options.Name] = new Connector(options, new ResilientAdapter(adapter, options), inbound);
        }

        if (connectors.Count > 0 && store is null)
        {
            throw new InvalidOperationException(
                "Integration connectors need PostgreSQL (ConnectionStrings__Orleans): deliveries and dead letters are kept there. Remove Integration__Connectors__* or set the connection string.");
        }

        Connectors = connectors;
        Store = store;
        Routes = [.. connectors.Values.Select(c => new ConnectorRoute(c.Options.Name, c.Options.Plants.ToHashSet(StringComparer.Ordinal),
            c.Options.Workflows.ToHashSet(StringComparer.Ordinal), c.Adapter.Supports))];
    }

    /// <summary>The workflows with their effective policies.</summary>
    public WorkflowCatalog Workflows { get; }

    /// <summary>The connectors by name.</summary>
    public IReadOnlyDictionary<string, Connector> Connectors { get; }

    /// <summary>The connectors as routing sees them.</summary>
    public IReadOnlyList<ConnectorRoute> Routes { get; }

    /// <summary>The delivery store; null without PostgreSQL (then there are no connectors either).</summary>
    public DeliveryStore? Store { get; }

    /// <summary>The reconciliation store; null without PostgreSQL.</summary>
    public ReconciliationStore? ReconciliationStore { get; }

    /// <summary>When and how far reconciliation looks.</summary>
    public ReconciliationSettings Reconciliation { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var connector in Connectors.Values)
        {
            connector.Adapter.Dispose();
        }

        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }
}

/// <summary>
/// Reconciliation's schedule and reach (<c>Integration:Reconciliation</c>): every
/// <see cref="Interval"/> (default 1 hour, at least 1 minute: Orleans reminders), each connector
/// compares up to <see cref="MaxRecords"/> records per aggregate type that it delivered within
/// <see cref="Window"/> (default 7 days), most recent first.
/// </summary>
/// <param name="Interval">Between runs.</param>
/// <param name="Window">How far back delivered records are checked.</param>
/// <param name="MaxRecords">Records per aggregate type and run.</param>
public sealed record ReconciliationSettings(TimeSpan Interval, TimeSpan Window, int MaxRecords)
{
    /// <summary>Reads the section; a value that cannot work stops the host, naming it.</summary>
    public static ReconciliationSettings From(IConfigurationSection section)
    {
        var interval = Span(section, "Interval", TimeSpan.FromHours(1));
        var window = Span(section, "Window", TimeSpan.FromDays(7));
        var max = section["MaxRecords"] is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 5000;
        return interval < TimeSpan.FromMinutes(1)
            ? throw new InvalidOperationException("Integration__Reconciliation__Interval must be at least 00:01:00 (Orleans reminders fire at most once a minute).")
            : window <= TimeSpan.Zero
                ? throw new InvalidOperationException("Integration__Reconciliation__Window must be positive.")
                : max < 1
                    ? throw new InvalidOperationException("Integration__Reconciliation__MaxRecords must be at least 1.")
                    : new ReconciliationSettings(interval, window, max);
    }

    private static TimeSpan Span(IConfigurationSection section, string key, TimeSpan fallback) => section[key] is not { } text
        ? fallback
        : TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span)
            ? span
            : throw new InvalidOperationException($"Integration__Reconciliation__{key} is not a time span (hh:mm:ss or d.hh:mm:ss): {text}.");
}

/// <summary>The integration service's meters and activity source (OpenTelemetry), per connector.</summary>
public static class IntegrationTelemetry
{
    /// <summary>The meter's and activity source's name.</summary>
    public const string Name = "Manufacturing.Integration";

    /// <summary>The meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>Spans: one per delivery attempt.</summary>
    public static readonly ActivitySource Activities = new(Name);

    /// <summary>Deliveries by outcome (delivered, retry, dead, coalesced).</summary>
    public static readonly Counter<long> Deliveries = Meter.CreateCounter<long>("mfg.integration.deliveries", description: "Delivery attempts by connector, workflow and outcome.");

    /// <summary>From the event's time at the source to its delivery at the ERP.</summary>
    public static readonly Histogram<double> Latency = Meter.CreateHistogram<double>("mfg.integration.delivery.latency", unit: "s",
        description: "Time from the event at its source to its delivery at the ERP.");

    /// <summary>Records polled from Odoo by outcome (applied, unchanged, rejected).</summary>
    public static readonly Counter<long> InboundRecords = Meter.CreateCounter<long>("mfg.integration.inbound.records",
        description: "Records polled from Odoo and applied, found unchanged or rejected, by connector and model.");

    /// <summary>Reconciliation runs by outcome (ok, failed).</summary>
    public static readonly Counter<long> ReconciliationRuns = Meter.CreateCounter<long>("mfg.integration.reconciliation.runs", description: "Reconciliation runs by connector and outcome.");

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ConnectorState> States = new(StringComparer.Ordinal);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> OpenDrifts = new(StringComparer.Ordinal);

    static IntegrationTelemetry()
    {
        Meter.CreateObservableGauge("mfg.integration.backlog", () => Each(s => s.Backlog), description: "Pending deliveries per connector.");
        Meter.CreateObservableGauge("mfg.integration.oldest_pending_age", () => Each(s => s.OldestPending is { } at ? (DateTimeOffset.UtcNow - at).TotalSeconds : 0.0), unit: "s",
            description: "Age of the oldest undelivered event per connector.");
        Meter.CreateObservableGauge("mfg.integration.dead_letters", () => Each(s => s.DeadLetters), description: "Dead letters per connector.");
        Meter.CreateObservableGauge("mfg.integration.drifts", () => OpenDrifts.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("mfg.connector", d.Key))),
            description: "Open differences between our records and the ERP's per connector, as the last reconciliation found them.");
        Meter.CreateObservableGauge("mfg.integration.circuit_open", () => Each(s => s.Circuit is "open" or "isolated" ? 1 : 0), description: "1 while a connector's circuit is open.");
    }

    /// <summary>
    /// The span of one delivery attempt of <paramref name="e"/> to <paramref name="connector"/>: a new
    /// trace of the dispatcher's, with a link to the originating command's span (from the event's
    /// <see cref="IntegrationEvent.TraceParent"/>), so a trace viewer leads from the command to every
    /// delivery of what it caused, however much later it happened. Null when nobody listens.
    /// </summary>
    public static Activity? StartDelivery(IntegrationEvent e, string connector) =>
        Activities.StartActivity($"deliver {e.EventType} to {connector}", ActivityKind.Client, parentContext: default,
            links: ActivityContext.TryParse(e.TraceParent, null, out var origin) ? [new ActivityLink(origin)] : null);

    /// <summary>Records how many drifts a connector has open, for the gauge.</summary>
    public static void ReportDrifts(string connector, long open) => OpenDrifts[connector] = open;

    /// <summary>Records what a connector's dispatcher last saw, for the gauges.</summary>
    public static void Report(string connector, ConnectorState state) => States[connector] = state;

    private static IEnumerable<Measurement<T>> Each<T>(Func<ConnectorState, T> value) where T : struct =>
        States.Select(s => new Measurement<T>(value(s.Value), new KeyValuePair<string, object?>("mfg.connector", s.Key)));
}
