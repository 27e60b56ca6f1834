using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Manufacturing.ShopFloor.V1;

namespace Manufacturing.EdgeAgent.Sparkplug;

/// <summary>
/// How one Sparkplug metric becomes work-center telemetry (configuration
/// <c>EdgeAgent:Sparkplug:Metrics:{n}</c>): the metric's path (<c>{group}/{node}/{device}/{metric}</c>,
/// or without the device for a node metric), the work center, and what the value means.
/// </summary>
public sealed record SparkplugMetricMap
{
    /// <summary>The metric's path.</summary>
    public string Metric { get; init; } = "";

    /// <summary>The work center's id within the agent's plant (for example <c>PRESS-7</c>).</summary>
    public string WorkCenter { get; init; } = "";

    /// <summary>
    /// <c>good-total</c> / <c>scrap-total</c>: a running counter (its increase is counted; a drop is a
    /// counter reset, whose new value is counted); <c>good-delta</c> / <c>scrap-delta</c>: parts since
    /// the previous value; <c>state</c>: the machine state, through <see cref="States"/>.
    /// </summary>
    public string Signal { get; init; } = "";

    /// <summary>For <c>state</c>: the metric's values (as text) mapped to RUNNING, IDLE or DOWN; other values are DOWN with the value as reason.</summary>
    public Dictionary<string, string> States { get; init; } = [];
}

/// <summary>The last value of a running counter the agent counted from, and the time it was read.</summary>
public sealed record CounterReading(decimal Value, DateTimeOffset At);

/// <summary>
/// Turns accepted Sparkplug samples into machine-signal plant events, per the configured metric
/// maps; unmapped metrics are ignored. The source of the events is the edge node
/// (<c>{group}.{node}</c>), so each node's events keep their order.
/// <list type="bullet">
/// <item>A running counter's first value is its baseline (nothing before it is ours to count); after
/// that each increase is counted, also the increase a birth shows after a gap, a rebirth or a
/// restart of the agent (the last readings are kept in the agent's queue, see
/// <see cref="TakeCounterChanges"/>), so parts made while the data was not seen are not lost. A
/// value older than the last one counted (a historical value sent late) changes nothing: its parts
/// are in the next newer value already.</item>
/// <item>A delta counter's value is counted at its own time, also when it is historical; a delta in a
/// birth is the node's current value, not new parts, and is not counted.</item>
/// <item>A state is forwarded at its own time unless a newer signal of that work center was forwarded
/// already: the cluster cannot place a state change in a work center's past, so such a state is
/// dropped and counted in <see cref="LateStates"/>.</item>
/// <item>When a node or device dies, its mapped machines go DOWN with the reason
/// <c>NDEATH</c> / <c>DDEATH</c> until its next birth says otherwise: time without data is not
/// credited as run time.</item>
/// </list>
/// </summary>
public sealed class SparkplugTranslator
{
    private readonly string _plant;
    private readonly Dictionary<string, SparkplugMetricMap> _maps;
    private readonly Dictionary<string, CounterReading> _counters;
    private readonly Dictionary<string, CounterReading> _changed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _clocks = new(StringComparer.Ordinal);

    /// <summary>A translator for <paramref name="plant"/>, continuing from the counter readings <paramref name="counters"/> (by metric path).</summary>
    public SparkplugTranslator(string plant, IEnumerable<SparkplugMetricMap> maps, IReadOnlyDictionary<string, CounterReading>? counters = null)
    {
        _plant = plant;
        _maps = maps.ToDictionary(m => m.Metric, StringComparer.Ordinal);
        _counters = counters is null ? new(StringComparer.Ordinal) : new(counters, StringComparer.Ordinal);
    }

    /// <summary>State values dropped because a newer signal of their work center had been forwarded.</summary>
    public long LateStates { get; private set; }

    /// <summary>The queue source for an edge node's events.</summary>
    public static string SourceOf(string group, string node)
    {
        var id = System.Text.RegularExpressions.Regex.Replace($"{group}.{node}", "[^A-Za-z0-9._-]", "_");
        return id.Length > 64 ? id[..64] : id;
    }

