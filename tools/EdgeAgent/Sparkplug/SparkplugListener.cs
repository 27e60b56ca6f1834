using System.Buffers;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Manufacturing.EdgeAgent.Sparkplug.Protocol;
using Manufacturing.ShopFloor.V1;
using MQTTnet;
using MQTTnet.Protocol;
using Polly;
using Polly.Retry;

namespace Manufacturing.EdgeAgent.Sparkplug;

/// <summary>The agent's Sparkplug B settings (configuration section <c>EdgeAgent:Sparkplug</c>); absent, the agent does not connect to MQTT.</summary>
public sealed record SparkplugOptions
{
    /// <summary>The MQTT broker: <c>mqtt://host:1883</c>, or <c>mqtts://host:8883</c> for TLS. Required.</summary>
    public string Broker { get; init; } = "";

    /// <summary>The MQTT client id. Default <c>edge-agent-{plant}</c>.</summary>
    public string? ClientId { get; init; }

    /// <summary>The broker user, when it requires one.</summary>
    public string? Username { get; init; }

    /// <summary>The broker password.</summary>
    public string? Password { get; init; }

    /// <summary>The Sparkplug groups to listen to. Empty: every group on the broker.</summary>
    public List<string> Groups { get; init; } = [];

    /// <summary>
    /// The Sparkplug host application id. When set, the agent publishes its online state, retained, to
    /// <c>spBv1.0/STATE/{HostId}</c> (and the broker publishes it offline when the agent goes away), so
    /// edge nodes configured with this primary host store and forward while it is offline.
    /// </summary>
    public string? HostId { get; init; }

    /// <summary>The shortest time between two rebirth requests to one edge node. Default 5 s.</summary>
    public TimeSpan RebirthInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Which metrics become which work center's telemetry.</summary>
    public List<SparkplugMetricMap> Metrics { get; init; } = [];

    /// <summary>Checks the settings; throws naming what to set.</summary>
    public void Validate()
    {
        if (!Uri.TryCreate(Broker, UriKind.Absolute, out var broker) || broker.Scheme is not ("mqtt" or "mqtts"))
        {
            throw new InvalidOperationException("Set EdgeAgent__Sparkplug__Broker to the MQTT broker (mqtt://host:1883 or mqtts://host:8883).");
        }

        if (Groups.Any(g => g.Length == 0 || g.IndexOfAny(['/', '+', '#']) >= 0))
        {
            throw new InvalidOperationException("EdgeAgent__Sparkplug__Groups: a group id is not empty and has no '/', '+' or '#'.");
        }

        foreach (var (map, i) in Metrics.Select((m, i) => (m, i)))
        {
            var at = $"EdgeAgent__Sparkplug__Metrics__{i}";
            if (map.Metric.Split('/').Length < 3)
            {
                throw new InvalidOperationException($"{at}__Metric must be a metric path: {{group}}/{{node}}/{{metric}} or {{group}}/{{node}}/{{device}}/{{metric}}.");
            }

            if (!Regex.IsMatch(map.WorkCenter, "^[A-Za-z0-9_-]{1,32}$"))
            {
                throw new InvalidOperationException($"{at}__WorkCenter must be a work center id (1 to 32 of A-Z, a-z, 0-9, _ and -).");
            }

            if (map.Signal is not ("good-total" or "scrap-total" or "good-delta" or "scrap-delta" or "state"))
            {
                throw new InvalidOperationException($"{at}__Signal must be good-total, scrap-total, good-delta, scrap-delta or state.");
            }

            foreach (var (value, state) in map.States)
            {
                if (!System.Enum.TryParse<MachineState>(state, ignoreCase: true, out var known) || known == MachineState.Unspecified || !System.Enum.IsDefined(known))
                {
                    throw new InvalidOperationException($"{at}__States__{value} must be RUNNING, IDLE or DOWN.");
                }
            }
        }
    }
}

