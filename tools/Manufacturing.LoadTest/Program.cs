using System.Diagnostics;
using System.Globalization;
using System.Net;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Manufacturing.Common.V1;
using Manufacturing.LoadTest;
using Manufacturing.ShopFloor.V1;

// Manufacturing.LoadTest --target gateway=http://127.0.0.1:8081 --target direct=http://127.0.0.1:5141
//                        --token "$(tools/token odoo read write)"
//                        [--concurrency 16] [--seconds 10] [--rounds 5] [--warmup 3]
// The token (an odoo token with read and write: it releases a P100 order, then reads it) goes on
// every call; MFG_TOKEN is read when --token is not given.
// Releases one production order through the first target, then measures GetProductionOrder against
// each target in turn, round after round (so machine noise hits every target alike), and prints
// requests per second and p50/p99 latency per round and the medians over the rounds, with each
// target's ratio to the last one. Loopback targets only; every run is bounded in time.
// Manufacturing.LoadTest token-validation [--seconds 3] [--rounds 5]: the per-call cost of checking a
// bearer token (see TokenValidationBenchmark).
// Manufacturing.LoadTest ingest --target gateway=… --target direct=… [--agent agent=…] --erp-token JWT --token JWT [...]: plant event
// ingestion over StreamPlantEvents, or through an edge agent (see IngestBenchmark).
if (args.FirstOrDefault() == "ingest")
{
    return await Manufacturing.LoadTest.IngestBenchmark.RunAsync(args[1..]);
}

if (args.FirstOrDefault() == "token-validation")
{
    return await Manufacturing.LoadTest.TokenValidationBenchmark.RunAsync(args[1..]);
}

var targets = new List<(string Name, Uri Address)>();
int concurrency = 16, seconds = 10, rounds = 5, warmup = 3;
var token = Environment.GetEnvironmentVariable("MFG_TOKEN") ?? "";
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--target":
            var parts = Next().Split('=', 2);
            targets.Add((parts[0], new Uri(parts[1])));
            break;
        case "--token": token = Next(); break;
        case "--concurrency": concurrency = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seconds": seconds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--warmup": warmup = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}");
            return 2;
    }
}

if (targets.Count == 0 || token.Length == 0 || concurrency < 1 || seconds is < 1 or > 300 || rounds is < 1 or > 50)
{
    Console.Error.WriteLine("usage: --target name=http://127.0.0.1:port [...] --token JWT [--concurrency 1..] [--seconds 1..300] [--rounds 1..50] [--warmup s]");
    return 2;
}

foreach (var (name, address) in targets)
{
    if (!IPAddress.TryParse(address.Host, out var ip) ? address.Host != "localhost" : !IPAddress.IsLoopback(ip))
    {
        Console.Error.WriteLine($"{name}: {address} is not a loopback address; this tool only loads this machine.");
        return 2;
    }
}

var channels = targets.ToDictionary(t => t.Name, t => GrpcChannel.ForAddress(t.Address));
var authorization = new Metadata { { "authorization", $"Bearer {token}" } };
var orderId = $"BENCH-{Guid.NewGuid():N}"[..18];
var orderName = $"plants/P100/productionOrders/{orderId}";
await new ShopFloorService.ShopFloorServiceClient(channels[targets[0].Name]).ReleaseProductionOrderAsync(Bench.Release(orderId), authorization);

Console.WriteLine($"GetProductionOrder {orderName}: {concurrency} concurrent callers, {seconds} s per target per round, {rounds} rounds, {Environment.ProcessorCount} cores");
foreach (var (name, _) in targets)
{
    await Measure(channels[name], TimeSpan.FromSeconds(warmup));
}

var results = targets.ToDictionary(t => t.Name, _ => new List<Result>());
for (var round = 1; round <= rounds; round++)
{
    foreach (var (name, _) in targets)
    {
        var result = await Measure(channels[name], TimeSpan.FromSeconds(seconds));
        results[name].Add(result);
        Console.WriteLine($"round {round} {name,-10} {result.PerSecond,9:F0} req/s  p50 {result.P50Ms,7:F3} ms  p99 {result.P99Ms,7:F3} ms  errors {result.Errors}");
    }
}

Console.WriteLine();
Console.WriteLine("| target | req/s (median) | p50 ms (median) | p99 ms (median) | req/s ratio to " + targets[^1].Name + " |");
Console.WriteLine("|---|---|---|---|---|");
var baseline = Bench.Median(results[targets[^1].Name].Select(r => r.PerSecond));
foreach (var (name, _) in targets)
{
    var rps = Bench.Median(results[name].Select(r => r.PerSecond));
    Console.WriteLine($"| {name} | {rps:F0} | {Bench.Median(results[name].Select(r => r.P50Ms)):F3} | {Bench.Median(results[name].Select(r => r.P99Ms)):F3} | {rps / baseline:F2} |");
}

return results.Values.SelectMany(r => r).Any(r => r.Errors > 0) ? 1 : 0;

async Task<Result> Measure(GrpcChannel channel, TimeSpan duration)
{
    var client = new ShopFloorService.ShopFloorServiceClient(channel);
    var request = new GetProductionOrderRequest { Name = orderName };
    var stop = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(async _ =>
    {
        var latencies = new List<long>(100_000);
        var errors = 0;
        while (stop.Elapsed < duration)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                await client.GetProductionOrderAsync(request, authorization, deadline: DateTime.UtcNow.AddSeconds(10));
                latencies.Add(Stopwatch.GetTimestamp() - start);
            }
            catch (RpcException)
            {
                errors++;
            }
        }

        return (latencies, errors);
    }).ToArray();
    var done = await Task.WhenAll(workers);
    var elapsed = stop.Elapsed.TotalSeconds;
    var all = done.SelectMany(d => d.latencies).Order().ToArray();
    double Percentile(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(p * all.Length))] * 1000.0 / Stopwatch.Frequency;
    return new Result(all.Length / elapsed, Percentile(0.50), Percentile(0.99), done.Sum(d => d.errors));
}

internal sealed record Result(double PerSecond, double P50Ms, double P99Ms, int Errors);
