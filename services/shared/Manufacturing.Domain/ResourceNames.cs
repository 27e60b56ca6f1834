using System.Text.RegularExpressions;

namespace Manufacturing.Domain;

/// <summary>
/// Resource names (<c>plants/{plant}/lots/{lot}</c>) and the grain keys derived from them
/// (<c>{plant}/{id}</c>): keys start with the plant so that placement can keep a plant's grains together.
/// </summary>
public static partial class ResourceNames
{
    /// <summary>The grain key of a resource of a plant.</summary>
    public static string Key(string plant, string id) => $"{plant}/{id}";

    /// <summary>Splits a grain key into plant and id.</summary>
    public static (string Plant, string Id) SplitKey(string key)
    {
        var slash = key.IndexOf('/');
        if (slash <= 0 || slash == key.Length - 1)
        {
            throw new ArgumentException($"'{key}' is not a plant-scoped key.", nameof(key));
        }

        return (key[..slash], key[(slash + 1)..]);
    }

    /// <summary>The resource name for a grain key in a collection (<c>lots</c>, <c>productionOrders</c>).</summary>
    public static string FromKey(string collection, string key)
    {
        var (plant, id) = SplitKey(key);
        return $"plants/{plant}/{collection}/{id}";
    }

    /// <summary>Parses <c>plants/{plant}</c>; reports a violation on <paramref name="field"/>.</summary>
    public static string? ParsePlant(string? parent, string field, Violations violations)
    {
        var match = parent is null ? null : PlantName().Match(parent);
        if (match is not { Success: true })
        {
            violations.Add(field, string.IsNullOrEmpty(parent)
                ? "is required"
                : "must be a plant name 'plants/{plant}', the plant being 1 to 16 characters from A-Z, a-z, 0-9, _ and -");
            return null;
        }

        return match.Groups[1].Value;
    }

    /// <summary>Parses <c>plants/{plant}/{collection}/{id}</c> into a grain key; reports a violation on <paramref name="field"/>.</summary>
    public static string? ParseKey(string? name, string collection, string field, Violations violations)
    {
        var match = name is null ? null : ResourceName().Match(name);
        if (match is not { Success: true } || match.Groups[2].Value != collection)
        {
            violations.Add(field, string.IsNullOrEmpty(name)
                ? "is required"
                : $"must be a resource name 'plants/{{plant}}/{collection}/{{id}}'");
            return null;
        }

        return Key(match.Groups[1].Value, match.Groups[3].Value);
    }

    /// <summary>Checks an id chosen by a client (order number, lot number).</summary>
    public static string? ParseId(string? id, string field, Violations violations)
    {
        var value = violations.RequireText(id, field, 64, IdPattern(), "must be 1 to 64 characters from A-Z, a-z, 0-9 and . _ -");
        return value.Length > 0 && IdPattern().IsMatch(value) && value.Length <= 64 ? value : null;
    }

    [GeneratedRegex("^plants/([A-Za-z0-9_-]{1,16})$")]
    private static partial Regex PlantName();

    [GeneratedRegex("^plants/([A-Za-z0-9_-]{1,16})/([A-Za-z]+)/([A-Za-z0-9._-]{1,64})$")]
    private static partial Regex ResourceName();

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex IdPattern();
}
