namespace Manufacturing.Integration.Domain;

/// <summary>
/// SAP's material number conversion (the MATN1 exit with the default length of 18): a number made of
/// digits only is stored right-aligned with leading zeros (<c>4711</c> ↔ <c>000000000000004711</c>);
/// any other material number is stored as it is. Canonical codes carry the external form.
/// </summary>
public static class SapMaterialNumber
{
    /// <summary>The stored length of a numeric material number.</summary>
    public const int Length = 18;

    /// <summary>The internal (stored) form of <paramref name="material"/>; throws when a numeric one is longer than 18 digits.</summary>
    public static string ToInternal(string material)
    {
        var value = material.Trim();
        if (value.Length == 0 || !value.All(char.IsAsciiDigit))
        {
            return value;
        }

        return value.Length <= Length
            ? value.PadLeft(Length, '0')
            : throw new ArgumentException($"Material number {value} has more than {Length} digits.", nameof(material));
    }

    /// <summary>The external (displayed) form: leading zeros of a numeric material number removed (all zeros stay one zero).</summary>
    public static string ToExternal(string material)
    {
        var value = material.Trim();
        if (value.Length == 0 || !value.All(char.IsAsciiDigit))
        {
            return value;
        }

        var trimmed = value.TrimStart('0');
        return trimmed.Length == 0 ? "0" : trimmed;
    }
}
