using System.Collections.Frozen;

namespace Manufacturing.Domain;

/// <summary>What a unit measures; only units of one dimension convert into each other.</summary>
public enum Dimension
{
    /// <summary>Mass (base KG).</summary>
    Mass,

    /// <summary>Length (base M).</summary>
    Length,

    /// <summary>Volume (base L).</summary>
    Volume,

    /// <summary>Count (base EA).</summary>
    Count,
}

/// <summary>A unit: its dimension and how many base units one of it is (exact).</summary>
/// <param name="Code">The unit code.</param>
/// <param name="Dimension">What it measures.</param>
/// <param name="Factor">Base units per one of this unit.</param>
public sealed record UnitDefinition(string Code, Dimension Dimension, decimal Factor);

/// <summary>
/// Units of measure and exact conversions between them: mass, length, volume and count, plus
/// per-material packaging (for example BOX = 12 EA for one material). A conversion is refused when
/// a unit is unknown, the units measure different things, or the result is not exact within
/// <see cref="DecimalPlaces"/> decimal places (1 EA in DZ), so converting there and back always
/// returns the original quantity.
/// </summary>
public sealed class UnitCatalog
{
    /// <summary>The built-in units. Factors are exact (the inch is 0.0254 m by definition, the pound 0.45359237 kg).</summary>
    public static IReadOnlyList<UnitDefinition> Standard { get; } =
    [
        new("MG", Dimension.Mass, 0.000001m), new("G", Dimension.Mass, 0.001m), new("KG", Dimension.Mass, 1m), new("T", Dimension.Mass, 1000m),
        new("LB", Dimension.Mass, 0.45359237m), new("OZ", Dimension.Mass, 0.028349523125m),
        new("MM", Dimension.Length, 0.001m), new("CM", Dimension.Length, 0.01m), new("M", Dimension.Length, 1m), new("KM", Dimension.Length, 1000m),
        new("IN", Dimension.Length, 0.0254m), new("FT", Dimension.Length, 0.3048m),
        new("ML", Dimension.Volume, 0.001m), new("L", Dimension.Volume, 1m), new("M3", Dimension.Volume, 1000m), new("GAL", Dimension.Volume, 3.785411784m),
        new("EA", Dimension.Count, 1m), new("PC", Dimension.Count, 1m), new("PR", Dimension.Count, 2m), new("DZ", Dimension.Count, 12m),
    ];

    /// <summary>The precision of converted quantities (finer than the wire's six, so 1 LB is exactly 0.45359237 KG).</summary>
    public const int DecimalPlaces = 12;

    private readonly FrozenDictionary<string, UnitDefinition> _units;
    private readonly FrozenDictionary<(string Material, string Unit), decimal> _packaging;

    /// <summary>Creates the catalog with the standard units and <paramref name="packaging"/>: per material, a packaging unit and how many EA it holds.</summary>
    public UnitCatalog(IEnumerable<(string Material, string Unit, decimal Each)>? packaging = null)
    {
        _units = Standard.ToFrozenDictionary(u => u.Code, StringComparer.Ordinal);
        var packs = new Dictionary<(string, string), decimal>();
        foreach (var (material, unit, each) in packaging ?? [])
        {
            if (each <= 0 || _units.ContainsKey(unit))
            {
                throw new ArgumentException($"Packaging {unit} of {material}: the unit must not be a standard unit and must hold more than zero EA.", nameof(packaging));
            }

            packs[(material, unit)] = each;
        }

        _packaging = packs.ToFrozenDictionary();
    }

    /// <summary>The standard units only.</summary>
    public static UnitCatalog Default { get; } = new();

    /// <summary>
    /// <paramref name="quantity"/> in <paramref name="targetUnit"/>, for <paramref name="material"/>
    /// (which decides packaging units); the refusal names <paramref name="field"/>.
    /// </summary>
    public (Quantity? Quantity, DomainError? Error) Convert(Quantity quantity, string targetUnit, string material, string field)
    {
        if (quantity.Unit == targetUnit)
        {
            return (quantity, null);
        }

        if (Resolve(quantity.Unit, material) is not { } from)
        {
            return (null, Refuse(field, $"'{quantity.Unit}' is not a known unit{PackagingHint(material)}"));
        }

        if (Resolve(targetUnit, material) is not { } to)
        {
            return (null, Refuse(field, $"the target unit '{targetUnit}' is not known{PackagingHint(material)}"));
        }

        if (from.Dimension != to.Dimension)
        {
            return (null, Refuse(field, $"{quantity.Unit} ({from.Dimension}) cannot be converted to {targetUnit} ({to.Dimension})"));
        }

        var value = quantity.Value * from.Factor / to.Factor;
        var rounded = Math.Round(value, DecimalPlaces);
        if (rounded != value || rounded * to.Factor != quantity.Value * from.Factor)
        {
            return (null, Refuse(field, $"{quantity} is not exactly expressible in {targetUnit} with {DecimalPlaces} decimal places; send it in {targetUnit}"));
        }

        return (new Quantity(rounded, targetUnit), null);
    }

    /// <summary>True when <paramref name="unit"/> is known (as a standard unit or a packaging of <paramref name="material"/>).</summary>
    public bool IsKnown(string unit, string material) => Resolve(unit, material) is not null;

    private UnitDefinition? Resolve(string unit, string material) =>
        _units.TryGetValue(unit, out var standard) ? standard
        : _packaging.TryGetValue((material, unit), out var each) ? new UnitDefinition(unit, Dimension.Count, each)
        : null;

    private string PackagingHint(string material) =>
        $" (standard units: {string.Join(", ", Standard.Select(u => u.Code))}; packaging units of {material}: {(_packaging.Keys.Where(k => k.Material == material).Select(k => k.Unit).DefaultIfEmpty("none").Aggregate((a, b) => $"{a}, {b}"))})";

    private static DomainError Refuse(string field, string description) =>
        DomainError.Invalid($"The quantity cannot be used: {description}.", new FieldViolation($"{field}.unit_of_measure", description));
}
