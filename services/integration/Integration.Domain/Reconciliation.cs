using System.Collections.Immutable;
using System.Globalization;

namespace Manufacturing.Integration.Domain;

/// <summary>One of our records as reconciliation checks it: the read model's current fields.</summary>
/// <param name="AggregateType">The aggregate type (<c>production_order</c>, <c>lot</c>).</param>
/// <param name="AggregateKey">The aggregate's key, <c>{plant}/{id}</c>.</param>
/// <param name="Plant">The plant.</param>
/// <param name="State">Its state (<c>COMPLETED</c>, <c>AVAILABLE</c>, …).</param>
/// <param name="Fields">Its listed fields (<c>good_quantity</c>, <c>quantity</c>, <c>unit_of_measure</c>, …).</param>
/// <param name="ExternalRef">What the connector's last delivery of it answered (a record id, a document), for the report.</param>
public sealed record OurRecord(string AggregateType, string AggregateKey, string Plant, string State, IReadOnlyDictionary<string, string> Fields, string ExternalRef = "")
{
    /// <summary>The aggregate's id within its plant.</summary>
    public string Id => AggregateKey[(AggregateKey.IndexOf('/', StringComparison.Ordinal) + 1)..];

    /// <summary>A field, or "" when absent.</summary>
    public string this[string field] => field == "state" ? State : Fields.GetValueOrDefault(field, "");
}

/// <summary>What an ERP holds for one of our records, in our vocabulary, and how much of it to compare.</summary>
/// <param name="ExternalRef">The ERP's reference (<c>mrp.production/42</c>, <c>material-document/2026/4900000001</c>).</param>
/// <param name="Expected">Our side of each compared field, as the ERP should hold it (for example <c>done</c> = <c>yes</c> for a completed order).</param>
/// <param name="Actual">The ERP's side of the same fields.</param>
public sealed record ErpRecord(string ExternalRef, ImmutableDictionary<string, string> Expected, ImmutableDictionary<string, string> Actual);

/// <summary>A difference between our record and the ERP's, for review: both sides shown.</summary>
/// <param name="AggregateType">The aggregate type.</param>
/// <param name="AggregateKey">The aggregate's key.</param>
/// <param name="Plant">The plant.</param>
/// <param name="Field">What differs (<c>good_quantity</c>, <c>done</c>, <c>exists</c>).</param>
/// <param name="Ours">Our side.</param>
/// <param name="Theirs">The ERP's side.</param>
/// <param name="ExternalRef">The ERP's reference, when it has the record.</param>
public sealed record Drift(string AggregateType, string AggregateKey, string Plant, string Field, string Ours, string Theirs, string ExternalRef);

/// <summary>Compares our records with the ERP's. Pure.</summary>
public static class Reconciliation
{
    /// <summary>The field a record the ERP does not have at all drifts on (ours <c>yes</c>, theirs <c>no</c>).</summary>
    public const string Exists = "exists";

    /// <summary>
    /// The drifts of <paramref name="ours"/> against <paramref name="theirs"/> (null: the ERP does not
    /// have the record). Quantities compare as numbers, so <c>24</c>, <c>24.0</c> and <c>24 EA</c>
    /// agree; everything else compares as text.
    /// </summary>
    public static IReadOnlyList<Drift> Compare(OurRecord ours, ErpRecord? theirs)
    {
        if (theirs is null)
        {
            return [new Drift(ours.AggregateType, ours.AggregateKey, ours.Plant, Exists, "yes", "no", ours.ExternalRef)];
        }

        return [.. theirs.Expected
            .Where(expected => !Agree(expected.Value, theirs.Actual.GetValueOrDefault(expected.Key, "")))
            .OrderBy(expected => expected.Key, StringComparer.Ordinal)
            .Select(expected => new Drift(ours.AggregateType, ours.AggregateKey, ours.Plant, expected.Key, expected.Value,
                theirs.Actual.GetValueOrDefault(expected.Key, ""), theirs.ExternalRef))];
    }

    /// <summary>The number at the start of a quantity text (<c>24 EA</c> → 24), or null.</summary>
    public static decimal? Number(string text)
    {
        var head = text.Trim().Split(' ', 2)[0];
        return decimal.TryParse(head, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    /// <summary>A number as reconciliation shows it: invariant, without trailing zeros (24.000 → 24).</summary>
    public static string Text(decimal value) => (value / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    private static bool Agree(string ours, string theirs) =>
        Number(ours) is { } a && Number(theirs) is { } b ? a == b : string.Equals(ours.Trim(), theirs.Trim(), StringComparison.Ordinal);
}

/// <summary>
/// A purchase order's confirmed delivery days per line as the read model lists them
/// (<c>00010=2026-12-12 00020=2026-12-20</c>), and as reconciliation shows the ERP's side (a line the
/// ERP does not have shows <c>00010=missing</c>).
/// </summary>
public static class ConfirmedDates
{
    /// <summary>The days by line id.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(pair => pair.Split('=', 2)).Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);

    /// <summary>The text of <paramref name="days"/>, by line id; an empty day reads <c>missing</c>.</summary>
    public static string Text(IReadOnlyDictionary<string, string> days) =>
        string.Join(' ', days.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key}={(d.Value.Length > 0 ? d.Value : "missing")}"));
}
