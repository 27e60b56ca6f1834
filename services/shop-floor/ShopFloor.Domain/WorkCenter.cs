using System.Collections.Immutable;
using System.Globalization;
using Manufacturing.Domain;
using Orleans;

namespace Manufacturing.ShopFloor.Domain;

/// <summary>What a machine (work center) is doing, as its signals report it.</summary>
[GenerateSerializer, Alias("shopfloor.MachineState")]
public enum MachineState
{
    /// <summary>No state signal yet: time in it counts as neither run, idle nor down.</summary>
    Unknown = 0,

    /// <summary>Producing.</summary>
    Running = 1,

    /// <summary>Ready but not producing (no order, no material, planned break): excluded from planned time.</summary>
    Idle = 2,

    /// <summary>Stopped by a fault or unplanned stop: counts against availability.</summary>
    Down = 3,
}

/// <summary>The kinds of telemetry window.</summary>
public static class WindowKinds
{
    /// <summary>Fixed-length windows aligned to UTC midnight (for example every 15 minutes).</summary>
    public const string Interval = "interval";

    /// <summary>From one configured shift start to the next.</summary>
    public const string Shift = "shift";
}

/// <summary>One aggregation window of a work center's signals: counts and time per state.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.TelemetryWindow")]
public sealed record TelemetryWindow
{
    /// <summary><see cref="WindowKinds.Interval"/> or <see cref="WindowKinds.Shift"/>.</summary>
    [Id(0)] public required string Kind { get; init; }

    /// <summary>Inclusive start.</summary>
    [Id(1)] public DateTimeOffset Start { get; init; }

    /// <summary>Exclusive end.</summary>
    [Id(2)] public DateTimeOffset End { get; init; }

    /// <summary>Good parts counted.</summary>
    [Id(3)] public long Good { get; init; }

    /// <summary>Scrap parts counted.</summary>
    [Id(4)] public long Scrap { get; init; }

    /// <summary>Time running.</summary>
    [Id(5)] public TimeSpan Run { get; init; }

    /// <summary>Time down.</summary>
    [Id(6)] public TimeSpan Down { get; init; }

    /// <summary>Time idle.</summary>
    [Id(7)] public TimeSpan Idle { get; init; }

    /// <summary>The ideal time per part when the window closed (configured per work center); null when none is configured.</summary>
    [Id(8)] public TimeSpan? IdealCycle { get; init; }

    /// <summary>Run ÷ (run + down); null before any run or down time.</summary>
    public decimal? Availability => Run + Down > TimeSpan.Zero ? Ratio(Run.Ticks, (Run + Down).Ticks) : null;

    /// <summary>Ideal cycle × parts ÷ run time; null without an ideal cycle or run time. Above 1 means the ideal cycle is set too slow.</summary>
    public decimal? Performance => IdealCycle is { } ideal && Run > TimeSpan.Zero ? Ratio(ideal.Ticks * (Good + Scrap), Run.Ticks) : null;

    /// <summary>Good ÷ (good + scrap); null when nothing was counted.</summary>
    public decimal? Quality => Good + Scrap > 0 ? Ratio(Good, Good + Scrap) : null;

    /// <summary>Availability × performance × quality, when all three are known.</summary>
    public decimal? Oee => Availability is { } a && Performance is { } p && Quality is { } q ? Math.Round(a * p * q, 4) : null;

    private static decimal Ratio(decimal part, decimal whole) => Math.Round(part / whole, 4);
}

/// <summary>How a plant's work centers aggregate telemetry (configuration <c>ShopFloor:Telemetry</c>).</summary>
public sealed record TelemetrySettings
{
    /// <summary>The interval windows' length; windows are aligned to UTC midnight. Default 15 minutes.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Shift start times of day (UTC), ascending; none means no shift windows.</summary>
    public ImmutableArray<TimeSpan> ShiftStarts { get; init; } = [];

