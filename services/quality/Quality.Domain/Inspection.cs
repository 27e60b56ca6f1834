using System.Collections.Immutable;
using System.Globalization;
using Manufacturing.Domain;
using Orleans;

namespace Manufacturing.Quality.Domain;

/// <summary>The verdict of an inspection.</summary>
[GenerateSerializer, Alias("quality.InspectionResult")]
public enum InspectionResult
{
    /// <summary>Not used.</summary>
    Unspecified = 0,

    /// <summary>Every characteristic is within its limits.</summary>
    Pass = 1,

    /// <summary>At least one characteristic is outside its limits.</summary>
    Fail = 2,
}

/// <summary>One measured characteristic and its limits.</summary>
[GenerateSerializer, Immutable, Alias("quality.Characteristic")]
public sealed record Characteristic
{
    /// <summary>What was measured (for example "tensile_strength").</summary>
    [Id(0)] public required string Name { get; init; }

    /// <summary>The measured value.</summary>
    [Id(1)] public decimal Value { get; init; }

    /// <summary>The lowest acceptable value, inclusive; null for none.</summary>
    [Id(2)] public decimal? Lower { get; init; }

    /// <summary>The highest acceptable value, inclusive; null for none.</summary>
    [Id(3)] public decimal? Upper { get; init; }

    /// <summary>The unit of the value and limits (free text, for example "MPa").</summary>
    [Id(4)] public string Unit { get => field ?? ""; init; } = "";

    /// <summary>True when the value is within the limits.</summary>
    public bool Passes => (Lower is not { } low || Value >= low) && (Upper is not { } high || Value <= high);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name}={Value}{(Unit.Length > 0 ? " " + Unit : "")} [{Lower?.ToString(CultureInfo.InvariantCulture) ?? "-inf"}, {Upper?.ToString(CultureInfo.InvariantCulture) ?? "+inf"}]");
}

/// <summary>An inspection of one lot: the aggregate owned by the inspection grain, keyed <c>{plant}/{inspection}</c>.</summary>
[GenerateSerializer, Immutable, Alias("quality.Inspection")]
public sealed record Inspection : IAggregate<Inspection>
{
    /// <summary>The grain key.</summary>
    [Id(0)] public required string Key { get; init; }

    /// <summary>The inspected lot's grain key.</summary>
    [Id(1)] public required string LotKey { get; init; }

    /// <summary>What was measured.</summary>
    [Id(2)] public ImmutableArray<Characteristic> Characteristics { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>The verdict, computed from the characteristics.</summary>
    [Id(3)] public InspectionResult Result { get; init; }

    /// <summary>Who inspected.</summary>
    [Id(4)] public string Inspector { get => field ?? ""; init; } = "";

    /// <summary>When (the command's occurred_at).</summary>
    [Id(5)] public DateTimeOffset InspectedAt { get; init; }

    /// <summary>The nonconformance a failed inspection raised (grain key), if any.</summary>
    [Id(6)] public string? Nonconformance { get; init; }

    /// <inheritdoc />
    [Id(7)] public long Version { get; init; }

    /// <summary>The resource name, <c>plants/{plant}/inspections/{inspection}</c>.</summary>
    public string Name => ResourceNames.FromKey("inspections", Key);

    /// <inheritdoc />
    public Inspection WithVersion(long version) => this with { Version = version };
}

/// <summary>Quality records an inspection of a lot.</summary>
[GenerateSerializer, Immutable, Alias("quality.RecordInspection"), OwnedTransition("quality", "inspect")]
public sealed record RecordInspection : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The inspected lot's id within the plant.</summary>
    [Id(1)] public required string LotId { get; init; }

    /// <summary>What was measured.</summary>
    [Id(2)] public ImmutableArray<Characteristic> Characteristics { get; init; } = [];

    /// <summary>Who inspected.</summary>
    [Id(3)] public string Inspector { get; init; } = "";
}

/// <summary>The inspection's rules. Pure.</summary>
public static class InspectionRules
{
    /// <summary>
    /// Records an inspection once (a second one under the same id is ALREADY_EXISTS). The verdict is
    /// computed: FAIL when any characteristic is outside its limits; a FAIL names the nonconformance
    /// it raises, <c>NC-{inspection}</c>.
    /// </summary>
    public static Transition<Inspection> Record(string key, Inspection? current, RecordInspection command)
    {
        var violations = new Violations();
        ResourceNames.ParseId(command.LotId, "lot_id", violations);
        violations.OptionalText(command.Inspector, "inspector", 128);
        if (command.Characteristics.IsDefaultOrEmpty)
        {
            violations.Add("characteristics", "must hold at least one measured characteristic");
        }

        for (var i = 0; i < (command.Characteristics.IsDefault ? 0 : command.Characteristics.Length); i++)
        {
            var c = command.Characteristics[i];
            violations.RequireText(c.Name, $"characteristics[{i}].name", 64);
            if (c.Lower is null && c.Upper is null)
            {
                violations.Add($"characteristics[{i}]", "needs a lower_limit, an upper_limit or both");
            }
            else if (c.Lower > c.Upper)
            {
                violations.Add($"characteristics[{i}].lower_limit", "must not exceed upper_limit");
            }
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (current is not null)
        {
            return DomainError.AlreadyExists($"Inspection {current.Name} was already recorded.");
        }

        var (plant, id) = ResourceNames.SplitKey(key);
        var result = command.Characteristics.All(c => c.Passes) ? InspectionResult.Pass : InspectionResult.Fail;
        return Transition<Inspection>.To(new Inspection
        {
            Key = key,
            LotKey = ResourceNames.Key(plant, command.LotId),
            Characteristics = command.Characteristics,
            Result = result,
            Inspector = command.Inspector,
            InspectedAt = command.Metadata.OccurredAt,
            Nonconformance = result == InspectionResult.Fail ? ResourceNames.Key(plant, NonconformanceId(id)) : null,
        });
    }

    /// <summary>The id of the nonconformance a failed inspection raises (ids longer than 61 characters are shortened by a hash).</summary>
    public static string NonconformanceId(string inspectionId) =>
        inspectionId.Length <= 61 ? $"NC-{inspectionId}"
            : $"NC-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(inspectionId)))[..32]}";
}
