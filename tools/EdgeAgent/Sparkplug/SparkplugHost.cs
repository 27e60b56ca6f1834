using Manufacturing.EdgeAgent.Sparkplug.Protocol;

namespace Manufacturing.EdgeAgent.Sparkplug;

/// <summary>A Sparkplug B topic: <c>spBv1.0/{group}/{type}/{edge node}[/{device}]</c>.</summary>
public sealed record SparkplugTopic(string Group, string Type, string Node, string? Device)
{
    /// <summary>The Sparkplug B namespace.</summary>
    public const string Namespace = "spBv1.0";

    /// <summary>The topic parsed, or null when it is not a Sparkplug B edge-node or device topic.</summary>
    public static SparkplugTopic? Parse(string topic)
    {
        var parts = topic.Split('/');
        return parts.Length is 4 or 5 && parts[0] == Namespace && parts[1].Length > 0 && parts[3].Length > 0
            && parts[2] is "NBIRTH" or "NDEATH" or "NDATA" or "DBIRTH" or "DDEATH" or "DDATA"
            && (parts.Length == 5) == parts[2].StartsWith('D')
            ? new SparkplugTopic(parts[1], parts[2], parts[3], parts.Length == 5 ? parts[4] : null)
            : null;
    }

    /// <summary>The topic a host application sends node commands (NCMD) to.</summary>
    public string NodeCommandTopic => $"{Namespace}/{Group}/NCMD/{Node}";
}

/// <summary>A metric value the host application accepted, named by its edge node, device and metric name.</summary>
public sealed record SparkplugSample(string Group, string Node, string? Device, string Metric, object? Value, DateTimeOffset Timestamp, bool Historical, bool Birth)
{
    /// <summary>The metric's path: <c>{group}/{node}/{metric}</c> or <c>{group}/{node}/{device}/{metric}</c>.</summary>
    public string Path => Device is null ? $"{Group}/{Node}/{Metric}" : $"{Group}/{Node}/{Device}/{Metric}";
}

/// <summary>
/// What one message yielded: accepted samples; when the node's state is in doubt, why a rebirth must
/// be requested; and whether it was an accepted death (the node, or the device of the topic, went offline).
/// </summary>
public sealed record SparkplugOutcome(IReadOnlyList<SparkplugSample> Samples, string? RebirthReason, bool Died = false)
{
    /// <summary>Nothing to do.</summary>
    public static SparkplugOutcome None { get; } = new([], null);
}

/// <summary>An edge node as the host application sees it.</summary>
public sealed record SparkplugNodeStatus(string Group, string Node, bool Online, bool AwaitingRebirth, IReadOnlyList<string> Devices);

/// <summary>
/// The host-application side of Sparkplug B for the edge nodes the agent listens to: births declare
/// a node's and its devices' metrics and aliases; data messages are accepted only in sequence
/// (0–255, wrapping) and only with known aliases; anything else (a gap, an unknown alias, data
/// before a birth) is not applied and asks for a rebirth (an NCMD with <c>Node Control/Rebirth</c>),
/// after which the node sends its births and current values again. A death takes the node (or
/// device) offline, unless its <c>bdSeq</c> shows it belongs to an earlier session.
/// </summary>
public sealed class SparkplugHost
{
    /// <summary>The metric a host sets in an NCMD to ask an edge node to send its births again.</summary>
    public const string RebirthMetric = "Node Control/Rebirth";

    private readonly Dictionary<(string Group, string Node), NodeState> _nodes = [];

    /// <summary>True while the edge node is online (born and not dead).</summary>
    public bool IsOnline(string group, string node) => _nodes.TryGetValue((group, node), out var state) && state.Online;

    /// <summary>The edge nodes seen since the agent connected: online or not, waiting for a rebirth or not, and their online devices.</summary>
    public IReadOnlyList<SparkplugNodeStatus> Nodes =>
        [.. _nodes.OrderBy(n => n.Key.Group, StringComparer.Ordinal).ThenBy(n => n.Key.Node, StringComparer.Ordinal).Select(n => new SparkplugNodeStatus(n.Key.Group, n.Key.Node, n.Value.Online, n.Value.ExpectedSeq < 0, [.. n.Value.OnlineDevices.Order(StringComparer.Ordinal)]))];

