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

/// <summary>
/// Turns accepted Sparkplug samples into machine-signal plant events, per the configured metric
/// maps; unmapped metrics are ignored. A running counter's value in a birth is its baseline (nothing
/// is counted); after that each increase is. The source of the events is the edge node
/// (<c>{group}.{node}</c>), so each node's events keep their order.
/// </summary>
public sealed class SparkplugTranslator(string plant, IEnumerable<SparkplugMetricMap> maps)
{
    private readonly Dictionary<string, SparkplugMetricMap> _maps = maps.ToDictionary(m => m.Metric, StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _totals = new(StringComparer.Ordinal);

    /// <summary>The queue source for an edge node's events.</summary>
    public static string SourceOf(string group, string node)
    {
        var id = System.Text.RegularExpressions.Regex.Replace($"{group}.{node}", "[^A-Za-z0-9._-]", "_");
        return id.Length > 64 ? id[..64] : id;
    }

    /// <summary>The plant events of <paramref name="sample"/> (none when it is not mapped or counts nothing).</summary>
    public IEnumerable<PlantEvent> Translate(SparkplugSample sample)
    {
        if (!_maps.TryGetValue(sample.Path, out var map) || sample.Value is null)
        {
            yield break;
        }

        var signal = new MachineSignal
        {
            WorkCenter = $"plants/{plant}/workCenters/{map.WorkCenter}",
            ObserveTime = Timestamp.FromDateTimeOffset(sample.Timestamp),
        };
        var text = Convert.ToString(sample.Value, CultureInfo.InvariantCulture) ?? "";
        switch (map.Signal)
        {
            case "state":
                if (map.States.TryGetValue(text, out var state) && System.Enum.TryParse<MachineState>(state, ignoreCase: true, out var known) && known != MachineState.Unspecified)
                {
                    signal.State = known;
                }
                else
                {
                    signal.State = MachineState.Down;
                    signal.Reason = text.Length > 64 ? text[..64] : text;
                }

                break;
            case "good-total" or "scrap-total" or "good-delta" or "scrap-delta":
                if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    yield break;
                }

                var count = (long)value;
                if (map.Signal.EndsWith("-total", StringComparison.Ordinal))
                {
                    var previous = _totals.TryGetValue(sample.Path, out var last) ? last : (decimal?)null;
                    _totals[sample.Path] = value;
                    if (sample.Birth || previous is null)
                    {
                        yield break;
                    }

                    count = value >= previous ? (long)(value - previous.Value) : (long)value;
                }

                if (count <= 0)
                {
                    yield break;
                }

                if (map.Signal.StartsWith("good", StringComparison.Ordinal))
                {
                    signal.GoodCount = count;
                }
                else
                {
                    signal.ScrapCount = count;
                }

                break;
            default:
                yield break;
        }

        yield return new PlantEvent { MachineSignal = signal };
    }
}
