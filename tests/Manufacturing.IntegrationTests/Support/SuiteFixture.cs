using System.Net;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Manufacturing.Testing;
using Manufacturing.TokenTool;

namespace Manufacturing.IntegrationTests.Support;

/// <summary>
/// The whole suite as run.sh starts it: the five domain hosts (one Orleans cluster, heterogeneous
/// silos, ADO.NET providers) and the gateway, on free loopback ports, against a fresh PostgreSQL
/// database of their own.
/// </summary>
public sealed class SuiteFixture : IAsyncLifetime
{
    /// <summary>The domain hosts, as named in run.sh, tye.yaml and k8s/.</summary>
    public static readonly (string Name, string Project)[] DomainHosts =
    [
        ("inventory", "services/inventory/Inventory.Api"),
        ("procurement", "services/procurement/Procurement.Api"),
        ("quality", "services/quality/Quality.Api"),
        ("shop-floor", "services/shop-floor/ShopFloor.Api"),
        ("integration", "services/integration/Integration.Api"),
    ];

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(90);
    private readonly Dictionary<string, HostProcess> _hosts = [];
    private readonly Dictionary<string, int> _restPorts = [];
    private readonly Dictionary<string, int> _grpcPorts = [];
    private readonly Dictionary<string, string> _gatewayEnvironment = [];
    private readonly List<HostProcess> _extraGateways = [];
    private readonly List<HostProcess> _extraSilos = [];
    private readonly Dictionary<string, (string Project, Dictionary<string, string> Environment)> _hostSettings = [];
    private HostProcess? _gateway;

    /// <summary>The suite's own database.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>The gateway's REST port.</summary>
    public int GatewayRestPort { get; } = Ports.Next();

    /// <summary>The gateway's gRPC (HTTP/2 cleartext) port.</summary>
    public int GatewayGrpcPort { get; } = Ports.Next();

    /// <summary>A gRPC channel to the gateway.</summary>
    public GrpcChannel Gateway { get; private set; } = null!;

    /// <summary>The suite's token issuer: a random ES256 key whose public half the hosts and gateway trust.</summary>
    public TokenMinter Tokens { get; } = TokenMinter.CreateRandom();

    /// <summary>The vendor of the test purchase orders; the <c>supplier</c> alias is this supplier.</summary>
    public const string Vendor = "V-100200";

    /// <summary>
    /// The identity behind a short alias: <c>sap</c>, <c>odoo</c> (read write), <c>supplier</c>
    /// (supplier:V-100200), <c>mes</c> (mes:P100), <c>warehouse</c> and <c>quality</c> (those
    /// services), <c>reviewer</c> (service:buyer-portal with read review); anything else is a client
    /// name with <paramref name="scopes"/> (read write when none are given).
    /// </summary>
    public static (string Client, string[] Scopes) Identity(string alias, params string[] scopes) => alias switch
    {
        "supplier" => ($"supplier:{Vendor}", Or(scopes)),
        "mes" => ("mes:P100", Or(scopes)),
        "warehouse" => ("service:warehouse", Or(scopes)),
        "quality" => ("service:quality", Or(scopes)),
        "reviewer" => ("service:buyer-portal", scopes.Length == 0 ? ["read", "review"] : scopes),
        _ => (alias, Or(scopes)),
    };

    private static string[] Or(string[] scopes) => scopes.Length == 0 ? ["read", "write"] : scopes;

    /// <summary>A valid bearer token for <paramref name="alias"/> (see <see cref="Identity"/>).</summary>
    public string Token(string alias, params string[] scopes)
    {
        var (client, granted) = Identity(alias, scopes);
        return Tokens.Mint(new TokenRequest { Client = client, Scopes = granted });
    }

    /// <summary>Calls through the gateway as <paramref name="alias"/> (see <see cref="Identity"/>), with a bearer token.</summary>
    public CallInvoker As(string alias, params string[] scopes) => Bearer(Gateway, Token(alias, scopes));

