using Google.Protobuf;
using Manufacturing.EdgeAgent.Sparkplug;
using Manufacturing.EdgeAgent.Sparkplug.Protocol;
using Manufacturing.ShopFloor.V1;
using Metric = Manufacturing.EdgeAgent.Sparkplug.Protocol.Payload.Types.Metric;

namespace Manufacturing.UnitTests.EdgeAgent;

/// <summary>The edge agent's Sparkplug B host application: births, aliases, sequence, deaths, and the mapping to telemetry.</summary>
public sealed class SparkplugTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);

    private static SparkplugTopic Topic(string type, string? device = null) =>
        SparkplugTopic.Parse($"spBv1.0/Plant100/{type}/press-line{(device is null ? "" : "/" + device)}")!;

    private static Payload Message(ulong? seq, params Metric[] metrics)
    {
        var payload = new Payload { Timestamp = (ulong)Now.ToUnixTimeMilliseconds() };
        if (seq is { } s)
        {
            payload.Seq = s;
        }

        payload.Metrics.AddRange(metrics);
        return Payload.Parser.ParseFrom(payload.ToByteArray());
    }

    private static Metric Named(string name, ulong alias, long value) => new() { Name = name, Alias = alias, LongValue = (ulong)value };

    private static Metric Aliased(ulong alias, long value) => new() { Alias = alias, LongValue = (ulong)value };

    private static SparkplugHost Born(out ulong nextSeq)
    {
        var host = new SparkplugHost();
        host.Handle(Topic("NBIRTH"), Message(0, Named("bdSeq", 0, 3)), Now);
        host.Handle(Topic("DBIRTH", "press-7"), Message(1, Named("Count/Good", 10, 1000), Named("State", 11, 1)), Now);
        nextSeq = 2;
        return host;
    }

    [Theory]
    [InlineData("spBv1.0/G/NDATA/node", true)]
    [InlineData("spBv1.0/G/DDATA/node/device", true)]
    [InlineData("spBv1.0/G/DDATA/node", false)]
    [InlineData("spBv1.0/G/NDATA/node/device", false)]
    [InlineData("spBv1.0/G/NCMD/node", false)]
    [InlineData("spAv1.0/G/NDATA/node", false)]
    [InlineData("spBv1.0/STATE/host", false)]
    public void Only_edge_node_and_device_topics_are_parsed(string topic, bool parsed) =>
        Assert.Equal(parsed, SparkplugTopic.Parse(topic) is not null);

    [Fact]
    public void Data_by_alias_after_the_births_is_accepted_in_sequence()
    {
        var host = Born(out var seq);

        var outcome = host.Handle(Topic("DDATA", "press-7"), Message(seq, Aliased(10, 1012)), Now);

        Assert.Null(outcome.RebirthReason);
        var sample = Assert.Single(outcome.Samples);
        Assert.Equal(("Plant100/press-line/press-7/Count/Good", 1012L, false), (sample.Path, (long)sample.Value!, sample.Birth));
    }

    [Fact]
    public void A_sequence_gap_is_not_applied_and_asks_for_a_rebirth_until_the_node_is_born_again()
    {
        var host = Born(out var seq);

        var gap = host.Handle(Topic("DDATA", "press-7"), Message(seq + 1, Aliased(10, 1012)), Now);
        var after = host.Handle(Topic("DDATA", "press-7"), Message(seq + 2, Aliased(10, 1013)), Now);
        host.Handle(Topic("NBIRTH"), Message(0, Named("bdSeq", 0, 4)), Now);
        host.Handle(Topic("DBIRTH", "press-7"), Message(1, Named("Count/Good", 10, 1013)), Now);
        var resumed = host.Handle(Topic("DDATA", "press-7"), Message(2, Aliased(10, 1014)), Now);

        Assert.Contains("sequence gap", gap.RebirthReason);
        Assert.Empty(gap.Samples);
        Assert.NotNull(after.RebirthReason);
        Assert.Null(resumed.RebirthReason);
        Assert.Single(resumed.Samples);
    }

    [Fact]
    public void The_sequence_wraps_from_255_to_0()
    {
        var host = new SparkplugHost();
        host.Handle(Topic("NBIRTH"), Message(0, Named("Temp", 1, 20)), Now);
        for (ulong s = 1; s <= 255; s++)
        {
            Assert.Null(host.Handle(Topic("NDATA"), Message(s, Aliased(1, 21)), Now).RebirthReason);
        }

        Assert.Null(host.Handle(Topic("NDATA"), Message(0, Aliased(1, 22)), Now).RebirthReason);
    }

    [Fact]
    public void An_unknown_alias_or_data_before_a_birth_asks_for_a_rebirth()
    {
        var host = Born(out var seq);

        Assert.Contains("unknown alias 99", host.Handle(Topic("DDATA", "press-7"), Message(seq, Aliased(99, 1)), Now).RebirthReason);
        Assert.NotNull(new SparkplugHost().Handle(Topic("NDATA"), Message(5, Aliased(1, 1)), Now).RebirthReason);
    }

    [Fact]
    public void A_death_takes_the_node_offline_unless_it_belongs_to_an_earlier_session()
    {
        var host = Born(out var seq);

        host.Handle(Topic("NDEATH"), Message(null, Named("bdSeq", 0, 2)), Now);
        Assert.True(host.IsOnline("Plant100", "press-line"));
        host.Handle(Topic("NDEATH"), Message(null, Named("bdSeq", 0, 3)), Now);
        Assert.False(host.IsOnline("Plant100", "press-line"));
        Assert.NotNull(host.Handle(Topic("DDATA", "press-7"), Message(seq, Aliased(10, 1)), Now).RebirthReason);
    }

    [Fact]
    public void Historical_values_keep_their_own_timestamp()
    {
        var host = Born(out var seq);
        var earlier = Now.AddMinutes(-30);
        var metric = Aliased(10, 1001);
        metric.IsHistorical = true;
        metric.Timestamp = (ulong)earlier.ToUnixTimeMilliseconds();

        var sample = Assert.Single(host.Handle(Topic("DDATA", "press-7"), Message(seq, metric), Now).Samples);

        Assert.True(sample.Historical);
        Assert.Equal(earlier, sample.Timestamp);
    }

    [Fact]
    public void Mapped_metrics_become_machine_signals_counting_increases_of_a_running_total()
    {
        var translator = new SparkplugTranslator("P100",
        [
            new SparkplugMetricMap { Metric = "Plant100/press-line/press-7/Count/Good", WorkCenter = "PRESS-7", Signal = "good-total" },
            new SparkplugMetricMap { Metric = "Plant100/press-line/press-7/State", WorkCenter = "PRESS-7", Signal = "state", States = new() { ["1"] = "RUNNING", ["2"] = "IDLE" } },
        ]);
        SparkplugSample Sample(string metric, object value, bool birth = false) => new("Plant100", "press-line", "press-7", metric, value, Now, false, birth);

        Assert.Empty(translator.Translate(Sample("Count/Good", 1000L, birth: true)));
        var counted = Assert.Single(translator.Translate(Sample("Count/Good", 1012L)));
        var reset = Assert.Single(translator.Translate(Sample("Count/Good", 3L)));
        var running = Assert.Single(translator.Translate(Sample("State", 1L, birth: true)));
        var fault = Assert.Single(translator.Translate(Sample("State", 7L)));

        Assert.Equal(("plants/P100/workCenters/PRESS-7", 12L), (counted.MachineSignal.WorkCenter, counted.MachineSignal.GoodCount));
        Assert.Equal(3L, reset.MachineSignal.GoodCount);
        Assert.Equal(MachineState.Running, running.MachineSignal.State);
        Assert.Equal((MachineState.Down, "7"), (fault.MachineSignal.State, fault.MachineSignal.Reason));
        Assert.Empty(translator.Translate(Sample("Temperature", 80L)));
        Assert.Equal("Plant_100.press_line", SparkplugTranslator.SourceOf("Plant 100", "press/line"));
    }
}
