using System.Text.RegularExpressions;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Proto = Manufacturing.Common.V1;

namespace Manufacturing.ServiceDefaults.Grpc;

/// <summary>The wire form of parked exceptions, shared by every service whose aggregates park them.</summary>
public static partial class ExceptionContracts
{
    /// <summary>An exception on the wire, under its resource <paramref name="name"/>.</summary>
    public static Proto.ParkedException ToProto(this ParkedException exception, string name)
    {
        var proto = new Proto.ParkedException
        {
            Name = name,
            Kind = exception.Kind,
            Reason = exception.Reason,
            State = (Proto.ExceptionState)(int)exception.State,
            SourceSystem = SourceSystems.WireName(exception.Source),
            MessageId = exception.MessageId,
            RaiseTime = exception.RaisedAt.ToProto(),
            Reviewer = exception.Reviewer,
            Note = exception.Note,
            ResolveTime = exception.ResolvedAt?.ToProto(),
        };
        proto.Arrived.Add(exception.Arrived);
        proto.Held.Add(exception.Held);
        return proto;
    }

    /// <summary>An exceptions read-model row on the wire.</summary>
    public static Proto.ExceptionSummary ToProto(this ExceptionRow row) => new()
    {
        Name = row.Name,
        Kind = row.Kind,
        State = Lists.ParseState<Proto.ExceptionState>(row.State),
        Reason = row.Reason,
        SourceSystem = row.Source,
        RaiseTime = row.RaisedAt.ToProto(),
    };

    /// <summary>The domain's resolution of a wire resolution.</summary>
    public static ExceptionResolution ToDomain(this Proto.ExceptionResolution resolution) => (ExceptionResolution)(int)resolution;

    /// <summary>
    /// Splits an exception name <c>plants/{plant}/{collection}/{id}/exceptions/{number}</c> into its
    /// aggregate's name and number; reports a violation under <paramref name="field"/> when it is not one.
    /// </summary>
    public static (string AggregateName, int Number) ParseName(string? name, string collection, string field, Violations violations)
    {
        var match = ExceptionName().Match(name ?? "");
        if (!match.Success || match.Groups[2].Value != collection || !int.TryParse(match.Groups[3].Value, out var number))
        {
            violations.Add(field, $"must be an exception name 'plants/{{plant}}/{collection}/{{id}}/exceptions/{{number}}'");
            return ("", 0);
        }

        return (match.Groups[1].Value, number);
    }

    [GeneratedRegex("^(plants/[A-Za-z0-9_-]{1,16}/([A-Za-z]+)/[A-Za-z0-9._-]{1,64})/exceptions/([1-9][0-9]{0,8})$")]
    private static partial Regex ExceptionName();
}