    /// <summary>Calls over <paramref name="channel"/> carrying <paramref name="token"/>.</summary>
    public static CallInvoker Bearer(GrpcChannel channel, string token) => channel.Intercept(metadata =>
    {
        metadata.Add("authorization", $"Bearer {token}");
        return metadata;
    });

    /// <summary>An HTTP/1.1 client for the gateway's REST port, as <paramref name="alias"/>.</summary>
    public HttpClient HttpAs(string alias, params string[] scopes)
    {
        var http = new HttpClient { BaseAddress = GatewayHttp.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token(alias, scopes));
        _httpClients.Add(http);
        return http;
    }

    private readonly System.Collections.Concurrent.ConcurrentBag<HttpClient> _httpClients = [];

    /// <summary>Where the trusted public key is (for hosts a test starts itself).</summary>
    public string PublicKeyFile { get; } = Path.Combine(Path.GetTempPath(), $"mfg-it-{Guid.NewGuid():N}.pub.pem");

    /// <summary>The key pair a gateway that accepts client certificates signs its forwarded identities with (private, public).</summary>
    public (string PrivateKey, string PublicKey) ForwardingKey { get; } = (
        Path.Combine(Path.GetTempPath(), $"mfg-it-{Guid.NewGuid():N}.forwarding.pem"),
        Path.Combine(Path.GetTempPath(), $"mfg-it-{Guid.NewGuid():N}.forwarding.pub.pem"));

    /// <summary>The settings every host and gateway of the suite gets to trust <see cref="Tokens"/> (and the forwarding gateway's key).</summary>
    public IReadOnlyDictionary<string, string> AuthenticationSettings => new Dictionary<string, string>
    {
        ["Authentication__Issuer"] = DevelopmentKeys.Issuer,
        ["Authentication__Audience"] = DevelopmentKeys.Audience,
        ["Authentication__SigningKeyFile"] = PublicKeyFile,
        ["Authentication__Gateway__SigningKeyFile"] = ForwardingKey.PublicKey,
    };

    /// <summary>An HTTP/1.1 client for the gateway's REST port.</summary>
    public HttpClient GatewayHttp { get; private set; } = null!;

    /// <summary>A domain host by name.</summary>
    public HostProcess Host(string name) => _hosts[name];

    /// <summary>A domain host's own REST base address (bypassing the gateway).</summary>
    public Uri HostRest(string name) => new($"http://127.0.0.1:{_restPorts[name]}");

    /// <summary>A domain host's own gRPC address (bypassing the gateway).</summary>
    public Uri HostGrpc(string name) => new($"http://127.0.0.1:{_grpcPorts[name]}");

    /// <summary>The Odoo the suite's integration host delivers plant P100's events to (connector <c>odoo-test</c>, JSON-2).</summary>
    public FakeOdoo Odoo { get; private set; } = null!;

    /// <summary>
    /// The Odoo of plant P300, which the integration host polls for released manufacturing orders and
    /// confirmed purchase orders (connector <c>odoo-in</c>, JSON-2, <c>Inbound__Enabled</c>), apart from
    /// <see cref="Odoo"/> so that its polling never meets the outages other tests make there.
    /// </summary>
    public FakeOdoo OdooInbound { get; private set; } = null!;

    /// <summary>The odoo identity's token the integration host polls with (rotatable: read again for every poll).</summary>
    public string OdooTokenFile { get; } = Path.Combine(Path.GetTempPath(), $"mfg-it-{Guid.NewGuid():N}.odoo.token");

