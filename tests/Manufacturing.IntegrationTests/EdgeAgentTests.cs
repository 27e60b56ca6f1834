using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Manufacturing.Common.V1;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.Inventory.V1;
using Manufacturing.Quality.V1;
using Manufacturing.ShopFloor.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>
/// The edge agent (tools/EdgeAgent) as a process: events posted to it are stored locally, forwarded
/// through the gateway, and land exactly once, also when the agent is killed mid-forward or the
/// gateway is away; what the cluster refuses for good is quarantined.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class EdgeAgentTests(SuiteFixture suite) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"mfg-edge-{Guid.NewGuid():N}.db");
    private readonly string _tokenFile = Path.Combine(Path.GetTempPath(), $"mfg-edge-{Guid.NewGuid():N}.token");
    private readonly int _port = Ports.Next();
    private readonly List<HostProcess> _agents = [];
    private readonly List<ToolProcess> _tools = [];

    private ShopFloorService.ShopFloorServiceClient Erp => new(suite.As("odoo"));

    private HttpClient Intake { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    private HostProcess StartAgent(string gateway, IReadOnlyDictionary<string, string>? more = null)
    {
        File.WriteAllText(_tokenFile, suite.Token("edge:P100"));
        var settings = new Dictionary<string, string>
        {
            ["EdgeAgent__Plant"] = "P100",
            ["EdgeAgent__Gateway"] = gateway,
            ["EdgeAgent__TokenFile"] = _tokenFile,
            ["EdgeAgent__Database"] = _database,
            ["EdgeAgent__BatchSize"] = "50",
            ["EdgeAgent__MaxInFlight"] = "200",
            ["EdgeAgent__MaxBackoff"] = "00:00:01",
            ["Kestrel__Endpoints__Intake__Url"] = $"http://127.0.0.1:{_port}",
            ["DOTNET_gcServer"] = "0",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var agent = new HostProcess("edge-agent", Repository.HostAssembly("tools/EdgeAgent", "Manufacturing.EdgeAgent"), settings);
        _agents.Add(agent);
        agent.Start();
        return agent;
    }

    private Uri Agent(string path) => new($"http://127.0.0.1:{_port}{path}");

    private async Task WaitForAgentAsync()
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            try
            {
                if ((await Intake.GetAsync(Agent("/healthz"))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < until)
            {
            }

            Assert.True(DateTime.UtcNow < until, "the edge agent did not start: " + string.Join(" | ", _agents.Select(a => a.RecentOutput)));
            await Task.Delay(50);
        }
    }

    private async Task<JsonElement> BacklogAsync() => await Intake.GetFromJsonAsync<JsonElement>(Agent("/v1/backlog"));

    private async Task WaitUntilDrainedAsync()
    {
        var until = DateTime.UtcNow + Deadline;
        while ((await BacklogAsync()).GetProperty("pending").GetInt64() > 0)
        {
            Assert.True(DateTime.UtcNow < until, $"the agent's backlog did not drain within {Deadline}: {await BacklogAsync()}");
            await Task.Delay(50);
        }
    }

    private async Task PostAsync(string source, params PlantEvent[] events)
    {
        var body = Google.Protobuf.JsonFormatter.Default.Format(new PublishPlantEventsRequest { Events = { events } });
        using var response = await Intake.PostAsync(Agent($"/v1/sources/{source}/events"), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
    }

    private static PlantEvent Pause(string order, string id, bool resume) => resume
        ? new PlantEvent { ResumeOperation = new ResumeOperationRequest { ProductionOrder = order, OperationId = "0010", Metadata = Metadata(id) } }
        : new PlantEvent { PauseOperation = new PauseOperationRequest { ProductionOrder = order, OperationId = "0010", Reason = "MICROSTOP", Metadata = Metadata(id) } };

    /// <summary>Releases <paramref name="count"/> orders and starts their first operation through the agent's source.</summary>
    private async Task<string[]> OrdersAsync(int count, string source)
    {
        var orders = new string[count];
        for (var i = 0; i < count; i++)
        {
            orders[i] = (await Erp.ReleaseProductionOrderAsync(Release(Unique("WO")))).ProductionOrder.Name;
        }

        await PostAsync(source, [.. orders.Select(o => new PlantEvent { StartOperation = new StartOperationRequest { ProductionOrder = o, OperationId = "0010", Metadata = Metadata() } })]);
        return orders;
    }

    /// <summary>Posts <paramref name="batches"/> × 100 pause/resume events over the orders; returns how many.</summary>
    private async Task<int> PostCyclesAsync(string source, string[] orders, int batches)
    {
        var paused = new bool[orders.Length];
        var next = 0;
        for (var b = 0; b < batches; b++)
        {
            var events = new PlantEvent[100];
            for (var e = 0; e < events.Length; e++)
            {
                var o = next++ % orders.Length;
                events[e] = Pause(orders[o], Unique("ev"), paused[o]);
                paused[o] = !paused[o];
            }

            await PostAsync(source, events);
        }

        return batches * 100;
    }

    private async Task<long> AppliedAsync(string[] orders)
    {
        long applied = 0;
        foreach (var order in orders)
        {
            applied += (await Erp.GetProductionOrderAsync(new GetProductionOrderRequest { Name = order })).ProductionOrder.Version - 1;
        }

        return applied;
    }

    [Fact]
    public async Task Killed_mid_forward_and_restarted_the_agent_delivers_every_event_exactly_once()
    {
        var agent = StartAgent($"http://127.0.0.1:{suite.GatewayGrpcPort}");
        await WaitForAgentAsync();
        var source = Unique("line");
        var orders = await OrdersAsync(10, source);
        var posted = orders.Length + await PostCyclesAsync(source, orders, 20);

        // Kill -9 as soon as some (not all) events were delivered.
        var until = DateTime.UtcNow + Deadline;
        while ((await BacklogAsync()).GetProperty("delivered").GetInt64() == 0)
        {
            Assert.True(DateTime.UtcNow < until, "nothing was delivered");
            await Task.Delay(10);
        }

        agent.Kill();
        var applied = await AppliedAsync(orders);
        StartAgent($"http://127.0.0.1:{suite.GatewayGrpcPort}");
        await WaitForAgentAsync();
        await WaitUntilDrainedAsync();

        Console.WriteLine($"edge agent kill -9: posted {posted}, applied before the kill {applied}, applied after the restart {await AppliedAsync(orders)}");
        Assert.Equal(posted, await AppliedAsync(orders));
        Assert.Equal(0, (await BacklogAsync()).GetProperty("quarantined").GetInt64());
    }

    [Fact]
    public async Task With_the_gateway_stopped_for_a_while_the_agent_keeps_events_and_delivers_them_once_when_it_returns()
    {
        var grpcPort = Ports.Next();
        var settings = new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Kestrel__Endpoints__Rest__Url"] = $"http://127.0.0.1:{Ports.Next()}",
        };
        var gateway = suite.StartGateway(settings);
        StartAgent($"http://127.0.0.1:{grpcPort}");
        await WaitForAgentAsync();
        var source = Unique("line");
        var orders = await OrdersAsync(5, source);
        await WaitUntilDrainedAsync();

        // Mid-stream: the gateway goes away while events flow, and the plant keeps producing events.
        var before = await PostCyclesAsync(source, orders, 5);
        await suite.StopGatewayAsync(gateway, TimeSpan.FromSeconds(10));
        var during = await PostCyclesAsync(source, orders, 5);
        var pending = (await BacklogAsync()).GetProperty("pending").GetInt64();
        Assert.True(pending >= during, $"{pending} events pending while the gateway is down; {during} were posted meanwhile");
        gateway = suite.StartGateway(settings);
        await WaitUntilDrainedAsync();
        await suite.StopGatewayAsync(gateway, TimeSpan.FromSeconds(10));
        var posted = orders.Length + before + during;

        Console.WriteLine($"edge agent, gateway stopped: posted {posted}, pending while it was down {pending}, applied {await AppliedAsync(orders)}");
        Assert.Equal(posted, await AppliedAsync(orders));
    }

    [Fact]
    public async Task With_the_shop_floor_host_killed_mid_stream_and_restarted_every_event_lands_exactly_once()
    {
        StartAgent($"http://127.0.0.1:{suite.GatewayGrpcPort}");
        await WaitForAgentAsync();
        var source = Unique("line");
        var orders = await OrdersAsync(10, source);
        var before = await PostCyclesAsync(source, orders, 10);

        // Kill -9 the host that owns the orders while the agent is forwarding, and keep posting.
        var until = DateTime.UtcNow + Deadline;
        while ((await BacklogAsync()).GetProperty("delivered").GetInt64() == 0)
        {
            Assert.True(DateTime.UtcNow < until, "nothing was delivered");
            await Task.Delay(10);
        }

        var host = suite.Host("shop-floor");
        host.Kill();
        var during = await PostCyclesAsync(source, orders, 5);
        host.Start();
        await suite.WaitUntilHostHealthyAsync("shop-floor", TimeSpan.FromSeconds(60));
        await WaitUntilDrainedAsync();
        var posted = orders.Length + before + during;

        Console.WriteLine($"edge agent, shop-floor host killed: posted {posted}, applied {await AppliedAsync(orders)}");
        Assert.Equal(posted, await AppliedAsync(orders));
        Assert.Equal(0, (await BacklogAsync()).GetProperty("quarantined").GetInt64());
    }

    [Fact]
    public async Task With_postgresql_stopped_mid_stream_and_started_again_every_event_lands_exactly_once()
    {
        StartAgent($"http://127.0.0.1:{suite.GatewayGrpcPort}");
        await WaitForAgentAsync();
        var source = Unique("line");
        var orders = await OrdersAsync(10, source);
        await WaitUntilDrainedAsync();
        var before = await PostCyclesAsync(source, orders, 5);

        // The database goes away while the agent forwards; the plant goes on posting.
        await Manufacturing.Testing.PostgresServer.StopServerAsync();
        int during;
        long pending;
        try
        {
            during = await PostCyclesAsync(source, orders, 5);
            pending = (await BacklogAsync()).GetProperty("pending").GetInt64();
        }
        finally
        {
            await Manufacturing.Testing.PostgresServer.StartServerAsync();
        }

        Assert.True(pending >= during, $"{pending} events pending while PostgreSQL is down; {during} were posted meanwhile");
        await WaitUntilDrainedAsync();
        var posted = orders.Length + before + during;

        Console.WriteLine($"edge agent, PostgreSQL restarted: posted {posted}, pending while it was down {pending}, applied {await AppliedAsync(orders)}");
        Assert.Equal(posted, await AppliedAsync(orders));
        Assert.Equal(0, (await BacklogAsync()).GetProperty("quarantined").GetInt64());
    }

    [Fact]
    public async Task A_poison_event_is_quarantined_with_its_reason_and_the_events_behind_it_land()
    {
        StartAgent($"http://127.0.0.1:{suite.GatewayGrpcPort}");
        await WaitForAgentAsync();
        var lotId = Unique("LOT");
        var lot = (await new InventoryService.InventoryServiceClient(suite.As("warehouse")).ReceiveLotAsync(new ReceiveLotRequest
        {
            Parent = "plants/P100", LotId = lotId, Material = "FRAME-26",
            Quantity = new Quantity { Value = "10", UnitOfMeasure = "EA" }, Location = "RECV-01", Metadata = Metadata(),
        })).Lot;
        await new QualityService.QualityServiceClient(suite.As("quality")).BlockLotAsync(new BlockLotRequest { Lot = lot.Name, Reason = "crack", Metadata = Metadata() });
        var order = (await Erp.ReleaseProductionOrderAsync(Release(Unique("WO")))).ProductionOrder.Name;
        var source = Unique("line");

        await PostAsync(source,
            new PlantEvent { StartOperation = new StartOperationRequest { ProductionOrder = order, OperationId = "0010", Metadata = Metadata() } },
            new PlantEvent
            {
                ConsumeMaterial = new ConsumeMaterialRequest
                {
                    ProductionOrder = order, Component = "FRAME-26", LotId = lotId,
                    Quantity = new Quantity { Value = "1", UnitOfMeasure = "EA" }, Metadata = Metadata("poison-" + lotId),
                },
            },
            new PlantEvent
            {
                CompleteOperation = new CompleteOperationRequest
                {
                    ProductionOrder = order, OperationId = "0010", GoodQuantity = new Quantity { Value = "25", UnitOfMeasure = "EA" },
                    ScrapQuantity = new Quantity { Value = "0", UnitOfMeasure = "EA" }, Metadata = Metadata(),
                },
            });
        await WaitUntilDrainedAsync();

        var quarantine = await Intake.GetFromJsonAsync<JsonElement>(Agent("/v1/quarantine"));
        var entry = Assert.Single(quarantine.EnumerateArray());
        Assert.Equal("poison-" + lotId, entry.GetProperty("messageId").GetString());
        Assert.StartsWith("INVALID_STATE", entry.GetProperty("reason").GetString());
        Assert.Equal(9, entry.GetProperty("statusCode").GetInt32());
        var stored = (await Erp.GetProductionOrderAsync(new GetProductionOrderRequest { Name = order })).ProductionOrder;
        Assert.Equal(OperationState.Completed, stored.Operations[0].State);
        Assert.Empty(stored.Consumptions);

        // An operator retries it while the lot is still blocked: refused again, it is back in the quarantine
        // under a new sequence. Discarding it needs a reason.
        var id = entry.GetProperty("id").GetInt64();
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await Intake.PostAsync(Agent($"/v1/quarantine/{id}:retry"), null)).StatusCode);
        await WaitUntilDrainedAsync();
        var again = Assert.Single((await Intake.GetFromJsonAsync<JsonElement>(Agent("/v1/quarantine"))).EnumerateArray());
        Assert.Equal("poison-" + lotId, again.GetProperty("messageId").GetString());
        Assert.True(again.GetProperty("sequence").GetInt64() > entry.GetProperty("sequence").GetInt64());
        var againId = again.GetProperty("id").GetInt64();
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await Intake.DeleteAsync(Agent($"/v1/quarantine/{againId}"))).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await Intake.DeleteAsync(Agent($"/v1/quarantine/{againId}?reason=scrapped-at-line"))).StatusCode);
        Assert.Empty((await Intake.GetFromJsonAsync<JsonElement>(Agent("/v1/quarantine"))).EnumerateArray());
        Assert.Empty((await Erp.GetProductionOrderAsync(new GetProductionOrderRequest { Name = order })).ProductionOrder.Consumptions);
    }

    [Fact]
    public async Task A_Tahu_Sparkplug_B_edge_node_s_births_and_data_land_in_the_oee_windows_a_gap_gets_a_rebirth_and_NDEATH_takes_the_machine_down()
    {
        // A real broker (Debian's mosquitto) and a Sparkplug B edge node written by others (npm sparkplug-client, Eclipse Tahu).
        var brokerPort = Ports.Next();
        var config = Path.Combine(Path.GetTempPath(), $"mfg-mosquitto-{Guid.NewGuid():N}.conf");
        File.WriteAllText(config, $"listener {brokerPort} 127.0.0.1\nallow_anonymous true\npersistence false\n");
        var broker = ToolProcess.Start(Tool("MFG_MOSQUITTO", "/usr/sbin/mosquitto", "/usr/bin/mosquitto"), ["-c", config], Path.GetTempPath());
        _tools.Add(broker);
        await broker.WaitForLineAsync(l => l.Contains("running", StringComparison.Ordinal), Deadline, "mosquitto starting");
        File.Delete(config);

        var group = "G" + Guid.NewGuid().ToString("N")[..8];
        var workCenter = "SPB-" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var device = $"{group}/line1/press7";
        StartAgent($"http://127.0.0.1:{suite.GatewayGrpcPort}", new Dictionary<string, string>
        {
            ["EdgeAgent__Sparkplug__Broker"] = $"mqtt://127.0.0.1:{brokerPort}",
            ["EdgeAgent__Sparkplug__Groups__0"] = group,
            ["EdgeAgent__Sparkplug__HostId"] = "mfg-" + group,
            ["EdgeAgent__Sparkplug__RebirthInterval"] = "00:00:00.5",
            ["EdgeAgent__Sparkplug__Metrics__0__Metric"] = $"{device}/Count/Good",
            ["EdgeAgent__Sparkplug__Metrics__0__WorkCenter"] = workCenter,
            ["EdgeAgent__Sparkplug__Metrics__0__Signal"] = "good-total",
            ["EdgeAgent__Sparkplug__Metrics__1__Metric"] = $"{device}/Count/Scrap",
            ["EdgeAgent__Sparkplug__Metrics__1__WorkCenter"] = workCenter,
            ["EdgeAgent__Sparkplug__Metrics__1__Signal"] = "scrap-total",
            ["EdgeAgent__Sparkplug__Metrics__2__Metric"] = $"{device}/State",
            ["EdgeAgent__Sparkplug__Metrics__2__WorkCenter"] = workCenter,
            ["EdgeAgent__Sparkplug__Metrics__2__Signal"] = "state",
            ["EdgeAgent__Sparkplug__Metrics__2__States__RUN"] = "RUNNING",
        });
        await WaitForAgentAsync();
        await WaitForAsync(async () => (await SparkplugAsync()).GetProperty("connected").GetBoolean(), "the agent connecting to the broker");

        // The node's clock: a 15-minute window that ended a quarter of an hour ago, so that its data is in the past.
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.FromMinutes(15).Ticks), TimeSpan.Zero).AddMinutes(-30);
        var nodeModules = Path.Combine(Environment.GetEnvironmentVariable("MFG_TOOLS_DIR") is { Length: > 0 } tools ? tools
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "manufacturing-tools"), "node_modules");
        Assert.True(Directory.Exists(Path.Combine(nodeModules, "sparkplug-client")), $"npm sparkplug-client is not in {nodeModules}; ./test.sh installs it");
        var node = ToolProcess.Start("node",
            [Path.Combine(Repository.Root, "tests/Manufacturing.IntegrationTests/Sparkplug/edge-node.js"), $"mqtt://127.0.0.1:{brokerPort}", group, "line1", "press7", start.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)],
            Path.GetTempPath(), new Dictionary<string, string> { ["NODE_PATH"] = nodeModules });
        _tools.Add(node);

        // Births at 0 (1000 good, 10 scrap: the counters' baselines; RUN), then data by alias.
        await node.WaitForLineAsync(l => l == "READY", Deadline, "the edge node's births");
        await node.SendAsync("""{"at": 5, "good": 1060}""");
        await node.SendAsync("""{"at": 6, "scrap": 12}""");
        // A lost message: the agent sees the sequence gap, refuses the data and asks for a rebirth; the
        // births show the counters' current values, so the 40 parts of the lost message still count.
        await node.SendAsync("""{"at": 7, "good": 1100, "skipSeq": true}""");
        await node.WaitForLineAsync(l => l == "REBIRTH", Deadline, "a rebirth request after the sequence gap");
        await node.SendAsync("""{"at": 10, "state": "JAM"}""");
        await node.SendAsync("""{"at": 12, "state": "RUN"}""");
        await node.SendAsync("""{"at": 16, "good": 1130}""");

        var erp = Erp;
        var name = $"plants/P100/workCenters/{workCenter}";
        WorkCenter center = new();
        async Task<WorkCenter> Read()
        {
            try
            {
                return (await erp.GetWorkCenterAsync(new GetWorkCenterRequest { Name = name })).WorkCenter;
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.NotFound)
            {
                return new WorkCenter(); // not forwarded yet
            }
        }

        await WaitForAsync(async () => (center = await Read())
            .ClosedWindows.Any(w => w.Kind == "interval" && w.StartTime.ToDateTimeOffset() == start), "the first window closing");
        var window = center.ClosedWindows.Single(w => w.Kind == "interval" && w.StartTime.ToDateTimeOffset() == start);
        Assert.Equal((100L, 2L), (window.GoodCount, window.ScrapCount));
        Assert.Equal((TimeSpan.FromMinutes(13), TimeSpan.FromMinutes(2)), (window.RunTime.ToTimeSpan(), window.DownTime.ToTimeSpan()));
        Assert.Equal(0.8667, window.Availability);
        Assert.Equal(0.9804, window.Quality);
        var status = await SparkplugAsync();
        Assert.True(status.GetProperty("rebirthsRequested").GetInt64() >= 1);
        Assert.Contains("sequence gap", status.GetProperty("lastRebirthReason").GetString(), StringComparison.Ordinal);

        // NDEATH: the machine is DOWN from then on, until a birth says otherwise.
        await node.SendAsync("""{"die": true}""");
        await WaitForAsync(async () => (center = await Read()).State == MachineState.Down
            && center.StateReason == "NDEATH", "the machine going DOWN after NDEATH");
        Assert.False((await SparkplugAsync()).GetProperty("nodes")[0].GetProperty("online").GetBoolean());
        await WaitUntilDrainedAsync();
        Assert.Equal(0, (await BacklogAsync()).GetProperty("quarantined").GetInt64());
        Console.WriteLine($"sparkplug: window {window.GoodCount} good, {window.ScrapCount} scrap, run {window.RunTime.ToTimeSpan()}, down {window.DownTime.ToTimeSpan()}; agent {status}");
    }

    private async Task<JsonElement> SparkplugAsync() => await Intake.GetFromJsonAsync<JsonElement>(Agent("/v1/sparkplug"));

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, $"{what} did not happen within {Deadline}");
            await Task.Delay(50);
        }
    }

    private static string Tool(string variable, params string[] candidates) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } configured ? configured
            : candidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException($"{candidates[0]} is not installed; ./test.sh installs it (or set {variable})");

    public void Dispose()
    {
        foreach (var agent in _agents)
        {
            agent.Dispose();
        }

        foreach (var tool in _tools)
        {
            tool.Dispose();
        }

        Intake.Dispose();
        foreach (var file in new[] { _database, _database + "-wal", _database + "-shm", _tokenFile })
        {
            File.Delete(file);
        }
    }
}
