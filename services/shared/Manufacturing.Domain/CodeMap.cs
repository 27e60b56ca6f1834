using System.Collections.Frozen;

namespace Manufacturing.Domain;

/// <summary>
/// Item codes as each source system speaks them, mapped to the canonical code the aggregates store.
/// SAP material numbers are first normalised from their 18-digit internal form (leading zeros:
/// <c>000000000000012345</c> is <c>12345</c>); then an explicit entry for the source system wins;
/// a code without an entry is taken as canonical already.
/// </summary>
public sealed class CodeMap
{
    private readonly FrozenDictionary<(SourceSystem, string), string> _toCanonical;

    // The way back, for messages to a source system; null where several of its codes map to one canonical code.
    private readonly FrozenDictionary<(SourceSystem, string), string?> _toSource;

    /// <summary>Creates the map from (source system, the system's code, canonical code) entries.</summary>
    public CodeMap(IEnumerable<(SourceSystem Source, string Code, string Canonical)>? entries = null)
    {
        var map = new Dictionary<(SourceSystem, string), string>();
        foreach (var (source, code, canonical) in entries ?? [])
        {
            if (string.IsNullOrWhiteSpace(code) || string.IsNullOrWhiteSpace(canonical))
            {
                throw new ArgumentException($"A code map entry of {source} needs both codes.", nameof(entries));
            }

            map[(source, Normalize(source, code))] = canonical;
        }

        _toCanonical = map.ToFrozenDictionary();
        _toSource = map.GroupBy(entry => (entry.Key.Item1, entry.Value))
            .ToFrozenDictionary(group => group.Key, group => group.Count() == 1 ? group.Single().Key.Item2 : null);
    }

    /// <summary>No entries: SAP numbers are still normalised.</summary>
    public static CodeMap Empty { get; } = new();

    /// <summary>The canonical code of <paramref name="code"/> as <paramref name="source"/> sent it.</summary>
    public string Canonical(SourceSystem source, string code)
    {
        if (string.IsNullOrEmpty(code))
        {
            return code;
        }

        var normalized = Normalize(source, code);
        return _toCanonical.TryGetValue((source, normalized), out var canonical) ? canonical : normalized;
    }

    /// <summary>
    /// The code <paramref name="source"/> knows the canonical code <paramref name="canonical"/> by, for
    /// messages to it: the code of its entry, or the canonical code itself when no entry maps to it.
    /// Null when several of the source's codes map to it, so that which one is meant is not known.
    /// </summary>
    public string? SourceCode(SourceSystem source, string canonical) =>
        _toSource.TryGetValue((source, canonical), out var code) ? code : canonical;

    /// <summary>SAP's external form of a material number: an all-digit number of up to 18 digits without its leading zeros.</summary>
    public static string Normalize(SourceSystem source, string code)
    {
        if (source != SourceSystem.Sap || code.Length is 0 or > 18 || !code.All(char.IsAsciiDigit))
        {
            return code;
        }

        var trimmed = code.TrimStart('0');
        return trimmed.Length == 0 ? "0" : trimmed;
    }

    /// <summary>SAP's 18-digit internal form of an all-digit material number (for messages to SAP).</summary>
    public static string SapInternal(string code) =>
        code.Length is > 0 and <= 18 && code.All(char.IsAsciiDigit) ? code.PadLeft(18, '0') : code;
}
