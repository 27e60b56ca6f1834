using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.ShopFloor.V1;
using Xunit.Abstractions;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>
/// Three shop-floor silos (the suite's and two more) in the suite's cluster on PostgreSQL, under a
/// load of execution commands, while a silo is killed, stopped or added. Every order runs a fixed
/// sequence of commands, each with its own message id; a command that fails is retried with the same
/// id until it is acknowledged. Afterwards each order's version says how many commands it applied:
/// nothing acknowledged may be missing (lost) and nothing applied twice (duplicated).
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class ClusterFaultTests(SuiteFixture suite, ClusterFaultTests.SiloPool pool, ITestOutputHelper output) : IClassFixture<ClusterFaultTests.SiloPool>
{
    private const int Orders = 24;
    private const int Steps = 12; // start, then pause/resume alternately
    private static readonly TimeSpan LoadDeadline = TimeSpan.FromSeconds(150);
    private static readonly TimeSpan OutageLength = TimeSpan.FromSeconds(12);
    private static readonly TimeSpan StatedReactivation = TimeSpan.FromSeconds(30);

    /// <summary>What a load run saw; <c>Slowest</c> is the longest from a command's first attempt to its acknowledgement.</summary>
    private sealed record LoadResult(int Acknowledged, int FailedAttempts, int DuplicateAcks, TimeSpan Slowest, TimeSpan Duration, IReadOnlyList<string> Errors);

    /// <summary>
    /// Extra shop-floor silos (serving every plant) shared by this class's tests, so that each test
    /// starts only the silos it is about to lose; stopped after the class.
    /// </summary>
    public sealed class SiloPool : IAsyncLifetime
    {
        private readonly List<SuiteFixture.ExtraSilo> _silos = [];
        private SuiteFixture? _suite;

        /// <summary>At least <paramref name="count"/> running extra silos, starting what is missing; reports the start times.</summary>
        public async Task<IReadOnlyList<SuiteFixture.ExtraSilo>> AtLeastAsync(SuiteFixture suite, int count, Action<string> log)
        {
            _suite = suite;
            _silos.RemoveAll(s => !s.Process.IsRunning);
            while (_silos.Count < count)
            {
                var started = Stopwatch.StartNew();
                _silos.Add(await suite.StartSiloAsync("shop-floor", new Dictionary<string, string>()));
                log($"extra shop-floor silo healthy {started.Elapsed.TotalSeconds:0.0} s after its start");
            }

            return [.. _silos];
        }

        /// <summary>Takes a silo out of the pool (the test stops or kills it).</summary>
        public void Remove(SuiteFixture.ExtraSilo silo) => _silos.Remove(silo);

        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync()
        {
            foreach (var silo in _silos)
            {
                await _suite!.StopSiloAsync(silo, TimeSpan.FromSeconds(30));
            }
        }
    }

    private ShopFloorService.ShopFloorServiceClient Client(Uri address, string alias) =>
        new(SuiteFixture.Bearer(GrpcChannel.ForAddress(address), suite.Token(alias)));

    private static object Command(string order, int step, string messageId)
    {
        var metadata = Metadata(messageId);
        return step == 0 ? new StartOperationRequest { ProductionOrder = order, OperationId = "0010", Metadata = metadata }
            : step % 2 == 1 ? new PauseOperationRequest { ProductionOrder = order, OperationId = "0010", Reason = "MICROSTOP", Metadata = metadata }
            : new ResumeOperationRequest { ProductionOrder = order, OperationId = "0010", Metadata = metadata };
    }

    private static async Task<bool> SendAsync(ShopFloorService.ShopFloorServiceClient client, object command)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        var outcome = command switch
        {
            StartOperationRequest start => (await client.StartOperationAsync(start, deadline: deadline)).Outcome,
            PauseOperationRequest pause => (await client.PauseOperationAsync(pause, deadline: deadline)).Outcome,
            ResumeOperationRequest resume => (await client.ResumeOperationAsync(resume, deadline: deadline)).Outcome,
            _ => throw new ArgumentException("not a command", nameof(command)),
        };
        return outcome.Duplicate;
    }

    /// <summary>
    /// Runs every order's sequence through <paramref name="clients"/> (round robin), retrying a failed
    /// command with its message id; <paramref name="acknowledged"/> counts as they are acknowledged.
    /// </summary>
    private static async Task<LoadResult> RunLoadAsync(IReadOnlyList<string> orders, IReadOnlyList<ShopFloorService.ShopFloorServiceClient> clients, Action? acknowledged = null)
    {
        var (acks, failures, duplicates) = (0, 0, 0);
        var slowest = TimeSpan.Zero;
        var errors = new ConcurrentQueue<string>();
        var until = DateTime.UtcNow + LoadDeadline;
        var duration = Stopwatch.StartNew();
        await Task.WhenAll(orders.Select((order, index) => Task.Run(async () =>
        {
            for (var step = 0; step < Steps; step++)
            {
                var command = Command(order, step, $"{order[(order.LastIndexOf('/') + 1)..]}-step-{step}"); // ids may not hold slashes
                var sent = Stopwatch.StartNew();
                for (var attempt = index; ; attempt++)
                {
                    try
                    {
                        if (await SendAsync(clients[attempt % clients.Count], command))
                        {
                            Interlocked.Increment(ref duplicates);
                        }

                        break;
                    }
                    catch (RpcException e) when (DateTime.UtcNow < until)
                    {
                        Interlocked.Increment(ref failures);
                        errors.Enqueue($"{order} step {step}: {e.StatusCode} {e.Status.Detail}");
                        await Task.Delay(100); // a bounded pause between retries, as a client would
                    }
                }

                Interlocked.Increment(ref acks);
                acknowledged?.Invoke();
                lock (errors)
                {
                    slowest = sent.Elapsed > slowest ? sent.Elapsed : slowest;
                }
            }
        })));
        return new LoadResult(acks, failures, duplicates, slowest, duration.Elapsed, [.. errors.Take(10)]);
    }

    private async Task<List<string>> ReleaseAsync(string plant, string releaser, int count = Orders)
    {
        var client = new ShopFloorService.ShopFloorServiceClient(suite.As(releaser));
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var release = Release(Unique("WO"));
            release.Parent = $"plants/{plant}";
            names.Add((await client.ReleaseProductionOrderAsync(release)).ProductionOrder.Name);
        }

        return names;
    }

    /// <summary>Lost = acknowledged commands not in state; duplicated = commands applied more than once; from each order's version.</summary>
    private async Task<(int Stored, int Lost, int Duplicated)> CheckAsync(IReadOnlyList<string> orders)
    {
        var client = new ShopFloorService.ShopFloorServiceClient(suite.As("odoo", "read"));
        var (stored, lost, duplicated) = (0, 0, 0);
        foreach (var order in orders)
        {
            var applied = (int)(await client.GetProductionOrderAsync(new GetProductionOrderRequest { Name = order })).ProductionOrder.Version - 1;
            stored += applied;
            lost += Math.Max(0, Steps - applied);
            duplicated += Math.Max(0, applied - Steps);
        }

        return (stored, lost, duplicated);
    }

    /// <summary>How many activations of <paramref name="plant"/> the silo at <paramref name="rest"/> holds (its <c>/placement</c>); -1 when it does not answer.</summary>
    private static async Task<int> ActivationsAsync(Uri rest, string plant)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            var placement = JsonNode.Parse(await http.GetStringAsync(new Uri(rest, "/placement")))!.AsObject();
            return placement["activations"]?[plant]?.GetValue<int>() ?? 0;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return -1;
        }
    }

    private static async Task WaitForAsync(Func<Task<bool>> done, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen within {within.TotalSeconds} s");
            await Task.Delay(100);
        }
    }

    private void Log(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line); // in the test command's log as well
    }

    private void Report(string scenario, LoadResult load, (int Stored, int Lost, int Duplicated) state, string extra = "")
    {
        Log($"{scenario}: acknowledged {load.Acknowledged}, stored {state.Stored}, lost {state.Lost}, duplicated {state.Duplicated}, "
            + $"failed attempts {load.FailedAttempts} (retried with their message ids; {load.DuplicateAcks} answered as duplicates), "
            + $"slowest command {load.Slowest.TotalSeconds:0.0} s from first attempt to acknowledgement, load {load.Duration.TotalSeconds:0.0} s{extra}");
        foreach (var error in load.Errors)
        {
            output.WriteLine($"  {error}");
        }
    }

    /// <summary>
    /// The kill and stop scenarios' start: two extra silos; the clients call through the suite's host and
    /// the one that stays, while the other (taken out of the pool) holds some of the freshly released
    /// P100 orders and is the one to lose. Returns how many P100 activations it holds.
    /// </summary>
    private async Task<(List<string> Orders, ShopFloorService.ShopFloorServiceClient[] Clients, SuiteFixture.ExtraSilo Lost, int Held)> ThreeSilosAsync(string what)
    {
        var silos = await pool.AtLeastAsync(suite, 2, Log);
        var (survivor, lost) = (silos[0], silos[1]);
        pool.Remove(lost);
        var orders = await ReleaseAsync("P100", "odoo");
        var clients = new[] { Client(suite.HostGrpc("shop-floor"), "mes"), Client(survivor.Grpc, "mes") };
        await WaitForAsync(async () => await ActivationsAsync(lost.Rest, "P100") > 0, TimeSpan.FromSeconds(30), $"orders placed on the silo to {what}");
        return (orders, clients, lost, await ActivationsAsync(lost.Rest, "P100"));
    }

    /// <summary>A load callback that runs <paramref name="fault"/> once, at the <paramref name="count"/>th acknowledgement.</summary>
    private static Action AtAcknowledgement(int count, Action fault)
    {
        var acked = 0;
        return () =>
        {
            if (Interlocked.Increment(ref acked) == count)
            {
                fault();
            }
        };
    }

    [Fact]
    public async Task A_silo_killed_mid_load_loses_and_duplicates_nothing_and_its_grains_answer_again_elsewhere()
    {
        var (orders, clients, victim, victims) = await ThreeSilosAsync("kill");
        try
        {
            var killed = Stopwatch.StartNew();
            var result = await RunLoadAsync(orders, clients, AtAcknowledgement(Orders * Steps / 3, () =>
            {
                victim.Process.Kill(); // kill -9 with commands in flight
                killed.Restart();
            }));
            var state = await CheckAsync(orders);

            Report("kill -9 of a shop-floor silo", result, state,
                $"; {victims} P100 activations were on the killed silo; reactivation: every order answered again elsewhere, "
                + $"no command waited more than {result.Slowest.TotalSeconds:0.0} s (stated bound {StatedReactivation.TotalSeconds:0} s); the load ended {killed.Elapsed.TotalSeconds:0.0} s after the kill");
            Assert.Equal((Orders * Steps, 0, 0), (result.Acknowledged, state.Lost, state.Duplicated));
            Assert.Equal(Orders * Steps, state.Stored);
            Assert.True(result.Slowest < StatedReactivation, $"a command waited {result.Slowest.TotalSeconds:0.0} s for its grain to answer again");
        }
        finally
        {
            await suite.StopSiloAsync(victim, TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task A_silo_stopped_gracefully_mid_load_hands_its_grains_over_without_a_failed_command()
    {
        var (orders, clients, leaving, handedOver) = await ThreeSilosAsync("stop");
        Task<bool>? stopping = null;
        try
        {
            var stop = new Stopwatch();
            var result = await RunLoadAsync(orders, clients, AtAcknowledgement(Orders * Steps / 3, () =>
            {
                stop.Start();
                stopping = suite.StopSiloAsync(leaving, TimeSpan.FromSeconds(60)); // SIGTERM, as Kubernetes stops a pod
            }));
            var exitedByItself = await stopping!;
            var state = await CheckAsync(orders);

            Report("graceful stop of a shop-floor silo", result, state,
                $"; {handedOver} P100 activations were on the stopping silo, which exited {stop.Elapsed.TotalSeconds:0.0} s after SIGTERM");
            Assert.True(exitedByItself, "the silo did not exit within 60 s of SIGTERM");
            Assert.Equal((Orders * Steps, 0, 0), (result.Acknowledged, state.Lost, state.Duplicated));
            Assert.Equal(0, result.FailedAttempts);
        }
        finally
        {
            if (stopping is null)
            {
                await suite.StopSiloAsync(leaving, TimeSpan.FromSeconds(30));
            }
        }
    }

    [Fact]
    public async Task A_silo_added_for_a_plant_mid_load_takes_that_plant_s_grains_and_nothing_is_lost()
    {
        var orders = await ReleaseAsync("P200", "sap");
        var clients = new[] { Client(suite.HostGrpc("shop-floor"), "mes:P200") };
        Task<SuiteFixture.ExtraSilo>? joining = null;
        try
        {
            var result = await RunLoadAsync(orders, clients, AtAcknowledgement(Orders * 2, () =>
                joining = suite.StartSiloAsync("shop-floor", new Dictionary<string, string> { ["Orleans__Plants"] = "P200" })));
            var plantSilo = await joining!;
            var moved = Stopwatch.StartNew();
            await WaitForAsync(async () =>
            {
                // Calls activate the orders the rebalancer migrated (migration moves them on their next call).
                await Task.WhenAll(orders.Select(o => clients[0].GetProductionOrderAsync(new GetProductionOrderRequest { Name = o }).ResponseAsync));
                return await ActivationsAsync(plantSilo.Rest, "P200") >= Orders;
            }, TimeSpan.FromSeconds(60), "P200's orders moving to the P200 silo");
            var state = await CheckAsync(orders);

            Report("a P200 silo added", result, state, $"; all {Orders} P200 orders on the new silo {moved.Elapsed.TotalSeconds:0.0} s after the load ended");
            Assert.Equal((Orders * Steps, 0, 0), (result.Acknowledged, state.Lost, state.Duplicated));
            Assert.Equal(0, await ActivationsAsync(suite.HostRest("shop-floor"), "P200"));
        }
        finally
        {
            if (joining is not null)
            {
                await suite.StopSiloAsync(await joining, TimeSpan.FromSeconds(30));
            }
        }
    }

    [Fact]
    public async Task With_postgresql_down_commands_fail_unavailable_promptly_and_apply_once_when_it_is_back()
    {
        // Two entry silos: every command goes through both, so each reaches its grain once from the
        // silo it lives on and once from another (a storage failure must cross silos as UNAVAILABLE).
        var other = (await pool.AtLeastAsync(suite, 1, Log))[0];
        var client = Client(suite.HostGrpc("shop-floor"), "mes");
        var entries = new[] { client, Client(other.Grpc, "mes") };
        var releasers = new[] { Client(suite.HostGrpc("shop-floor"), "odoo"), Client(other.Grpc, "odoo") };
        var orders = await ReleaseAsync("P100", "odoo", 6);
        foreach (var order in orders)
        {
            await SendAsync(client, Command(order, 0, Unique("start")));
        }

        var pauses = orders.Select(o => Command(o, 1, Unique("pause"))).ToList();
        var releases = Enumerable.Range(0, 2).Select(_ => Release(Unique("WO"))).ToList();
        var refusals = new List<(StatusCode Status, TimeSpan Took, string Detail)>();
        using var healthChannel = GrpcChannel.ForAddress(suite.HostGrpc("shop-floor"));
        var health = new Health.HealthClient(healthChannel);
        async Task<HealthCheckResponse.Types.ServingStatus> HealthAsync(string service) =>
            (await health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(5))).Status;
        var aliveWhileDown = HealthCheckResponse.Types.ServingStatus.Unknown;
        var down = Stopwatch.StartNew();
        await Manufacturing.Testing.PostgresServer.StopServerAsync();
        try
        {
            // Active grains (their state in memory: the write fails) and releases (the activation's read
            // fails), for at least OutageLength: past a membership table refresh, with the silos unable
            // to write their heartbeats.
            // Probes: not ready (every check) while the database is away, but alive (liveness checks nothing).
            await WaitForAsync(async () => await HealthAsync("") == HealthCheckResponse.Types.ServingStatus.NotServing,
                TimeSpan.FromSeconds(10), "gRPC health turning NOT_SERVING without PostgreSQL");
            aliveWhileDown = await HealthAsync("liveness");

            for (var round = 0; round < 200 && (round < 2 || down.Elapsed < OutageLength); round++)
            {
                foreach (var pause in pauses)
                {
                    refusals.Add(await RefusalAsync(() => SendAsync(entries[round % 2], pause)));
                }

                await Task.Delay(250); // the plant's pace while the database is away
            }

            foreach (var releaser in releasers)
            {
                foreach (var release in releases)
                {
                    refusals.Add(await RefusalAsync(() => releaser.ReleaseProductionOrderAsync(release, deadline: DateTime.UtcNow.AddSeconds(15)).ResponseAsync));
                }
            }
        }
        finally
        {
            await Manufacturing.Testing.PostgresServer.StartServerAsync();
        }

        var restarted = down.Elapsed;
        var recovered = Stopwatch.StartNew();
        var retries = 0;
        async Task RetryAsync(Func<Task> call) => await WaitForAsync(async () =>
        {
            try
            {
                await call(); // the same message id as the refused attempts
                return true;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
            {
                retries++;
                return false;
            }
        }, TimeSpan.FromSeconds(60), "a command succeeding after PostgreSQL came back");
        foreach (var pause in pauses)
        {
            await RetryAsync(() => SendAsync(client, pause));
        }

        // A refused release wrote nothing: its retry creates the order (no ALREADY_EXISTS).
        foreach (var release in releases)
        {
            await RetryAsync(() => releasers[0].ReleaseProductionOrderAsync(release).ResponseAsync);
        }

        var recovery = recovered.Elapsed;
        foreach (var pause in pauses)
        {
            Assert.True(await SendAsync(client, pause), "a repeated message id is answered as a duplicate");
        }

        var versions = await Task.WhenAll(orders.Select(async o =>
            (await client.GetProductionOrderAsync(new GetProductionOrderRequest { Name = o })).ProductionOrder.Version));
        await suite.WaitUntilGatewayHealthyAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, aliveWhileDown);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await HealthAsync(""));

        Log($"PostgreSQL down {restarted.TotalSeconds:0.0} s: {refusals.Count} commands refused with "
            + $"{string.Join(", ", refusals.Select(r => r.Status).Distinct())} in at most {refusals.Max(r => r.Took).TotalSeconds:0.0} s each; "
            + $"after the restart every retry applied within {recovery.TotalSeconds:0.0} s ({retries} retries still UNAVAILABLE), once each; "
            + $"meanwhile gRPC health was NOT_SERVING (readiness) and {aliveWhileDown.ToString().ToUpperInvariant()} for \"liveness\"");
        Assert.True(refusals.All(r => r.Status == StatusCode.Unavailable),
            $"refusals: {string.Join(" | ", refusals.Where(r => r.Status != StatusCode.Unavailable).Take(5))}{Environment.NewLine}shop-floor host:{Environment.NewLine}{suite.Host("shop-floor").RecentOutput}");
        Assert.All(refusals, r => Assert.True(r.Took < TimeSpan.FromSeconds(20), $"a refusal took {r.Took.TotalSeconds:0.0} s"));
        Assert.All(versions, v => Assert.Equal(3, v)); // release, start, one pause: the refused attempt wrote nothing, the retry once
    }

    /// <summary>Runs a call expected to fail; its status and how long it took to fail.</summary>
    private static async Task<(StatusCode Status, TimeSpan Took, string Detail)> RefusalAsync(Func<Task> call)
    {
        var took = Stopwatch.StartNew();
        try
        {
            await call();
            return (StatusCode.OK, took.Elapsed, "");
        }
        catch (RpcException e)
        {
            return (e.StatusCode, took.Elapsed, e.Status.Detail);
        }
    }
}