    /// <summary>
    /// How long after a window's end, with no signal from the machine, the window is closed anyway
    /// (its remaining time credited to the machine's last state). Data older than that arriving later
    /// is refused (WINDOW_CLOSED) and quarantined at the edge. Default 30 minutes.
    /// </summary>
    public TimeSpan CloseAfter { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The ideal cycle time per work center key (<c>P100/WELD-1</c>), for performance.</summary>
    public ImmutableDictionary<string, TimeSpan> IdealCycles { get; init; } = ImmutableDictionary<string, TimeSpan>.Empty;

    /// <summary>The default: 15-minute windows, shifts at 06:00, 14:00 and 22:00 UTC, no ideal cycles.</summary>
    public static TelemetrySettings Default { get; } = new() { ShiftStarts = [TimeSpan.FromHours(6), TimeSpan.FromHours(14), TimeSpan.FromHours(22)] };

    /// <summary>The windows of each kind that contain <paramref name="at"/>.</summary>
    public IEnumerable<TelemetryWindow> WindowsAt(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        var intervalStart = new DateTimeOffset(utc.Ticks - (utc.Ticks % Interval.Ticks), TimeSpan.Zero);
        yield return new TelemetryWindow { Kind = WindowKinds.Interval, Start = intervalStart, End = intervalStart + Interval };
        if (ShiftStarts.IsEmpty)
        {
            yield break;
        }

        var day = new DateTimeOffset(utc.Date, TimeSpan.Zero);
        var starts = new[] { -1, 0, 1 }.SelectMany(d => ShiftStarts.Select(s => day.AddDays(d) + s)).Order().ToArray();
        var index = Array.FindLastIndex(starts, s => s <= utc);
        yield return new TelemetryWindow { Kind = WindowKinds.Shift, Start = starts[index], End = starts[index + 1] };
    }
}

/// <summary>
/// A work center's (machine's) telemetry: its current state, its open aggregation windows, and the
/// last closed ones. Raw signals change it; only closed windows become business events.
/// </summary>
[GenerateSerializer, Immutable, Alias("shopfloor.WorkCenter")]
public sealed record WorkCenter : IAggregate<WorkCenter>
{
    /// <summary>How many closed windows are kept per kind (the rest live on as business events).</summary>
    public const int ClosedKept = 96;

    /// <summary>The grain key: <c>{plant}/{work center}</c>.</summary>
    [Id(0)] public required string Key { get; init; }

    /// <inheritdoc />
    [Id(1)] public long Version { get; init; }

    /// <summary>The machine's state since <see cref="StateSince"/>.</summary>
    [Id(2)] public MachineState State { get; init; }

    /// <summary>Why (for example a downtime reason code), as signalled.</summary>
    [Id(3)] public string StateReason { get; init; } = "";

    /// <summary>When the current state began.</summary>
    [Id(4)] public DateTimeOffset StateSince { get; init; }

    /// <summary>The latest time a signal was observed at (the work center's clock).</summary>
    [Id(5)] public DateTimeOffset Clock { get; init; }

    /// <summary>The windows still open, one per kind.</summary>
    [Id(6)] public ImmutableArray<TelemetryWindow> Open { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>The most recently closed windows, oldest first (at most <see cref="ClosedKept"/> per kind).</summary>
    [Id(7)] public ImmutableArray<TelemetryWindow> Closed { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>The resource name: <c>plants/{plant}/workCenters/{work center}</c>.</summary>
    public string Name => ResourceNames.FromKey("workCenters", Key);

    /// <inheritdoc />
    public WorkCenter WithVersion(long version) => this with { Version = version };
}

/// <summary>A raw machine signal: parts counted, or a state change (a repeated state is a heartbeat that moves the clock).</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.RecordMachineSignal"), OwnedTransition("work_center", "telemetry")]
public sealed record RecordMachineSignal : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>Good parts counted since the previous count signal (0 for a state signal).</summary>
    [Id(1)] public long Good { get; init; }

    /// <summary>Scrap parts counted since the previous count signal.</summary>
    [Id(2)] public long Scrap { get; init; }

    /// <summary>The new state, for a state signal; null for a count.</summary>
    [Id(3)] public MachineState? State { get; init; }

    /// <summary>Why, for a state signal (for example a downtime reason code); at most 64 characters.</summary>
    [Id(4)] public string Reason { get; init; } = "";
}

/// <summary>The control plane closes the windows a silent machine left open (from the work center's reminder).</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.CloseSilentWindows"), OwnedTransition("work_center", "close_windows")]
public sealed record CloseSilentWindows : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }
}

