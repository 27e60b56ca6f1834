using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Manufacturing.Common.V1;
using Manufacturing.ShopFloor.V1;

namespace Manufacturing.LoadTest;

/// <summary>
/// Plant event ingestion, end to end: N simulated plant streams (each its own source) × M work
/// centers (one released production order each) send execution events (a start, then pause/resume
/// cycles, each a real state change) over StreamPlantEvents, batched B events per message with W
/// messages in flight per stream. Per target and round it prints events/s acknowledged, p50/p99
/// acknowledgement latency (send of a message to its acks), and the exactly-once check: the events
/// acknowledged as applied against the versions the stored orders reached (read back afterwards),
/// so lost = acked − stored and duplicated = stored − acked. Targets alternate round by round.
/// An edge agent target (<c>--agent name=http://127.0.0.1:5090</c>, an agent forwarding to the first
/// <c>--target</c>) gets the same events posted to its local intake, W posts in flight per plant;
/// its events/s counts until the agent has forwarded all of them (its backlog for the run's sources
/// is empty), its latency is the post's (the event durably queued at the plant), and stored is
/// checked the same way.
/// </summary>
internal static class IngestBenchmark
{
    private const string Transport = "transport";

    private sealed record Round(double EventsPerSecond, double P50Ms, double P99Ms, long Acked, long Stored, long Refused);