    /// <summary>
    /// The counter readings changed since the last call: to be stored with the events they produced, in
    /// one transaction, so that a restarted agent neither counts them twice nor misses them.
    /// </summary>
    public IReadOnlyDictionary<string, CounterReading> TakeCounterChanges()
    {
        var changes = new Dictionary<string, CounterReading>(_changed, StringComparer.Ordinal);
        _changed.Clear();
        return changes;
    }

    /// <summary>The plant events of <paramref name="sample"/> (none when it is not mapped or counts nothing).</summary>
    public IEnumerable<PlantEvent> Translate(SparkplugSample sample)
    {
        if (!_maps.TryGetValue(sample.Path, out var map) || sample.Value is null)
        {
            return [];
        }

        var text = Convert.ToString(sample.Value, CultureInfo.InvariantCulture) ?? "";
        switch (map.Signal)
        {
            case "state":
                var (state, reason) = map.States.TryGetValue(text, out var named) && System.Enum.TryParse<MachineState>(named, ignoreCase: true, out var known) && known != MachineState.Unspecified
                    ? (known, "")
                    : (MachineState.Down, text);
                return StateSignal(map, sample.Timestamp, state, reason);
            case "good-total" or "scrap-total" or "good-delta" or "scrap-delta":
                if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    return [];
                }

                long count;
                if (map.Signal.EndsWith("-total", StringComparison.Ordinal))
                {
                    var previous = _counters.GetValueOrDefault(sample.Path);
                    if (previous is not null && sample.Timestamp < previous.At)
                    {
                        return [];
                    }

                    _counters[sample.Path] = _changed[sample.Path] = new CounterReading(value, sample.Timestamp);
                    if (previous is null)
                    {
                        return [];
                    }

                    count = value >= previous.Value ? (long)(value - previous.Value) : (long)value;
                }
                else
                {
                    if (sample.Birth)
                    {
                        return [];
                    }

                    count = (long)value;
                }

                if (count <= 0)
                {
                    return [];
                }

                var signal = Signal(map, sample.Timestamp);
                if (map.Signal.StartsWith("good", StringComparison.Ordinal))
                {
                    signal.GoodCount = count;
                }
                else
                {
                    signal.ScrapCount = count;
                }

                return [new PlantEvent { MachineSignal = signal }];
            default:
                return [];
        }
    }

    /// <summary>
    /// The events of a node's death (<paramref name="device"/> null: the node and all its devices) or
    /// a device's: every mapped state metric under it goes DOWN with <paramref name="reason"/> at
    /// <paramref name="at"/>.
    /// </summary>
    public IEnumerable<PlantEvent> Died(string group, string node, string? device, DateTimeOffset at, string reason)
    {
        var prefix = device is null ? $"{group}/{node}/" : $"{group}/{node}/{device}/";
        return _maps.Values
            .Where(m => m.Signal == "state" && m.Metric.StartsWith(prefix, StringComparison.Ordinal))
            .SelectMany(m => StateSignal(m, at, MachineState.Down, reason))
            .ToList();
    }

    private IEnumerable<PlantEvent> StateSignal(SparkplugMetricMap map, DateTimeOffset at, MachineState state, string reason)
    {
        if (_clocks.TryGetValue(map.WorkCenter, out var clock) && at < clock)
        {
            LateStates++;
            return [];
        }

        var signal = Signal(map, at);
        signal.State = state;
        signal.Reason = reason.Length > 64 ? reason[..64] : reason;
        return [new PlantEvent { MachineSignal = signal }];
    }

    private MachineSignal Signal(SparkplugMetricMap map, DateTimeOffset at)
    {
        if (!_clocks.TryGetValue(map.WorkCenter, out var clock) || clock < at)
        {
            _clocks[map.WorkCenter] = at;
        }

        return new MachineSignal
        {
            WorkCenter = $"plants/{_plant}/workCenters/{map.WorkCenter}",
            ObserveTime = Timestamp.FromDateTimeOffset(at),
        };
    }
}
