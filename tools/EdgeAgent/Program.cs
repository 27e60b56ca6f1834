using Google.Protobuf;
using Manufacturing.EdgeAgent;
using Manufacturing.EdgeAgent.Sparkplug;
using Manufacturing.ShopFloor.V1;

// The edge agent: a plant-side worker. Plant systems post events to its local HTTP endpoint; each is
// stored in the local durable queue (SQLite, fsync'd) before the post is answered, then forwarded to
// the gateway's plant event stream and removed only once acknowledged. See README.md, "Edge agent".
var builder = WebApplication.CreateBuilder(args);
var options = builder.Configuration.GetSection("EdgeAgent").Get<EdgeAgentOptions>() ?? new EdgeAgentOptions();
options.Validate();
var queue = await EdgeQueue.OpenAsync(options.Database);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(queue);
builder.Services.AddSingleton<Forwarder>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<Forwarder>());
if (options.Sparkplug is not null)
{
    // Plants that publish Sparkplug B: the agent listens to the broker as a host application.
    builder.Services.AddSingleton<SparkplugListener>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<SparkplugListener>());
}

var app = builder.Build();
var json = new JsonFormatter(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

// Takes a batch of events of one source: {"events": [PlantEvent, ...]} in the v1 JSON form (their
// sequence is assigned here). Answers 202 with the sequences once they are on disk.
app.MapPost("/v1/sources/{source}/events", async (string source, HttpRequest request, CancellationToken cancellationToken) =>
{
    if (!System.Text.RegularExpressions.Regex.IsMatch(source, "^[A-Za-z0-9._-]{1,64}$"))
    {
        return Results.Problem("The source must be 1 to 64 characters from A-Z, a-z, 0-9 and . _ -", statusCode: 400);
    }

    PublishPlantEventsRequest batch;
    try
    {
        using var reader = new StreamReader(request.Body);
        batch = JsonParser.Default.Parse<PublishPlantEventsRequest>(await reader.ReadToEndAsync(cancellationToken));
    }
    catch (InvalidProtocolBufferException e)
    {
        return Results.Problem($"The body is not a batch of plant events: {e.Message}", statusCode: 400);
    }

    if (batch.Events.Count is 0 or > 1000 || batch.Events.Any(e => e.EventCase == PlantEvent.EventOneofCase.None))
    {
        return Results.Problem("Send 1 to 1000 events, each with one event payload.", statusCode: 400);
    }

    var sequences = await queue.EnqueueAsync($"plants/{options.Plant}/sources/{source}", batch.Events, cancellationToken: cancellationToken);
    return Results.Json(new { source = $"plants/{options.Plant}/sources/{source}", sequences }, statusCode: 202);
});

// What waits to be forwarded, per source, and how much is in quarantine.
app.MapGet("/v1/backlog", async (Forwarder forwarder, CancellationToken cancellationToken) =>
{
    var (pending, quarantined) = await queue.BacklogAsync(cancellationToken);
    return Results.Json(new { pending = pending.Values.Sum(), bySource = pending, quarantined, delivered = forwarder.Delivered });
});

// The quarantine: list, export (JSON lines, for a ticket or another system), retry, discard.
app.MapGet("/v1/quarantine", async (CancellationToken cancellationToken) =>
    Results.Json((await queue.QuarantineAsync(cancellationToken)).Select(q => new
    {
        q.Id, q.Source, q.Sequence, q.MessageId, q.StatusCode, q.Reason, q.QuarantinedAt, @event = json.Format(q.Event),
    })));
app.MapGet("/v1/quarantine:export", async (HttpResponse response, CancellationToken cancellationToken) =>
{
    response.ContentType = "application/x-ndjson";
    foreach (var q in await queue.QuarantineAsync(cancellationToken))
    {
        await response.WriteAsync(System.Text.Json.JsonSerializer.Serialize(new
        {
            q.Id, q.Source, q.Sequence, q.MessageId, q.StatusCode, q.Reason, q.QuarantinedAt, @event = json.Format(q.Event),
        }) + "\n", cancellationToken);
    }
});
app.MapPost("/v1/quarantine/{id:long}:retry", async (long id, CancellationToken cancellationToken) =>
    await queue.RetryAsync(id, cancellationToken) ? Results.Accepted() : Results.NotFound());
app.MapDelete("/v1/quarantine/{id:long}", async (long id, string? reason, ILogger<Program> logger, CancellationToken cancellationToken) =>
{
    if (string.IsNullOrWhiteSpace(reason))
    {
        return Results.Problem("Say why the event is discarded: ?reason=...", statusCode: 400);
    }

    if (!await queue.DiscardAsync(id, cancellationToken))
    {
        return Results.NotFound();
    }

    logger.LogWarning("Quarantined event {Id} discarded: {Reason}", id, reason);
    return Results.NoContent();
});
// The Sparkplug host application: the broker connection, the edge nodes (online, waiting for a
// rebirth) and the counters of messages, rebirth requests, undecodable payloads and late states.
app.MapGet("/v1/sparkplug", async (IServiceProvider services, CancellationToken cancellationToken) =>
    services.GetService<SparkplugListener>() is { } listener
        ? Results.Json(await listener.StatusAsync(cancellationToken))
        : Results.Problem("Sparkplug is not configured (EdgeAgent__Sparkplug__Broker).", statusCode: 404));
app.MapGet("/healthz", () => Results.Ok("ok"));

app.Lifetime.ApplicationStopped.Register(() => queue.DisposeAsync().AsTask().GetAwaiter().GetResult());
app.Run();

/// <summary>The agent's entry point (a type for logging categories).</summary>
public partial class Program;
