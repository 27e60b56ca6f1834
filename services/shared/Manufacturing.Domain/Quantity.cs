using System.Globalization;
using System.Text.RegularExpressions;
using Orleans;

namespace Manufacturing.Domain;

/// <summary>An exact decimal quantity with its unit of measure. Never a floating-point number.</summary>
[GenerateSerializer, Immutable, Alias("mfg.Quantity")]
public sealed partial record Quantity
{
    /// <summary>The largest number of decimal places a quantity may carry.</summary>
    public const int MaxDecimalPlaces = 6;

    /// <summary>Creates a quantity; <paramref name="value"/> is normalised (trailing zeros removed).</summary>
    public Quantity(decimal value, string unit)
    {
        Value = Normalize(value);
        Unit = unit;
    }

    /// <summary>The amount, normalised so that 1.50 and 1.5 are the same quantity.</summary>
    [Id(0)] public decimal Value { get; init; }

    /// <summary>The unit of measure code, for example <c>KG</c>.</summary>
    [Id(1)] public string Unit { get; init; }

    /// <summary>The amount as the contracts write it: invariant culture, no exponent.</summary>
    public string ValueText => Format(Value);

    /// <summary>A decimal as the contracts write amounts: normalised, invariant culture, no exponent.</summary>
    public static string Format(decimal value) => Normalize(value).ToString(CultureInfo.InvariantCulture);

    /// <summary>Adds two quantities of the same unit.</summary>
    public Quantity Plus(Quantity other)
    {
        if (other.Unit != Unit)
        {
            throw new InvalidOperationException($"Cannot add {other.Unit} to {Unit}.");
        }

        return new Quantity(Value + other.Value, Unit);
    }

    /// <inheritdoc />
    public override string ToString() => $"{ValueText} {Unit}";

    /// <summary>
    /// Parses the wire form (a decimal string and a unit code) and reports each problem as a field
    /// violation under <paramref name="field"/>.
    /// </summary>
    public static Quantity? Parse(string? value, string? unit, string field, Violations violations, bool mustBePositive = true)
    {
        var amount = ParseDecimal(value, $"{field}.value", violations);
        var ok = amount is not null;
        if (amount is { } parsed && mustBePositive && parsed <= 0)
        {
            violations.Add($"{field}.value", "must be greater than zero");
            ok = false;
        }

        if (string.IsNullOrEmpty(unit))
        {
            violations.Add($"{field}.unit_of_measure", "is required");
            ok = false;
        }
        else if (!UnitCode().IsMatch(unit))
        {
            violations.Add($"{field}.unit_of_measure", "must be 1 to 16 characters from A-Z, 0-9 and _ (for example \"KG\")");
            ok = false;
        }

        return ok ? new Quantity(amount!.Value, unit!) : null;
    }

    /// <summary>
    /// Parses a plain decimal string (optional '-', digits, optional '.' and digits; no exponent, no
    /// separators, at most 28 digits and <see cref="MaxDecimalPlaces"/> decimal places), reporting a
    /// violation on <paramref name="field"/> when it is missing or malformed.
    /// </summary>
    public static decimal? ParseDecimal(string? value, string field, Violations violations)
    {
        if (string.IsNullOrEmpty(value))
        {
            violations.Add(field, "is required");
            return null;
        }

        if (!DecimalText().IsMatch(value) ||
            !decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            violations.Add(field, "must be a plain decimal number such as \"12.5\" (no exponent, no separators, at most 28 digits)");
            return null;
        }

        if (Normalize(amount).Scale > MaxDecimalPlaces)
        {
            violations.Add(field, $"must have at most {MaxDecimalPlaces} decimal places");
            return null;
        }

        return Normalize(amount);
    }

    private static decimal Normalize(decimal value) => value / 1.000000000000000000000000000000000m;

    [GeneratedRegex(@"^-?[0-9]{1,28}(\.[0-9]{1,28})?$")]
    private static partial Regex DecimalText();

    [GeneratedRegex("^[A-Z0-9_]{1,16}$")]
    private static partial Regex UnitCode();
}