/// <summary>
/// The telemetry rules. Time between two signals is credited to the state the machine was in, split
/// over the windows it spans; a signal past a window's end closes that window (and any empty ones in
/// between). A signal older than the clock is late: its counts go to the window that contains it while
/// that window is open; a late state change, or a late count for a closed window, is refused
/// (nothing is rewritten).
/// </summary>
public static class WorkCenterRules
{
    /// <summary>The most windows one signal may close (a gap of about ten days of 15-minute windows).</summary>
    public const int MaxWindowsPerSignal = 1000;

    /// <summary>Applies <paramref name="signal"/> at its observed time (<c>metadata.occurred_at</c>).</summary>
    public static Transition<WorkCenter> Record(string key, WorkCenter? current, RecordMachineSignal signal, TelemetrySettings settings)
    {
        var violations = new Violations();
        if (signal.Good < 0)
        {
            violations.Add("good", "must be zero or more");
        }

        if (signal.Scrap < 0)
        {
            violations.Add("scrap", "must be zero or more");
        }

        if (signal.State is null && signal.Good == 0 && signal.Scrap == 0)
        {
            violations.Add("signal", "is required: a count above zero or a state");
        }

        if (signal.State is MachineState.Unknown)
        {
            violations.Add("state", "must be RUNNING, IDLE or DOWN");
        }

        violations.OptionalText(signal.Reason, "reason", 64);
        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        var at = signal.Metadata.OccurredAt.ToUniversalTime();
        var center = current ?? new WorkCenter { Key = key, Clock = at, StateSince = at, Open = [.. settings.WindowsAt(at)] };
        if (at < center.Clock)
        {
            return Late(center, signal, at);
        }

        center = Advance(center, at, settings);
        center = Count(center, signal, at);
        return Transition<WorkCenter>.To(signal.State is { } state && (state != center.State || signal.Reason != center.StateReason)
            ? center with { State = state, StateReason = signal.Reason, StateSince = at }
            : center);
    }

    /// <summary>
    /// Closes every open window that ended at least <see cref="TelemetrySettings.CloseAfter"/> before
    /// the command's time (<c>metadata.occurred_at</c>, the server's clock) without a signal since: the
    /// work center's clock moves to the latest such end, crediting the time to the last state.
    /// Unchanged when no window is due.
    /// </summary>
    public static Transition<WorkCenter> CloseSilent(string key, WorkCenter? current, CloseSilentWindows command, TelemetrySettings settings)
    {
        var now = command.Metadata.OccurredAt.ToUniversalTime();
        var due = current?.Open.Where(w => w.End + settings.CloseAfter <= now && w.End > current.Clock).Select(w => w.End).DefaultIfEmpty().Max();
        return current is null || due is not { } until || until == default
            ? Transition<WorkCenter>.Unchanged()
            : Transition<WorkCenter>.To(Advance(current, until, settings));
    }

    private static Transition<WorkCenter> Late(WorkCenter center, RecordMachineSignal signal, DateTimeOffset at)
    {
        if (signal.State is not null)
        {
            return DomainError.InvalidState("LATE_SIGNAL",
                $"{center.Name} has seen signals up to {center.Clock:O}; a state change at {at:O} cannot be placed in its past.");
        }

        // Counted into every kind of window or none: a window of some kind that contains it has closed.
        if (!center.Open.All(w => w.Start <= at && at < w.End))
        {
            return DomainError.InvalidState("WINDOW_CLOSED",
                $"A window of {center.Name} that contains {at:O} is closed; its counts can no longer change.");
        }

        return Transition<WorkCenter>.To(Count(center, signal, at));
    }