    /// <summary>The key Odoo's webhooks carry to nudge <c>odoo-in</c>'s polling (<c>Inbound__WebhookKeyFile</c>).</summary>
    public string OdooWebhookKey { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    private readonly string _odooWebhookKeyFile = Path.Combine(Path.GetTempPath(), $"mfg-it-{Guid.NewGuid():N}.odoo.webhook");

    /// <summary>The SAP the suite's integration host also delivers to (connector <c>sap-test</c>, OData V2, plants P100 and P200).</summary>
    public FakeSap Sap { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await PostgresServer.CreateTestDatabaseAsync("suite");
        Odoo = await FakeOdoo.StartAsync();
        OdooInbound = await FakeOdoo.StartAsync();
        Sap = await FakeSap.StartAsync();
        await File.WriteAllTextAsync(PublicKeyFile, Tokens.PublicKeyPem);
        await File.WriteAllTextAsync(OdooTokenFile, Token("odoo"));
        await File.WriteAllTextAsync(_odooWebhookKeyFile, OdooWebhookKey);
        using (var forwarding = System.Security.Cryptography.RSA.Create(2048))
        {
            await File.WriteAllTextAsync(ForwardingKey.PrivateKey, forwarding.ExportPkcs8PrivateKeyPem());
            await File.WriteAllTextAsync(ForwardingKey.PublicKey, forwarding.ExportSubjectPublicKeyInfoPem());
        }
        var clusterId = "it-" + Guid.NewGuid().ToString("N")[..8];
        var gatewayEnvironment = _gatewayEnvironment;
        gatewayEnvironment["Kestrel__Endpoints__Rest__Url"] = $"http://127.0.0.1:{GatewayRestPort}";
        gatewayEnvironment["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{GatewayGrpcPort}";
        gatewayEnvironment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in AuthenticationSettings)
        {
            gatewayEnvironment[key] = value;
        }

        // The gateway writes its refusals to the suite's audit trail.
        gatewayEnvironment["ConnectionStrings__Audit"] = ConnectionString;

        // Edge agents get a small bucket here so the flood test runs out of tokens in a few calls.
        gatewayEnvironment["Gateway__RateLimits__edge__TokenLimit"] = "5";
        gatewayEnvironment["Gateway__RateLimits__edge__TokensPerPeriod"] = "5";
        gatewayEnvironment["Gateway__RateLimits__edge__ReplenishmentPeriod"] = "00:01:00";

        // Three open event streams per plant, so the stream-flood test needs only four.
        gatewayEnvironment["Gateway__StreamsPerPlant"] = "3";

        foreach (var (name, project) in DomainHosts)
        {
            var rest = Ports.Next();
            var grpc = Ports.Next();
            _restPorts[name] = rest;
            _grpcPorts[name] = grpc;
            var environment = new Dictionary<string, string>(AuthenticationSettings)
            {
                ["ConnectionStrings__Orleans"] = ConnectionString,
                ["Kestrel__Endpoints__Rest__Url"] = $"http://127.0.0.1:{rest}",
                ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{grpc}",
                ["Orleans__ClusterId"] = clusterId,
                ["Orleans__ServiceId"] = clusterId,
                ["Orleans__SiloPort"] = Ports.Next().ToString(),
                ["Logging__LogLevel__Default"] = "Warning",
                ["DOTNET_gcServer"] = "0",
                // SAP's material number for STEEL-S235 (the story sends it in SAP's 18-digit form).
                ["Codes__sap__12345"] = "STEEL-S235",
                // The press of the telemetry test makes a part every 30 s at best (for OEE performance).
                ["Plants__P100__WorkCenters__PRESS-7__IdealCycleSeconds"] = "30",
                // Progress reaches the ERPs within a second here (30 s coalescing micro-batches by default).
                ["Integration__Workflows__production-progress__Interval"] = "00:00:01",
                // Plant P100's ERP deliveries go to the fake Odoo (read by the integration host only).
                ["Integration__Connectors__odoo-test__Kind"] = "odoo",
                ["Integration__Connectors__odoo-test__Protocol"] = "json2",
                ["Integration__Connectors__odoo-test__BaseUrl"] = Odoo.Address.ToString(),
                ["Integration__Connectors__odoo-test__Secret"] = FakeOdoo.ApiKey,
                ["Integration__Connectors__odoo-test__Plants__0"] = "P100",
                ["Integration__Connectors__odoo-test__Timeout"] = "00:00:05",
                ["Integration__Connectors__odoo-test__BreakDuration"] = "00:00:02",
                ["Integration__Connectors__odoo-test__MaxAttempts"] = "4",
                // Plant P200's shop floor runs an Odoo 17, reached over JSON-RPC (the same fake serves /jsonrpc).
                ["Integration__Connectors__odoo-rpc__Kind"] = "odoo",
                ["Integration__Connectors__odoo-rpc__Protocol"] = "jsonrpc",
                ["Integration__Connectors__odoo-rpc__BaseUrl"] = Odoo.Address.ToString(),
                ["Integration__Connectors__odoo-rpc__Database"] = FakeOdoo.Database,
                ["Integration__Connectors__odoo-rpc__Login"] = FakeOdoo.Login,
                ["Integration__Connectors__odoo-rpc__Secret"] = FakeOdoo.ApiKey,
                ["Integration__Connectors__odoo-rpc__Plants__0"] = "P200",
                ["Integration__Connectors__odoo-rpc__Workflows__0"] = "production-completion",
                // SAP runs centrally (finance) for both plants: completions post goods receipts there too.
                ["Integration__Connectors__sap-test__Kind"] = "sap",
                ["Integration__Connectors__sap-test__Protocol"] = "odata",
                ["Integration__Connectors__sap-test__BaseUrl"] = Sap.Address.ToString(),
                ["Integration__Connectors__sap-test__Login"] = FakeSap.User,
                ["Integration__Connectors__sap-test__Secret"] = FakeSap.Password,
                ["Integration__Connectors__sap-test__Plants__0"] = "P100",
                ["Integration__Connectors__sap-test__Plants__1"] = "P200",
                ["Integration__Connectors__sap-test__SapPlants__P100"] = "1010",
                ["Integration__Connectors__sap-test__SapPlants__P200"] = "1020",
                ["Integration__Connectors__sap-test__Timeout"] = "00:00:05",
                // Its storage locations for ours (transfers post 311 between them). The fake SAP manages no
                // batches, so lots do not travel as batches (the batch mapping is unit-tested).
                ["Integration__Connectors__sap-test__StorageLocations__RECV-01"] = "0001",
                ["Integration__Connectors__sap-test__StorageLocations__LINE-1"] = "0003",
                ["Integration__Connectors__sap-test__Batches"] = "false",
                // Plant P300 runs Odoo; the integration host polls it for orders and applies them as odoo. It polls on its own only every
                // five minutes here: the tests' changes in Odoo reach it because their webhooks make it poll at once.
                ["Plants__P300__Erp"] = "odoo",
                ["Integration__Connectors__odoo-in__Kind"] = "odoo",
                ["Integration__Connectors__odoo-in__Protocol"] = "json2",
                ["Integration__Connectors__odoo-in__BaseUrl"] = OdooInbound.Address.ToString(),
                ["Integration__Connectors__odoo-in__Secret"] = FakeOdoo.ApiKey,
                ["Integration__Connectors__odoo-in__Plants__0"] = "P300",
                ["Integration__Connectors__odoo-in__Inbound__Enabled"] = "true",
                ["Integration__Connectors__odoo-in__Inbound__TokenFile"] = OdooTokenFile,
                ["Integration__Connectors__odoo-in__Inbound__Interval"] = "00:05:00",
                ["Integration__Connectors__odoo-in__Inbound__WebhookKeyFile"] = _odooWebhookKeyFile,
                ["Integration__Connectors__odoo-in__Inbound__Lag"] = "00:00:30",
                ["Integration__Inbound__ShopFloor"] = _grpcPorts.TryGetValue("shop-floor", out var shopFloor) ? $"http://127.0.0.1:{shopFloor}" : "",
                // The IDoc intake applies IDocs through the procurement host (started before the integration host).
                ["Integration__Inbound__Procurement"] = _grpcPorts.TryGetValue("procurement", out var procurement) ? $"http://127.0.0.1:{procurement}" : "",
                ["Integration__Connectors__sap-test__BreakDuration"] = "00:00:02",
            };
            _hostSettings[name] = (project, environment);
            _hosts[name] = new HostProcess(name, Repository.HostAssembly(project), environment);
            gatewayEnvironment[$"ReverseProxy__Clusters__{name}__Destinations__{name}-1__Address"] = $"http://127.0.0.1:{grpc}";
            gatewayEnvironment[$"ReverseProxy__Clusters__{name}__HealthCheck__Active__Interval"] = "00:00:01";
        }

        _gateway = new HostProcess("gateway", Repository.HostAssembly("gateway/Manufacturing.Gateway"), gatewayEnvironment);
        foreach (var host in _hosts.Values)
        {
            host.Start();
        }

        _gateway.Start();
        Gateway = GrpcChannel.ForAddress($"http://127.0.0.1:{GatewayGrpcPort}");
        GatewayHttp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{GatewayRestPort}"), Timeout = TimeSpan.FromSeconds(30) };
        await WaitUntilGatewayHealthyAsync(StartDeadline);
    }

    /// <summary>
    /// Starts another gateway in front of the same hosts, with the suite's routes plus
    /// <paramref name="settings"/> (its own ports, a certificate…); it is stopped with the suite.
    /// </summary>
    public HostProcess StartGateway(IReadOnlyDictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string>(_gatewayEnvironment);
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        var gateway = new HostProcess("gateway-extra", Repository.HostAssembly("gateway/Manufacturing.Gateway"), environment);
        _extraGateways.Add(gateway);
        gateway.Start();
        return gateway;
    }

    /// <summary>Stops (SIGTERM) a gateway started by <see cref="StartGateway"/>; it no longer counts as a host that must run.</summary>
    public async Task StopGatewayAsync(HostProcess gateway, TimeSpan timeout)
    {
        _extraGateways.Remove(gateway);
        await gateway.StopAsync(timeout);
        gateway.Dispose();
    }

    /// <summary>A silo a test started besides the suite's hosts, with its own API ports.</summary>
    public sealed record ExtraSilo(HostProcess Process, Uri Grpc, Uri Rest);

    /// <summary>
    /// Starts another silo of <paramref name="domain"/> in the suite's cluster (same database, cluster
    /// and settings, its own ports) with <paramref name="settings"/> on top (for example
    /// <c>Orleans__Plants</c>), and waits until it is healthy. Stop it with <see cref="StopSiloAsync"/>.
    /// </summary>
    public async Task<ExtraSilo> StartSiloAsync(string domain, IReadOnlyDictionary<string, string> settings)
    {
        var (project, hostEnvironment) = _hostSettings[domain];
        var (rest, grpc) = (Ports.Next(), Ports.Next());
        var environment = new Dictionary<string, string>(hostEnvironment)
        {
            ["Kestrel__Endpoints__Rest__Url"] = $"http://127.0.0.1:{rest}",
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{grpc}",
            ["Orleans__SiloPort"] = Ports.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        var silo = new ExtraSilo(new HostProcess($"{domain}-{_extraSilos.Count + 2}", Repository.HostAssembly(project), environment),
            new Uri($"http://127.0.0.1:{grpc}"), new Uri($"http://127.0.0.1:{rest}"));
        _extraSilos.Add(silo.Process);
        silo.Process.Start();
        await WaitUntilHealthyAsync(new Uri(silo.Rest, "/healthz"), StartDeadline);
        return silo;
    }

    /// <summary>
    /// Stops (SIGTERM, then kill -9 after <paramref name="timeout"/>) a silo from <see cref="StartSiloAsync"/>;
    /// true when it exited by itself in time.
    /// </summary>
    public async Task<bool> StopSiloAsync(ExtraSilo silo, TimeSpan timeout)
    {
        var exited = await silo.Process.StopAsync(timeout);
        silo.Process.Dispose();
        _extraSilos.Remove(silo.Process);
        return exited;
    }

    /// <summary>Waits until the gateway reports every domain host healthy, or fails naming what is not.</summary>
    public Task WaitUntilGatewayHealthyAsync(TimeSpan deadline) =>
        WaitUntilHealthyAsync(new Uri($"http://127.0.0.1:{GatewayRestPort}/healthz"), deadline);

    /// <summary>Waits until <paramref name="healthz"/> answers 200, using <paramref name="handler"/> (for TLS) when given.</summary>
    public Task WaitUntilHealthyAsync(Uri healthz, TimeSpan deadline, HttpMessageHandler handler) =>
        WaitUntilHealthyAsync(healthz, deadline, new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) });

