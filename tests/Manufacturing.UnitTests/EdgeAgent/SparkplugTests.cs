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

        Assert.False(host.Handle(Topic("NDEATH"), Message(null, Named("bdSeq", 0, 2)), Now).Died);
        Assert.True(host.IsOnline("Plant100", "press-line"));
        Assert.True(host.Handle(Topic("NDEATH"), Message(null, Named("bdSeq", 0, 3)), Now).Died);
        Assert.False(host.IsOnline("Plant100", "press-line"));
        Assert.False(host.Handle(Topic("NDEATH"), Message(null, Named("bdSeq", 0, 3)), Now).Died);
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

    private static readonly SparkplugMetricMap[] PressMaps =
    [
        new() { Metric = "Plant100/press-line/press-7/Count/Good", WorkCenter = "PRESS-7", Signal = "good-total" },
        new() { Metric = "Plant100/press-line/press-7/Count/Rework", WorkCenter = "PRESS-7", Signal = "scrap-delta" },
        new() { Metric = "Plant100/press-line/press-7/State", WorkCenter = "PRESS-7", Signal = "state", States = new() { ["1"] = "RUNNING" } },
        new() { Metric = "Plant100/press-line/oven-2/State", WorkCenter = "OVEN-2", Signal = "state", States = new() { ["1"] = "RUNNING" } },
    ];

    private static SparkplugSample Press(string metric, object value, double minutes, bool birth = false, bool historical = false, string device = "press-7") =>
        new("Plant100", "press-line", device, metric, value, Now.AddMinutes(minutes), historical, birth);

    [Fact]
    public void A_birth_after_a_gap_counts_the_parts_made_meanwhile_and_a_late_historical_total_changes_nothing()
    {
        var translator = new SparkplugTranslator("P100", PressMaps);

        Assert.Empty(translator.Translate(Press("Count/Good", 1000L, 0, birth: true)));
        Assert.Equal(20L, Assert.Single(translator.Translate(Press("Count/Good", 1020L, 1))).MachineSignal.GoodCount);
        var reborn = Assert.Single(translator.Translate(Press("Count/Good", 1100L, 5, birth: true)));
        Assert.Empty(translator.Translate(Press("Count/Good", 1050L, 3, historical: true)));

        Assert.Equal((80L, Now.AddMinutes(5)), (reborn.MachineSignal.GoodCount, reborn.MachineSignal.ObserveTime.ToDateTimeOffset()));
        Assert.Equal(new CounterReading(1100m, Now.AddMinutes(5)), translator.TakeCounterChanges()["Plant100/press-line/press-7/Count/Good"]);
        Assert.Empty(translator.TakeCounterChanges());
    }

    [Fact]
    public void A_delta_counts_at_its_own_time_also_when_historical_but_not_in_a_birth()
    {
        var translator = new SparkplugTranslator("P100", PressMaps);

        Assert.Empty(translator.Translate(Press("Count/Rework", 4L, 0, birth: true)));
        var historical = Assert.Single(translator.Translate(Press("Count/Rework", 3L, -10, historical: true)));

        Assert.Equal((3L, Now.AddMinutes(-10)), (historical.MachineSignal.ScrapCount, historical.MachineSignal.ObserveTime.ToDateTimeOffset()));
    }

    [Fact]
    public void A_restarted_agent_counts_on_from_the_readings_stored_with_its_events()
    {
        var first = new SparkplugTranslator("P100", PressMaps);
        first.Translate(Press("Count/Good", 1000L, 0, birth: true)).ToList();
        var stored = first.TakeCounterChanges();

        var restarted = new SparkplugTranslator("P100", PressMaps, stored);

        Assert.Equal(30L, Assert.Single(restarted.Translate(Press("Count/Good", 1030L, 2, birth: true))).MachineSignal.GoodCount);
    }

    [Fact]
    public void A_state_older_than_the_work_center_s_last_signal_is_dropped_and_counted()
    {
        var translator = new SparkplugTranslator("P100", PressMaps);
        translator.Translate(Press("Count/Good", 1000L, 0, birth: true)).ToList();
        translator.Translate(Press("Count/Good", 1010L, 10)).ToList();

        Assert.Empty(translator.Translate(Press("State", 7L, 5, historical: true)));
        Assert.Single(translator.Translate(Press("State", 7L, 10)));
        Assert.Equal(1, translator.LateStates);
    }

    [Fact]
    public void A_node_death_takes_every_machine_of_the_node_down_a_device_death_only_that_device_s()
    {
        var translator = new SparkplugTranslator("P100", PressMaps);

        var device = translator.Died("Plant100", "press-line", "oven-2", Now, "DDEATH").ToList();
        var node = translator.Died("Plant100", "press-line", null, Now.AddMinutes(1), "NDEATH").ToList();

        Assert.Equal([("plants/P100/workCenters/OVEN-2", MachineState.Down, "DDEATH")], device.Select(e => (e.MachineSignal.WorkCenter, e.MachineSignal.State, e.MachineSignal.Reason)));
        Assert.Equal(["plants/P100/workCenters/OVEN-2", "plants/P100/workCenters/PRESS-7"], node.Select(e => e.MachineSignal.WorkCenter).Order());
        Assert.All(node, e => Assert.Equal((MachineState.Down, "NDEATH"), (e.MachineSignal.State, e.MachineSignal.Reason)));
    }

    [Fact]
    public void A_device_death_is_reported_once()
    {
        var host = Born(out var seq);

        Assert.True(host.Handle(Topic("DDEATH", "press-7"), Message(seq), Now).Died);
        Assert.False(host.Handle(Topic("DDEATH", "press-7"), Message(seq + 1), Now).Died);
        Assert.Equal([], host.Nodes.Single().Devices);
    }

    [Theory]
    [InlineData("Broker", "localhost:1883", "EdgeAgent__Sparkplug__Broker")]
    [InlineData("Signal", "good", "EdgeAgent__Sparkplug__Metrics__0__Signal")]
    [InlineData("Metric", "Count", "EdgeAgent__Sparkplug__Metrics__0__Metric")]
    [InlineData("State", "STOPPED", "EdgeAgent__Sparkplug__Metrics__0__States__7")]
    public void Settings_that_cannot_work_are_refused_at_start_naming_the_setting(string field, string value, string named)
    {
        var map = new SparkplugMetricMap { Metric = "G/N/D/State", WorkCenter = "PRESS-7", Signal = "state" };
        map = field switch
        {
            "Signal" => map with { Signal = value },
            "Metric" => map with { Metric = value },
            "State" => map with { States = new() { ["7"] = value } },
            _ => map,
        };
        var options = new SparkplugOptions { Broker = field == "Broker" ? value : "mqtt://127.0.0.1:1883", Metrics = [map] };

        Assert.Contains(named, Assert.Throws<InvalidOperationException>(options.Validate).Message);
    }
}