    // Credits the time from the clock to `at` to the current state, closing every window that ends by then.
    private static WorkCenter Advance(WorkCenter center, DateTimeOffset at, TelemetrySettings settings)
    {
        var open = center.Open.ToList();
        var closed = center.Closed.ToBuilder();
        var from = center.Clock;
        for (var closes = 0; closes < MaxWindowsPerSignal; closes++)
        {
            var ending = open.Where(w => w.End <= at).OrderBy(w => w.End).FirstOrDefault();
            var until = ending?.End ?? at;
            for (var i = 0; i < open.Count; i++)
            {
                open[i] = Credit(open[i], center.State, from, until);
            }

            from = until;
            if (ending is null)
            {
                break;
            }

            var index = open.FindIndex(w => w.Kind == ending.Kind);
            closed.Add(open[index] with { IdealCycle = settings.IdealCycles.TryGetValue(center.Key, out var ideal) ? ideal : null });
            open[index] = settings.WindowsAt(ending.End).First(w => w.Kind == ending.Kind);
        }

        // Windows too far behind `at` (a gap longer than MaxWindowsPerSignal windows) are skipped, not invented.
        for (var i = 0; i < open.Count; i++)
        {
            if (open[i].End <= at)
            {
                open[i] = settings.WindowsAt(at).First(w => w.Kind == open[i].Kind);
            }
        }

        foreach (var kind in closed.Select(w => w.Kind).Distinct().ToList())
        {
            var excess = closed.Count(w => w.Kind == kind) - WorkCenter.ClosedKept;
            for (var i = 0; i < closed.Count && excess > 0; i++)
            {
                if (closed[i].Kind == kind)
                {
                    closed.RemoveAt(i--);
                    excess--;
                }
            }
        }

        return center with { Clock = at, Open = [.. open], Closed = closed.ToImmutable() };
    }

    private static TelemetryWindow Credit(TelemetryWindow window, MachineState state, DateTimeOffset from, DateTimeOffset until)
    {
        var start = from > window.Start ? from : window.Start;
        var end = until < window.End ? until : window.End;
        if (end <= start)
        {
            return window;
        }

        var span = end - start;
        return state switch
        {
            MachineState.Running => window with { Run = window.Run + span },
            MachineState.Down => window with { Down = window.Down + span },
            MachineState.Idle => window with { Idle = window.Idle + span },
            _ => window,
        };
    }

    private static WorkCenter Count(WorkCenter center, RecordMachineSignal signal, DateTimeOffset at) =>
        signal.Good == 0 && signal.Scrap == 0 ? center : center with
        {
            Open = [.. center.Open.Select(w => w.Start <= at && at < w.End ? w with { Good = w.Good + signal.Good, Scrap = w.Scrap + signal.Scrap } : w)],
        };
}

/// <summary>The business events of a work center: only its closed windows.</summary>
public static class WorkCenterEvents
{
    /// <summary>The aggregate type in events.</summary>
    public const string AggregateType = "work_center";

    /// <summary>One <c>TelemetryWindowClosed</c> per window the change closed.</summary>
    public static IEnumerable<EventDraft> Describe(WorkCenter? before, WorkCenter after, ICommand command)
    {
        var known = (before?.Closed ?? []).Select(w => (w.Kind, w.Start)).ToHashSet();
        foreach (var window in after.Closed.Where(w => !known.Contains((w.Kind, w.Start))))
        {
            static string? Text(decimal? value) => value?.ToString(CultureInfo.InvariantCulture);
            yield return EventDraft.Of("TelemetryWindowClosed",
                ("work_center", after.Name), ("window_kind", window.Kind),
                ("window_start", window.Start.ToString("O", CultureInfo.InvariantCulture)), ("window_end", window.End.ToString("O", CultureInfo.InvariantCulture)),
                ("good_count", window.Good.ToString(CultureInfo.InvariantCulture)), ("scrap_count", window.Scrap.ToString(CultureInfo.InvariantCulture)),
                ("run_seconds", ((long)window.Run.TotalSeconds).ToString(CultureInfo.InvariantCulture)),
                ("down_seconds", ((long)window.Down.TotalSeconds).ToString(CultureInfo.InvariantCulture)),
                ("idle_seconds", ((long)window.Idle.TotalSeconds).ToString(CultureInfo.InvariantCulture)),
                ("availability", Text(window.Availability)), ("performance", Text(window.Performance)), ("quality", Text(window.Quality)), ("oee", Text(window.Oee)));
        }
    }

    /// <summary>The fields the read model keeps: the machine's state and its last closed interval window's OEE.</summary>
    public static IEnumerable<(string, string?)> Snapshot(WorkCenter center)
    {
        var last = center.Closed.LastOrDefault(w => w.Kind == WindowKinds.Interval);
        return
        [
            ("state", EventText.UpperSnake(center.State)),
            ("state_reason", center.StateReason),
            ("last_window_end", last?.End.ToString("O", CultureInfo.InvariantCulture)),
            ("last_window_oee", last?.Oee?.ToString(CultureInfo.InvariantCulture)),
        ];
    }
}