/// <summary>
/// The agent as a Sparkplug B host application: subscribes to the edge nodes' births, data and
/// deaths on the MQTT broker, checks them (<see cref="SparkplugHost"/>: sequence, aliases, births),
/// asks a node for a rebirth (NCMD <c>Node Control/Rebirth</c>) when its data cannot be trusted, and
/// turns the mapped metrics into machine signals (<see cref="SparkplugTranslator"/>) that go into the
/// local queue, durably, before the next message is read; the forwarder takes them from there.
/// Reconnects to the broker with exponential backoff and jitter.
/// </summary>
public sealed partial class SparkplugListener(EdgeQueue queue, EdgeAgentOptions options, ILogger<SparkplugListener> logger) : BackgroundService
{
    private readonly SparkplugOptions _settings = options.Sparkplug ?? throw new InvalidOperationException("Sparkplug is not configured.");
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string Group, string Node), DateTimeOffset> _rebirths = [];
    private SparkplugHost _host = new();
    private SparkplugTranslator _translator = new(options.Plant, []);
    private long _messages;
    private long _rebirthsRequested;
    private long _undecodable;
    private string? _lastRebirthReason;
    private volatile bool _connected;

    private ResiliencePipeline Reconnect => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = options.MaxBackoff,
            OnRetry = args =>
            {
                LogBrokerRetry(logger, _settings.Broker, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception?.Message ?? "");
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    /// <summary>What the listener sees now: the broker connection, the edge nodes, and its counters.</summary>
    public async Task<object> StatusAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return new
            {
                broker = _settings.Broker,
                connected = _connected,
                nodes = _host.Nodes,
                messages = Interlocked.Read(ref _messages),
                rebirthsRequested = Interlocked.Read(ref _rebirthsRequested),
                lastRebirthReason = _lastRebirthReason,
                undecodable = Interlocked.Read(ref _undecodable),
                lateStates = _translator.LateStates,
            };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A connection that was up starts the backoff afresh when it drops.
                await Reconnect.ExecuteAsync(ListenAsync, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    private async ValueTask ListenAsync(CancellationToken stoppingToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var lost = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            lost.TrySetResult(e.Exception?.Message ?? e.Reason.ToString());
            return Task.CompletedTask;
        };
        client.ApplicationMessageReceivedAsync += e => HandleAsync(client, e, stoppingToken);

        // A new session knows no node: each one's next message asks for its births again.
        await _gate.WaitAsync(stoppingToken);
        try
        {
            _host = new SparkplugHost();
            _translator = new SparkplugTranslator(options.Plant, _settings.Metrics, await queue.CountersAsync(stoppingToken));
        }
        finally
        {
            _gate.Release();
        }

        await client.ConnectAsync(ClientOptions(), stoppingToken);
        var filters = _settings.Groups.Count == 0 ? [$"{SparkplugTopic.Namespace}/#"] : _settings.Groups.Select(g => $"{SparkplugTopic.Namespace}/{g}/#").ToList();
        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in filters)
        {
            subscribe.WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await client.SubscribeAsync(subscribe.Build(), stoppingToken);
        if (_settings.HostId is { } hostId)
        {
            await client.PublishAsync(State(hostId, online: true), stoppingToken);
        }

        _connected = true;
        LogConnected(logger, _settings.Broker, string.Join(", ", filters));
        try
        {
            var reason = await lost.Task.WaitAsync(stoppingToken);
            LogDisconnected(logger, _settings.Broker, reason);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            if (_settings.HostId is { } id && client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.PublishAsync(State(id, online: false), timeout.Token);
                await client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token);
            }

            throw;
        }
        finally
        {
            _connected = false;
        }
    }

    private MqttClientOptions ClientOptions()
    {
        var broker = new Uri(_settings.Broker);
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.IsDefaultPort || broker.Port < 0 ? (broker.Scheme == "mqtts" ? 8883 : 1883) : broker.Port)
            .WithClientId(_settings.ClientId ?? $"edge-agent-{options.Plant}")
            .WithCleanSession(true)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (broker.Scheme == "mqtts")
        {
            builder.WithTlsOptions(tls => tls.UseTls());
        }

        if (_settings.Username is { } user)
        {
            builder.WithCredentials(user, _settings.Password);
        }

        if (_settings.HostId is { } hostId)
        {
            var offline = State(hostId, online: false);
            builder.WithWillTopic(offline.Topic).WithWillPayload(offline.Payload.ToArray()).WithWillRetain(true).WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        }

        return builder.Build();
    }

    private static MqttApplicationMessage State(string hostId, bool online) => new MqttApplicationMessageBuilder()
        .WithTopic($"{SparkplugTopic.Namespace}/STATE/{hostId}")
        .WithPayload(System.Text.Json.JsonSerializer.Serialize(new { online, timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }))
        .WithRetainFlag(true)
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .Build();

    // One message at a time, in arrival order: its events are on disk before the next is looked at
    // (and, for QoS 1, before the broker gets its acknowledgement).
    private async Task HandleAsync(IMqttClient client, MqttApplicationMessageReceivedEventArgs e, CancellationToken cancellationToken)
    {
        if (SparkplugTopic.Parse(e.ApplicationMessage.Topic) is not { } topic)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            Interlocked.Increment(ref _messages);
            Payload payload;
            try
            {
                payload = Payload.Parser.ParseFrom(e.ApplicationMessage.Payload);
            }
            catch (InvalidProtocolBufferException error)
            {
                Interlocked.Increment(ref _undecodable);
                await RequestRebirthAsync(client, topic, $"undecodable {topic.Type} payload: {error.Message}", cancellationToken);
                return;
            }

            var now = DateTimeOffset.UtcNow;
            var outcome = _host.Handle(topic, payload, now);
            var events = outcome.Samples.SelectMany(_translator.Translate).ToList();
            if (outcome.Died)
            {
                // An NDEATH is usually the broker sending the node's last will, whose timestamp is when the node
                // connected: the death is dated when it arrives. A DDEATH is sent by the node itself.
                var at = topic.Type == "DDEATH" && payload.HasTimestamp ? DateTimeOffset.FromUnixTimeMilliseconds((long)payload.Timestamp) : now;
                events.AddRange(_translator.Died(topic.Group, topic.Node, topic.Type == "DDEATH" ? topic.Device : null, at, topic.Type));
                LogDied(logger, topic.Type, topic.Group, topic.Node, topic.Device ?? "");
            }

            var counters = _translator.TakeCounterChanges();
            if (events.Count > 0 || counters.Count > 0)
            {
                try
                {
                    await queue.EnqueueAsync($"plants/{options.Plant}/sources/{SparkplugTranslator.SourceOf(topic.Group, topic.Node)}", events, counters, cancellationToken);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    // Not stored: the counters go back to what is on disk, and the node is asked for its current values.
                    LogNotStored(logger, error, topic.Group, topic.Node);
                    _translator = new SparkplugTranslator(options.Plant, _settings.Metrics, await queue.CountersAsync(cancellationToken));
                    await RequestRebirthAsync(client, topic, "the agent could not store its data", cancellationToken);
                    return;
                }
            }

            if (outcome.RebirthReason is { } reason)
            {
                await RequestRebirthAsync(client, topic, reason, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RequestRebirthAsync(IMqttClient client, SparkplugTopic topic, string reason, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        if (_rebirths.TryGetValue((topic.Group, topic.Node), out var last) && now - last < _settings.RebirthInterval)
        {
            return;
        }

        _rebirths[(topic.Group, topic.Node)] = now;
        var command = new Payload { Timestamp = (ulong)now.ToUnixTimeMilliseconds() };
        command.Metrics.Add(new Payload.Types.Metric
        {
            Name = SparkplugHost.RebirthMetric,
            Timestamp = (ulong)now.ToUnixTimeMilliseconds(),
            Datatype = 11, // Boolean
            BooleanValue = true,
        });
        await client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(topic.NodeCommandTopic)
            .WithPayload(command.ToByteArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce)
            .Build(), cancellationToken);
        Interlocked.Increment(ref _rebirthsRequested);
        _lastRebirthReason = $"{topic.Group}/{topic.Node}: {reason}";
        LogRebirth(logger, topic.Group, topic.Node, reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sparkplug: connected to {Broker}, listening to {Filters}")]
    private static partial void LogConnected(ILogger logger, string broker, string filters);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sparkplug: the connection to {Broker} was lost ({Reason})")]
    private static partial void LogDisconnected(ILogger logger, string broker, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sparkplug: connecting to {Broker} failed (attempt {Attempt}), next try in {Delay}: {Reason}")]
    private static partial void LogBrokerRetry(ILogger logger, string broker, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sparkplug: asked {Group}/{Node} for a rebirth: {Reason}")]
    private static partial void LogRebirth(ILogger logger, string group, string node, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sparkplug: {Type} from {Group}/{Node} {Device}: its machines are DOWN until the next birth")]
    private static partial void LogDied(ILogger logger, string type, string group, string node, string device);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sparkplug: the data of {Group}/{Node} could not be stored in the local queue")]
    private static partial void LogNotStored(ILogger logger, Exception error, string group, string node);
}
