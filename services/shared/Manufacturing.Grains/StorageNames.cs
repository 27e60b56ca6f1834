namespace Manufacturing.Grains;

/// <summary>
/// The named grain-storage provider of each domain. Each domain host registers only its own; the
/// state names inside a provider are unique per grain class (rows are keyed by state name and key).
/// </summary>
public static class StorageNames
{
    /// <summary>Inventory's storage.</summary>
    public const string Inventory = "inventory";

    /// <summary>Procurement's storage.</summary>
    public const string Procurement = "procurement";

    /// <summary>Quality's storage.</summary>
    public const string Quality = "quality";

    /// <summary>The shop floor's storage.</summary>
    public const string ShopFloor = "shopfloor";

    /// <summary>The integration service's storage.</summary>
    public const string Integration = "integration";
}