    /// <summary>Waits until one domain host answers its own /healthz with 200 (silo active, PostgreSQL reachable).</summary>
    public Task WaitUntilHostHealthyAsync(string name, TimeSpan deadline) =>
        WaitUntilHealthyAsync(new Uri(HostRest(name), "/healthz"), deadline);

    private Task WaitUntilHealthyAsync(Uri healthz, TimeSpan deadline) =>
        WaitUntilHealthyAsync(healthz, deadline, new HttpClient { Timeout = TimeSpan.FromSeconds(2) });

    private async Task WaitUntilHealthyAsync(Uri healthz, TimeSpan deadline, HttpClient client)
    {
        using var probe = client;
        var last = "";
        var until = DateTime.UtcNow + deadline;
        while (DateTime.UtcNow < until)
        {
            var exited = _hosts.Values.Append(_gateway!).Concat(_extraGateways).Concat(_extraSilos).FirstOrDefault(h => !h.IsRunning);
            if (exited is not null)
            {
                throw new InvalidOperationException($"{exited.Name} exited during start-up:{Environment.NewLine}{exited.RecentOutput}");
            }

            try
            {
                using var response = await probe.GetAsync(healthz);
                last = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException e)
            {
                last = e.Message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{healthz} did not answer 200 within {deadline.TotalSeconds} s. Last /healthz: {last}{Environment.NewLine}" +
            string.Join(Environment.NewLine, _hosts.Values.Append(_gateway!).Concat(_extraSilos).Select(h => $"--- {h.Name} ---{Environment.NewLine}{h.RecentOutput}")));
    }

    public async Task DisposeAsync()
    {
        if (Odoo is not null)
        {
            await Odoo.DisposeAsync();
        }

        if (OdooInbound is not null)
        {
            await OdooInbound.DisposeAsync();
        }

        if (Sap is not null)
        {
            await Sap.DisposeAsync();
        }

        Gateway?.Dispose();
        GatewayHttp?.Dispose();
        foreach (var http in _httpClients)
        {
            http.Dispose();
        }

        Tokens.Dispose();
        File.Delete(PublicKeyFile);
        File.Delete(OdooTokenFile);
        File.Delete(_odooWebhookKeyFile);
        File.Delete(ForwardingKey.PrivateKey);
        File.Delete(ForwardingKey.PublicKey);
        foreach (var host in _hosts.Values.Append(_gateway).Concat(_extraGateways).Concat(_extraSilos).OfType<HostProcess>())
        {
            host.Dispose();
        }

        if (ConnectionString.Length > 0)
        {
            await (await PostgresServer.Shared).DropDatabaseAsync(ConnectionString);
        }
    }
}

/// <summary>Tests that share one running suite; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class SuiteCollection : ICollectionFixture<SuiteFixture>
{
    public const string Name = "suite";
}
