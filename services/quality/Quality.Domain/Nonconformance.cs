using System.Collections.Immutable;
using Manufacturing.Domain;
using Orleans;

namespace Manufacturing.Quality.Domain;

/// <summary>Where a nonconformance stands.</summary>
[GenerateSerializer, Alias("quality.NonconformanceStatus")]
public enum NonconformanceStatus
{
    /// <summary>Not used.</summary>
    Unspecified = 0,

    /// <summary>Raised: its lots are blocked until a disposition.</summary>
    Open = 1,

    /// <summary>Decided: its lots were changed accordingly.</summary>
    Dispositioned = 2,
}

/// <summary>What quality decides for nonconforming material.</summary>
[GenerateSerializer, Alias("quality.Disposition")]
public enum Disposition
{
    /// <summary>Not decided.</summary>
    Unspecified = 0,

    /// <summary>Use the material as it is: the lots are released.</summary>
    UseAsIs = 1,

    /// <summary>Rework it: the lots stay blocked until rework is inspected again.</summary>
    Rework = 2,

    /// <summary>Scrap it: the lots are scrapped.</summary>
    Scrap = 3,

    /// <summary>Return it to the supplier: the lots leave stock as returned.</summary>
    ReturnToSupplier = 4,
}

/// <summary>A nonconformance: material that does not meet its specification. Keyed <c>{plant}/{nc}</c>.</summary>
[GenerateSerializer, Immutable, Alias("quality.Nonconformance")]
public sealed record Nonconformance : IAggregate<Nonconformance>
{
    /// <summary>The grain key.</summary>
    [Id(0)] public required string Key { get; init; }

    /// <summary>The nonconforming lots (grain keys).</summary>
    [Id(1)] public ImmutableArray<string> Lots { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>What is wrong.</summary>
    [Id(2)] public string Description { get => field ?? ""; init; } = "";

    /// <summary>The inspection that raised it (grain key), if one did.</summary>
    [Id(3)] public string? Inspection { get; init; }

    /// <summary>Where it stands.</summary>
    [Id(4)] public NonconformanceStatus Status { get; init; }

    /// <summary>The decision, once taken.</summary>
    [Id(5)] public Disposition Disposition { get; init; }

    /// <summary>True when quality holds the supplier accountable (recorded with the disposition).</summary>
    [Id(6)] public bool SupplierAccountable { get; init; }

    /// <summary>The vendors the lots came from (as inventory recorded them at receipt).</summary>
    [Id(7)] public ImmutableArray<string> Vendors { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>The production orders that had consumed the lots when it was raised (flagged).</summary>
    [Id(8)] public ImmutableArray<string> AffectedProductionOrders { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>When it was raised.</summary>
    [Id(9)] public DateTimeOffset RaisedAt { get; init; }

    /// <summary>When it was dispositioned.</summary>
    [Id(10)] public DateTimeOffset? DispositionedAt { get; init; }

    /// <summary>The disposition's note.</summary>
    [Id(11)] public string DispositionNote { get => field ?? ""; init; } = "";

    /// <inheritdoc />
    [Id(12)] public long Version { get; init; }

    /// <summary>The resource name, <c>plants/{plant}/nonconformances/{nc}</c>.</summary>
    public string Name => ResourceNames.FromKey("nonconformances", Key);

    /// <inheritdoc />
    public Nonconformance WithVersion(long version) => this with { Version = version };
}

/// <summary>Quality raises a nonconformance for lots (directly or through a failed inspection).</summary>
[GenerateSerializer, Immutable, Alias("quality.RaiseNonconformance"), OwnedTransition("quality", "raise_nonconformance")]
public sealed record RaiseNonconformance : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The lots' ids within the plant.</summary>
    [Id(1)] public ImmutableArray<string> LotIds { get; init; } = [];

    /// <summary>What is wrong.</summary>
    [Id(2)] public required string Description { get; init; }

    /// <summary>The inspection that raised it (grain key), if one did.</summary>
    [Id(3)] public string? Inspection { get; init; }
}

/// <summary>Quality decides a nonconformance.</summary>
[GenerateSerializer, Immutable, Alias("quality.DispositionNonconformance"), OwnedTransition("quality", "disposition")]
public sealed record DispositionNonconformance : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The decision.</summary>
    [Id(1)] public required Disposition Disposition { get; init; }

    /// <summary>Whether the supplier is accountable.</summary>
    [Id(2)] public bool SupplierAccountable { get; init; }

    /// <summary>Why, for the record.</summary>
    [Id(3)] public string Note { get; init; } = "";
}

/// <summary>The nonconformance's rules. Pure; the grain applies the lot effects.</summary>
public static class NonconformanceRules
{
    /// <summary>Raises a nonconformance once (a second raise under another message id is ALREADY_EXISTS).</summary>
    public static Transition<Nonconformance> Raise(string key, Nonconformance? current, RaiseNonconformance command)
    {
        var violations = new Violations();
        violations.RequireText(command.Description, "description", 1024);
        if (command.LotIds.IsDefaultOrEmpty)
        {
            violations.Add("lots", "must name at least one lot");
        }

        for (var i = 0; i < (command.LotIds.IsDefault ? 0 : command.LotIds.Length); i++)
        {
            ResourceNames.ParseId(command.LotIds[i], $"lots[{i}]", violations);
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (current is not null)
        {
            return DomainError.AlreadyExists($"Nonconformance {current.Name} was already raised.");
        }

        var plant = ResourceNames.SplitKey(key).Plant;
        return Transition<Nonconformance>.To(new Nonconformance
        {
            Key = key,
            Lots = [.. command.LotIds.Distinct().Select(id => ResourceNames.Key(plant, id))],
            Description = command.Description,
            Inspection = command.Inspection,
            Status = NonconformanceStatus.Open,
            RaisedAt = command.Metadata.OccurredAt,
        });
    }

    /// <summary>
    /// Decides an open nonconformance. The same decision again is accepted unchanged; another decision
    /// after one was taken is refused.
    /// </summary>
    public static Transition<Nonconformance> Decide(string key, Nonconformance? current, DispositionNonconformance command)
    {
        var violations = new Violations();
        violations.OptionalText(command.Note, "note", 1024);
        if (command.Disposition == Disposition.Unspecified)
        {
            violations.Add("disposition", "is required");
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (current is null)
        {
            return DomainError.NotFound($"Nonconformance {ResourceNames.FromKey("nonconformances", key)} does not exist.");
        }

        if (current.Status == NonconformanceStatus.Dispositioned)
        {
            return current.Disposition == command.Disposition && current.SupplierAccountable == command.SupplierAccountable
                ? Transition<Nonconformance>.Unchanged()
                : DomainError.InvalidState("NONCONFORMANCE_DECIDED", $"{current.Name} was already dispositioned as {current.Disposition}.");
        }

        return Transition<Nonconformance>.To(current with
        {
            Status = NonconformanceStatus.Dispositioned,
            Disposition = command.Disposition,
            SupplierAccountable = command.SupplierAccountable,
            DispositionNote = command.Note,
            DispositionedAt = command.Metadata.OccurredAt,
        });
    }
}
