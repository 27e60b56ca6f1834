using System.Collections.Immutable;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Manufacturing.ServiceDefaults.Grpc;
using Domain = Manufacturing.ShopFloor.Domain;
using Proto = Manufacturing.ShopFloor.V1;

namespace Manufacturing.ShopFloor.Api.Mapping;

/// <summary>Work centers between the domain and the v1 contract, and their telemetry settings from configuration.</summary>
internal static class WorkCenterMapping
{
    /// <summary>The work center on the wire: closed windows newest first.</summary>
    public static Proto.WorkCenter ToProto(this Domain.WorkCenter center)
    {
        var proto = new Proto.WorkCenter
        {
            Name = center.Name,
            State = (Proto.MachineState)(int)center.State,
            StateReason = center.StateReason,
            StateStartTime = center.StateSince.ToProto(),
            ClockTime = center.Clock.ToProto(),
            Version = center.Version,
        };
        proto.OpenWindows.AddRange(center.Open.Select(ToProto));
        proto.ClosedWindows.AddRange(center.Closed.Reverse().Select(ToProto));
        return proto;
    }

    private static Proto.TelemetryWindow ToProto(Domain.TelemetryWindow window)
    {
        var proto = new Proto.TelemetryWindow
        {
            Kind = window.Kind,
            StartTime = window.Start.ToProto(),
            EndTime = window.End.ToProto(),
            GoodCount = window.Good,
            ScrapCount = window.Scrap,
            RunTime = Duration.FromTimeSpan(window.Run),
            DownTime = Duration.FromTimeSpan(window.Down),
            IdleTime = Duration.FromTimeSpan(window.Idle),
        };
        if (window.Availability is { } a)
        {
            proto.Availability = (double)a;
        }

        if (window.Performance is { } p)
        {
            proto.Performance = (double)p;
        }

        if (window.Quality is { } q)
        {
            proto.Quality = (double)q;
        }

        if (window.Oee is { } oee)
        {
            proto.Oee = (double)oee;
        }

        return proto;
    }

    /// <summary>
    /// The telemetry settings: <c>ShopFloor:Telemetry:WindowMinutes</c> (default 15),
    /// <c>ShopFloor:Telemetry:ShiftStarts</c> (UTC times of day, comma-separated; default
    /// "06:00,14:00,22:00"; empty for none), <c>ShopFloor:Telemetry:CloseAfter</c> (default 00:30:00) and
    /// <c>Plants:{plant}:WorkCenters:{work center}:IdealCycleSeconds</c>.
    /// Throws at start-up when a value is malformed.
    /// </summary>
    public static Domain.TelemetrySettings Settings(IConfiguration configuration)
    {
        var minutes = configuration.GetValue("ShopFloor:Telemetry:WindowMinutes", 15);
        if (minutes is < 1 or > 1440 || 1440 % minutes != 0)
        {
            throw new InvalidOperationException($"ShopFloor:Telemetry:WindowMinutes is {minutes}; it must divide a day (1 to 1440, for example 15 or 60).");
        }

        var shifts = configuration["ShopFloor:Telemetry:ShiftStarts"] ?? "06:00,14:00,22:00";
        var starts = shifts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => TimeSpan.TryParseExact(s, @"hh\:mm", CultureInfo.InvariantCulture, out var t) && t < TimeSpan.FromDays(1)
                ? t
                : throw new InvalidOperationException($"ShopFloor:Telemetry:ShiftStarts has '{s}'; write UTC times of day as HH:mm, comma-separated."))
            .Distinct().Order().ToImmutableArray();
        var ideal = ImmutableDictionary.CreateBuilder<string, TimeSpan>();
        foreach (var plant in configuration.GetSection("Plants").GetChildren())
        {
            foreach (var center in plant.GetSection("WorkCenters").GetChildren())
            {
                if (center["IdealCycleSeconds"] is { } text)
                {
                    ideal[$"{plant.Key}/{center.Key}"] = decimal.TryParse(text, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                        ? TimeSpan.FromTicks((long)(seconds * TimeSpan.TicksPerSecond))
                        : throw new InvalidOperationException($"Plants:{plant.Key}:WorkCenters:{center.Key}:IdealCycleSeconds is '{text}'; it must be a positive number of seconds.");
                }
            }
        }

        var closeAfter = configuration.GetValue("ShopFloor:Telemetry:CloseAfter", TimeSpan.FromMinutes(30));
        if (closeAfter < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"ShopFloor:Telemetry:CloseAfter is {closeAfter}; it must be zero or more (for example 00:30:00).");
        }

        return new Domain.TelemetrySettings
        {
            Interval = TimeSpan.FromMinutes(minutes), ShiftStarts = starts, IdealCycles = ideal.ToImmutable(), CloseAfter = closeAfter,
        };
    }
}
