using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.ShopFloor.Domain;

namespace Manufacturing.UnitTests.ShopFloor;

/// <summary>Machine signals aggregated into windows: time credited per state, windows closed by later signals, OEE.</summary>
public sealed class WorkCenterRulesTests
{
    private const string Key = "P100/WELD-1";
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);

    private static readonly TelemetrySettings Settings = new()
    {
        Interval = TimeSpan.FromMinutes(15),
        ShiftStarts = [TimeSpan.FromHours(6), TimeSpan.FromHours(14), TimeSpan.FromHours(22)],
        IdealCycles = ImmutableDictionary<string, TimeSpan>.Empty.Add(Key, TimeSpan.FromSeconds(30)),
    };

    private static int _id;

    private static RecordMachineSignal Signal(double minutes, MachineState? state = null, long good = 0, long scrap = 0, string reason = "") => new()
    {
        Metadata = new CommandMetadata($"s-{Interlocked.Increment(ref _id)}", T0.AddMinutes(minutes)) { Source = SourceSystem.Mes },
        State = state,
        Good = good,
        Scrap = scrap,
        Reason = reason,
    };

    private static WorkCenter Apply(params RecordMachineSignal[] signals)
    {
        WorkCenter? center = null;
        foreach (var signal in signals)
        {
            var transition = WorkCenterRules.Record(Key, center, signal, Settings);
            Assert.Null(transition.Error);
            center = transition.Next ?? center;
        }

        return center!;
    }

    [Fact]
    public void Time_is_credited_to_the_state_the_machine_was_in_and_a_later_signal_closes_the_window()
    {
        // 06:00 running, 06:10 down for 2 minutes, running again; 20 good and 2 scrap; 06:16 heartbeat.
        var center = Apply(
            Signal(0, MachineState.Running),
            Signal(5, good: 10),
            Signal(10, MachineState.Down, reason: "JAM"),
            Signal(12, MachineState.Running),
            Signal(14, good: 10, scrap: 2),
            Signal(16, MachineState.Running));

        var window = Assert.Single(center.Closed);
        Assert.Equal((WindowKinds.Interval, T0, T0.AddMinutes(15)), (window.Kind, window.Start, window.End));
        Assert.Equal((20L, 2L), (window.Good, window.Scrap));
        Assert.Equal((TimeSpan.FromMinutes(13), TimeSpan.FromMinutes(2), TimeSpan.Zero), (window.Run, window.Down, window.Idle));
        Assert.Equal(0.8667m, window.Availability);          // 13 / 15
        Assert.Equal(0.8462m, window.Performance);           // 22 × 30 s / 13 min
        Assert.Equal(0.9091m, window.Quality);               // 20 / 22
        Assert.Equal(Math.Round(0.8667m * 0.8462m * 0.9091m, 4), window.Oee);
        var open = center.Open.Single(w => w.Kind == WindowKinds.Interval);
        Assert.Equal((T0.AddMinutes(15), TimeSpan.FromMinutes(1)), (open.Start, open.Run));
        var shift = center.Open.Single(w => w.Kind == WindowKinds.Shift);
        Assert.Equal((T0, T0.AddHours(8), 20L), (shift.Start, shift.End, shift.Good));
    }

    [Fact]
    public void A_long_silence_closes_every_window_it_spans_with_the_time_credited()
    {
        var center = Apply(Signal(0, MachineState.Down, reason: "BREAKDOWN"), Signal(61, MachineState.Running));

        var intervals = center.Closed.Where(w => w.Kind == WindowKinds.Interval).ToList();
        Assert.Equal(4, intervals.Count);
        Assert.All(intervals, w => Assert.Equal(TimeSpan.FromMinutes(15), w.Down));
        Assert.All(intervals, w => Assert.Equal(0m, w.Availability));
        Assert.Null(intervals[0].Quality);
        Assert.Null(intervals[0].Oee);
        Assert.Equal(MachineState.Running, center.State);
    }

    [Fact]
    public void Idle_time_is_left_out_of_availability_and_no_ideal_cycle_means_no_performance()
    {
        var noIdeal = Settings with { IdealCycles = ImmutableDictionary<string, TimeSpan>.Empty };
        WorkCenter? center = null;
        foreach (var signal in new[] { Signal(0, MachineState.Idle), Signal(5, MachineState.Running), Signal(10, good: 5), Signal(15, MachineState.Running) })
        {
            center = WorkCenterRules.Record(Key, center, signal, noIdeal).Next;
        }

        var window = Assert.Single(center!.Closed);
        Assert.Equal((TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(5)), (window.Run, window.Idle));
        Assert.Equal(1m, window.Availability);
        Assert.Null(window.Performance);
        Assert.Null(window.Oee);
        Assert.Equal(1m, window.Quality);
    }

    [Fact]
    public void A_late_count_goes_to_its_open_window_and_late_state_or_a_closed_window_is_refused()
    {
        var center = Apply(Signal(0, MachineState.Running), Signal(20, good: 1));

        var lateCount = WorkCenterRules.Record(Key, center, Signal(16, good: 4), Settings);
        var lateState = WorkCenterRules.Record(Key, center, Signal(18, MachineState.Down), Settings);
        var closedWindow = WorkCenterRules.Record(Key, center, Signal(10, good: 1), Settings);

        Assert.Equal(5, lateCount.Next!.Open.Single(w => w.Kind == WindowKinds.Interval).Good);
        Assert.Equal(center.Clock, lateCount.Next.Clock);
        Assert.Equal("LATE_SIGNAL", lateState.Error!.Precondition);
        Assert.Equal("WINDOW_CLOSED", closedWindow.Error!.Precondition);
    }

    [Fact]
    public void Invalid_signals_are_refused_with_field_violations()
    {
        var nothing = WorkCenterRules.Record(Key, null, Signal(0), Settings);
        var negative = WorkCenterRules.Record(Key, null, Signal(0, good: -1), Settings);

        Assert.Equal("signal", Assert.Single(nothing.Error!.Violations).Field);
        Assert.Contains(negative.Error!.Violations, v => v.Field == "good");
    }

    [Fact]
    public void Closed_windows_become_business_events_and_nothing_else_does()
    {
        var before = Apply(Signal(0, MachineState.Running), Signal(5, good: 10));
        var after = WorkCenterRules.Record(Key, before, Signal(15, MachineState.Running), Settings).Next!;

        Assert.Empty(WorkCenterEvents.Describe(null, before, Signal(5, good: 10)));
        var closed = Assert.Single(WorkCenterEvents.Describe(before, after, Signal(15, MachineState.Running)));
        Assert.Equal("TelemetryWindowClosed", closed.Type);
        Assert.Equal("plants/P100/workCenters/WELD-1", closed.Data["work_center"]);
        Assert.Equal("10", closed.Data["good_count"]);
        Assert.Equal("900", closed.Data["run_seconds"]);
        Assert.Equal("1", closed.Data["availability"]);
    }

    [Fact]
    public void A_silent_machine_s_windows_close_after_the_grace_with_its_time_credited_and_late_data_is_then_refused()
    {
        var center = Apply(Signal(0, MachineState.Running), Signal(5, good: 10));
        CloseSilentWindows At(double minutes) => new()
        {
            Metadata = new CommandMetadata($"silence-{minutes}", T0.AddMinutes(minutes)) { Source = SourceSystem.ControlPlane },
        };
        var grace = Settings with { CloseAfter = TimeSpan.FromMinutes(30) };

        var early = WorkCenterRules.CloseSilent(Key, center, At(44), grace);
        var closed = WorkCenterRules.CloseSilent(Key, center, At(46), grace).Next!;

        Assert.Null(early.Next);
        Assert.Null(early.Error);
        var window = Assert.Single(closed.Closed);
        Assert.Equal((10L, TimeSpan.FromMinutes(15), T0.AddMinutes(15)), (window.Good, window.Run, closed.Clock));
        Assert.Equal("WINDOW_CLOSED", WorkCenterRules.Record(Key, closed, Signal(14, good: 1), Settings).Error!.Precondition);
        Assert.Null(WorkCenterRules.CloseSilent(Key, null, At(46), grace).Next);
    }
}