    public static async Task<int> RunAsync(string[] args)
    {
        var targets = new List<(string Name, Uri Address)>();
        var agents = new List<(string Name, Uri Address)>();
        int plants = 4, workCenters = 25, batch = 100, window = 8, seconds = 10, rounds = 3;
        var ceiling = false;
        var erpToken = Environment.GetEnvironmentVariable("MFG_ERP_TOKEN") ?? "";
        var mesToken = Environment.GetEnvironmentVariable("MFG_TOKEN") ?? "";
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Number() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--target":
                    var parts = Next().Split('=', 2);
                    targets.Add((parts[0], new Uri(parts[1])));
                    break;
                case "--agent":
                    var agent = Next().Split('=', 2);
                    agents.Add((agent[0], new Uri(agent[1])));
                    break;
                case "--erp-token": erpToken = Next(); break;
                case "--token": mesToken = Next(); break;
                case "--plants": plants = Number(); break;
                case "--work-centers": workCenters = Number(); break;
                case "--batch": batch = Number(); break;
                case "--window": window = Number(); break;
                case "--seconds": seconds = Number(); break;
                case "--rounds": rounds = Number(); break;
                case "--transport-ceiling": ceiling = true; break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}");
                    return 2;
            }
        }

        if (targets.Count == 0 || erpToken.Length == 0 || mesToken.Length == 0 || plants is < 1 or > 64 || workCenters is < 1 or > 1000
            || batch is < 1 or > 1000 || window is < 1 or > 256 || seconds is < 1 or > 300 || rounds is < 1 or > 20)
        {
            Console.Error.WriteLine("usage: ingest --target name=http://127.0.0.1:port [...] [--agent name=http://127.0.0.1:5090] --erp-token JWT(odoo write) --token JWT(mes:P100 write) " +
                "[--plants 1..64] [--work-centers 1..1000] [--batch 1..1000] [--window 1..256] [--seconds 1..300] [--rounds 1..20] [--transport-ceiling]");
            return 2;
        }

        foreach (var (name, address) in targets.Concat(agents))
        {
            if (!IPAddress.TryParse(address.Host, out var ip) ? address.Host != "localhost" : !IPAddress.IsLoopback(ip))
            {
                Console.Error.WriteLine($"{name}: {address} is not a loopback address; this tool only loads this machine.");
                return 2;
            }
        }

        // The transport's ceiling: the same stream against an in-process server that stores nothing.
        (IAsyncDisposable? Server, Uri? Address) started = ceiling ? await TransportCeiling.StartAsync() : (null, null);
        await using var transport = started.Server;
        if (started.Address is { } transportAddress)
        {
            targets.Add((Transport, transportAddress));
        }

        var channels = targets.ToDictionary(t => t.Name, t => GrpcChannel.ForAddress(t.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 }));
        var erp = new Metadata { { "authorization", $"Bearer {erpToken}" } };
        var mes = new Metadata { { "authorization", $"Bearer {mesToken}" } };
        var run = Guid.NewGuid().ToString("N")[..8];
        Console.WriteLine($"StreamPlantEvents: {plants} plant streams × {workCenters} work centers, {batch} events/message, {window} messages in flight per stream, " +
            $"{seconds} s per target per round, {rounds} rounds, {Environment.ProcessorCount} cores");

        using var intake = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var grpcTargets = targets.Count;
        targets.InsertRange(grpcTargets - (started.Address is null ? 0 : 1), agents);
        var results = targets.ToDictionary(t => t.Name, _ => new List<Round>());
        var failed = false;
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var (name, address) in targets)
            {
                var isAgent = agents.Any(a => a.Name == name);
                var client = new ShopFloorService.ShopFloorServiceClient(channels[isAgent ? targets[0].Name : name]);
                var tag = $"{run}{name[0]}{round}";
                var result = isAgent
                    ? await MeasureAgentAsync(intake, address, client, erp, tag, plants, workCenters, batch, window, TimeSpan.FromSeconds(seconds))
                    : await MeasureAsync(client, erp, mes, tag, plants, workCenters, batch, window, TimeSpan.FromSeconds(seconds), verify: name != Transport);
                results[name].Add(result);
                var lost = result.Acked - result.Stored;
                failed |= lost != 0 || result.Refused != 0;
                Console.WriteLine($"round {round} {name,-10} {result.EventsPerSecond,9:F0} events/s  p50 {result.P50Ms,8:F1} ms  p99 {result.P99Ms,8:F1} ms  " +
                    (name == Transport ? $"acked {result.Acked}  (stores nothing)"
                        : $"acked {result.Acked}  stored {result.Stored}  lost {Math.Max(lost, 0)}  duplicated {Math.Max(-lost, 0)}  refused {result.Refused}"));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| target | events/s (median) | p50 ms (median) | p99 ms (median) | events/s ratio to {targets[^1].Name} | acked = stored in every round |");
        Console.WriteLine("|---|---|---|---|---|---|");
        var baseline = Bench.Median(results[targets[^1].Name].Select(r => r.EventsPerSecond));
        foreach (var (name, _) in targets)
        {
            var eps = Bench.Median(results[name].Select(r => r.EventsPerSecond));
            Console.WriteLine($"| {name} | {eps:F0} | {Bench.Median(results[name].Select(r => r.P50Ms)):F1} | {Bench.Median(results[name].Select(r => r.P99Ms)):F1} | {eps / baseline:F2} | " +
                $"{(name == Transport ? "n/a (stores nothing)" : results[name].All(r => r.Acked == r.Stored) ? "yes" : "NO")} |");
        }

        return failed ? 1 : 0;
    }

    private static async Task<string[][]> ReleaseAsync(ShopFloorService.ShopFloorServiceClient client, Metadata erp, string tag, int plants, int workCenters)
    {
        // One released order per work center of each simulated plant, under P100 (whose ERP is Odoo).
        var orders = new string[plants][];
        for (var p = 0; p < plants; p++)
        {
            orders[p] = new string[workCenters];
            var releases = Enumerable.Range(0, workCenters).Select(async w =>
            {
                var id = $"IN{tag}-{p}-{w}";
                var response = await client.ReleaseProductionOrderAsync(Bench.Release(id), erp);
                orders[p][w] = response.ProductionOrder.Name;
            });
            await Task.WhenAll(releases);
        }

        return orders;
    }

    // Exactly once: every applied event raised its order's version by one (after the release's 1).
    private static async Task<long> StoredAsync(ShopFloorService.ShopFloorServiceClient client, Metadata erp, IEnumerable<string> orders)
    {
        long stored = 0;
        foreach (var name in orders)
        {
            stored += (await client.GetProductionOrderAsync(new GetProductionOrderRequest { Name = name }, erp)).ProductionOrder.Version - 1;
        }

        return stored;
    }

    private static Round Summarise(IEnumerable<double> latencies, long events, double seconds, long acked, long stored, long refused)
    {
        var sorted = latencies.Order().ToArray();
        double Percentile(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        return new Round(events / seconds, Percentile(0.50), Percentile(0.99), acked, stored, refused);
    }

    private static async Task<Round> MeasureAgentAsync(HttpClient intake, Uri agent, ShopFloorService.ShopFloorServiceClient client, Metadata erp, string tag,
        int plants, int workCenters, int batch, int window, TimeSpan duration)
    {
        var orders = await ReleaseAsync(client, erp, tag, plants, workCenters);
        var latencies = new ConcurrentBag<double>();
        long posted = 0;
        var json = new Google.Protobuf.JsonFormatter(Google.Protobuf.JsonFormatter.Settings.Default);
        var clock = Stopwatch.StartNew();
        // A source's posts are ordered as the agent receives them, so each of a plant's W posts in flight
        // belongs to its own source (a lane), whose orders no other lane touches.
        var lanes = Enumerable.Range(0, plants)
            .SelectMany(p => Enumerable.Range(0, Math.Min(window, workCenters)).Select(k => (
                Source: $"bench-{tag}-{p}-{k}",
                Orders: orders[p].Where((_, i) => i % window == k).ToArray())))
            .ToList();
        var quarantinedBefore = await QuarantinedAsync(intake, agent);
        var posting = lanes.Select(async lane =>
        {
            var events = new EventCycle(lane.Orders, lane.Source);
            while (clock.Elapsed < duration)
            {
                var message = new PublishPlantEventsRequest();
                events.Fill(message.Events, batch, withSequence: false);
                var at = Stopwatch.GetTimestamp();
                using var response = await intake.PostAsync(new Uri(agent, $"/v1/sources/{lane.Source}/events"),
                    new StringContent(json.Format(message), System.Text.Encoding.UTF8, "application/json"));
                response.EnsureSuccessStatusCode();
                latencies.Add((Stopwatch.GetTimestamp() - at) * 1000.0 / Stopwatch.Frequency);
                Interlocked.Add(ref posted, message.Events.Count);
            }
        }).ToArray();
        await Task.WhenAll(posting);

        // Forwarded: the agent's backlog holds nothing more of this run's sources (bounded wait).
        var sources = lanes.Select(l => $"plants/P100/sources/{l.Source}").ToHashSet();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(5))
        {
            using var backlog = System.Text.Json.JsonDocument.Parse(await intake.GetStringAsync(new Uri(agent, "/v1/backlog")));
            if (!backlog.RootElement.GetProperty("bySource").EnumerateObject().Any(s => sources.Contains(s.Name) && s.Value.GetInt64() > 0))
            {
                break;
            }

            await Task.Delay(20);
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        var stored = await StoredAsync(client, erp, orders.SelectMany(o => o));
        var quarantined = await QuarantinedAsync(intake, agent) - quarantinedBefore;
        return Summarise(latencies, posted, elapsed, posted - quarantined, stored, quarantined);
    }

    private static async Task<long> QuarantinedAsync(HttpClient intake, Uri agent)
    {
        using var backlog = System.Text.Json.JsonDocument.Parse(await intake.GetStringAsync(new Uri(agent, "/v1/backlog")));
        return backlog.RootElement.GetProperty("quarantined").GetInt64();
    }

    private static async Task<Round> MeasureAsync(ShopFloorService.ShopFloorServiceClient client, Metadata erp, Metadata mes, string tag,
        int plants, int workCenters, int batch, int window, TimeSpan duration, bool verify)
    {
        var orders = await ReleaseAsync(client, erp, tag, plants, workCenters);
        var latencies = new ConcurrentBag<double>();
        long acked = 0, refused = 0;
        var stop = Stopwatch.StartNew();
        var clock = Stopwatch.StartNew();
        var streams = Enumerable.Range(0, plants).Select(async p =>
        {
            var source = $"plants/P100/sources/bench-{tag}-{p}";
            using var call = client.StreamPlantEvents(mes, cancellationToken: new CancellationTokenSource(duration + TimeSpan.FromSeconds(60)).Token);
            using var inFlight = new SemaphoreSlim(window);
            var sentAt = new ConcurrentQueue<long>();
            var reader = Task.Run(async () =>
            {
                await foreach (var response in call.ResponseStream.ReadAllAsync())
                {
                    sentAt.TryDequeue(out var at);
                    var ms = (Stopwatch.GetTimestamp() - at) * 1000.0 / Stopwatch.Frequency;
                    foreach (var ack in response.Acks)
                    {
                        latencies.Add(ms);
                        if (ack.Status == PlantEventStatus.Accepted)
                        {
                            Interlocked.Increment(ref acked);
                        }
                        else
                        {
                            Interlocked.Increment(ref refused);
                        }
                    }

                    inFlight.Release();
                }
            });

            var events = new EventCycle(orders[p], $"{tag}-{p}");
            while (stop.Elapsed < duration)
            {
                await inFlight.WaitAsync();
                var message = new StreamPlantEventsRequest { Source = source };
                events.Fill(message.Events, batch, withSequence: true);
                sentAt.Enqueue(Stopwatch.GetTimestamp());
                await call.RequestStream.WriteAsync(message);
            }

            await call.RequestStream.CompleteAsync();
            await reader;
        }).ToArray();
        await Task.WhenAll(streams);
        var elapsed = clock.Elapsed.TotalSeconds;

        var stored = verify ? await StoredAsync(client, erp, orders.SelectMany(o => o)) : acked;
        return Summarise(latencies, acked + refused, elapsed, acked, stored, refused);
    }

    /// <summary>One simulated plant's events: a start per order, then pause/resume cycles, each a real state change.</summary>
    private sealed class EventCycle(string[] orders, string prefix)
    {
        private readonly bool[] _paused = new bool[orders.Length];
        private readonly bool[] _started = new bool[orders.Length];
        private long _sequence;
        private int _next;

        public void Fill(ICollection<PlantEvent> events, int count, bool withSequence)
        {
            for (var e = 0; e < count; e++)
            {
                var w = _next++ % orders.Length;
                _sequence++;
                var metadata = new CommandMetadata { MessageId = $"{prefix}-{_sequence}", OccurredAt = Timestamp.FromDateTime(DateTime.UtcNow) };
                var plantEvent = new PlantEvent { Sequence = withSequence ? _sequence : 0 };
                if (!_started[w])
                {
                    _started[w] = true;
                    plantEvent.StartOperation = new StartOperationRequest { ProductionOrder = orders[w], OperationId = "0010", Metadata = metadata };
                }
                else if (!_paused[w])
                {
                    _paused[w] = true;
                    plantEvent.PauseOperation = new PauseOperationRequest { ProductionOrder = orders[w], OperationId = "0010", Reason = "MICROSTOP", Metadata = metadata };
                }
                else
                {
                    _paused[w] = false;
                    plantEvent.ResumeOperation = new ResumeOperationRequest { ProductionOrder = orders[w], OperationId = "0010", Metadata = metadata };
                }

                events.Add(plantEvent);
            }
        }
    }
}