    /// <summary>Handles one message of an edge node or device.</summary>
    public SparkplugOutcome Handle(SparkplugTopic topic, Payload payload, DateTimeOffset receivedAt)
    {
        var key = (topic.Group, topic.Node);
        if (topic.Type == "NBIRTH")
        {
            var born = new NodeState { Online = true, ExpectedSeq = Next(payload.Seq), BdSeq = BdSeq(payload) };
            _nodes[key] = born;
            return new SparkplugOutcome(Declare(born.Aliases, topic, payload, receivedAt), null);
        }

        if (!_nodes.TryGetValue(key, out var node))
        {
            return topic.Type == "NDEATH" ? SparkplugOutcome.None : new SparkplugOutcome([], $"{topic.Type} from {topic.Node} before its NBIRTH");
        }

        if (topic.Type == "NDEATH")
        {
            // A death whose bdSeq does not match the current birth is the last will of an earlier session.
            if (node.Online && (node.BdSeq is null || BdSeq(payload) is not { } bdSeq || bdSeq == node.BdSeq))
            {
                node.Online = false;
                node.OnlineDevices.Clear();
                return new SparkplugOutcome([], null, Died: true);
            }

            return SparkplugOutcome.None;
        }

        if (!node.Online)
        {
            return new SparkplugOutcome([], $"{topic.Type} from {topic.Node} after its NDEATH");
        }

        if (!payload.HasSeq || (int)payload.Seq != node.ExpectedSeq)
        {
            var reason = $"sequence gap from {topic.Node}: expected {node.ExpectedSeq}, got {(payload.HasSeq ? payload.Seq.ToString() : "none")}";
            node.ExpectedSeq = -1;
            return new SparkplugOutcome([], reason);
        }

        node.ExpectedSeq = Next(payload.Seq);
        switch (topic.Type)
        {
            case "DBIRTH":
                var aliases = new Dictionary<ulong, string>();
                node.DeviceAliases[topic.Device!] = aliases;
                node.OnlineDevices.Add(topic.Device!);
                return new SparkplugOutcome(Declare(aliases, topic, payload, receivedAt), null);
            case "DDEATH":
                return new SparkplugOutcome([], null, Died: node.OnlineDevices.Remove(topic.Device!));
        }

        var table = node.Aliases;
        if (topic.Device is { } device)
        {
            if (!node.OnlineDevices.Contains(device) || !node.DeviceAliases.TryGetValue(device, out table))
            {
                return new SparkplugOutcome([], $"DDATA from {topic.Node}/{device} before its DBIRTH");
            }
        }

        var samples = new List<SparkplugSample>(payload.Metrics.Count);
        foreach (var metric in payload.Metrics)
        {
            var name = metric.HasName ? metric.Name : metric.HasAlias && table.TryGetValue(metric.Alias, out var aliased) ? aliased : null;
            if (name is null)
            {
                return new SparkplugOutcome([], $"unknown alias {metric.Alias} from {topic.Node}{(topic.Device is null ? "" : "/" + topic.Device)}");
            }

            samples.Add(Sample(topic, name, metric, payload, receivedAt, birth: false));
        }

        return new SparkplugOutcome(samples, null);
    }

    private static List<SparkplugSample> Declare(Dictionary<ulong, string> aliases, SparkplugTopic topic, Payload payload, DateTimeOffset receivedAt)
    {
        var samples = new List<SparkplugSample>(payload.Metrics.Count);
        foreach (var metric in payload.Metrics.Where(m => m.HasName))
        {
            if (metric.HasAlias)
            {
                aliases[metric.Alias] = metric.Name;
            }

            samples.Add(Sample(topic, metric.Name, metric, payload, receivedAt, birth: true));
        }

        return samples;
    }

    private static SparkplugSample Sample(SparkplugTopic topic, string name, Payload.Types.Metric metric, Payload payload, DateTimeOffset receivedAt, bool birth)
    {
        var millis = metric.HasTimestamp ? metric.Timestamp : payload.HasTimestamp ? payload.Timestamp : (ulong?)null;
        var at = millis is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds((long)ms) : receivedAt;
        object? value = metric.IsNull ? null : metric.ValueCase switch
        {
            Payload.Types.Metric.ValueOneofCase.IntValue => (long)metric.IntValue,
            Payload.Types.Metric.ValueOneofCase.LongValue => (long)metric.LongValue,
            Payload.Types.Metric.ValueOneofCase.FloatValue => (double)metric.FloatValue,
            Payload.Types.Metric.ValueOneofCase.DoubleValue => metric.DoubleValue,
            Payload.Types.Metric.ValueOneofCase.BooleanValue => metric.BooleanValue,
            Payload.Types.Metric.ValueOneofCase.StringValue => metric.StringValue,
            _ => null,
        };
        return new SparkplugSample(topic.Group, topic.Node, topic.Device, name, value, at, metric.IsHistorical, birth);
    }

    private static int Next(ulong seq) => (int)((seq + 1) % 256);

    private static long? BdSeq(Payload payload) =>
        payload.Metrics.FirstOrDefault(m => m.Name == "bdSeq") is { } metric
            ? metric.ValueCase == Payload.Types.Metric.ValueOneofCase.LongValue ? (long)metric.LongValue : metric.IntValue
            : null;

    private sealed class NodeState
    {
        public bool Online { get; set; }

        public int ExpectedSeq { get; set; }

        public long? BdSeq { get; init; }

        public Dictionary<ulong, string> Aliases { get; } = [];

        public Dictionary<string, Dictionary<ulong, string>> DeviceAliases { get; } = new(StringComparer.Ordinal);

        public HashSet<string> OnlineDevices { get; } = new(StringComparer.Ordinal);
    }
}
