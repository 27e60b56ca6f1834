using Manufacturing.Domain;
using Microsoft.Extensions.Configuration;

namespace Manufacturing.ServiceDefaults;

/// <summary>
/// The domain settings of a deployment, read once at start-up (a bad value stops the host): which
/// ERP each plant runs, the units of measure and packaging, the item-code maps.
/// </summary>
public static class DomainConfiguration
{
    /// <summary>The plants configured when a deployment configures none: P100 runs Odoo, P200 runs SAP.</summary>
    public static IReadOnlyDictionary<string, string?> DefaultPlants { get; } = new Dictionary<string, string?>
    {
        ["Plants:P100:Erp"] = "odoo",
        ["Plants:P200:Erp"] = "sap",
    };

    /// <summary>
    /// Reads <c>Plants:{plant}:Erp</c> (odoo or sap) for every configured plant; a bad value stops the
    /// host at start-up with the plant named.
    /// </summary>
    public static OwnershipPolicy PolicyFrom(IConfiguration configuration)
    {
        var plants = new Dictionary<string, SourceSystem>(StringComparer.Ordinal);
        foreach (var plant in configuration.GetSection("Plants").GetChildren())
        {
            var erp = plant["Erp"];
            plants[plant.Key] = SourceSystems.Parse(erp) is { } system and (SourceSystem.Odoo or SourceSystem.Sap)
                ? system
                : throw new InvalidOperationException($"Plants:{plant.Key}:Erp is '{erp}'; it must be odoo or sap.");
        }

        return new OwnershipPolicy(plants);
    }

    /// <summary>
    /// The units of measure: the standard ones plus per-material packaging from
    /// <c>Units:Packaging:{material}:{unit}</c> = how many EA one such unit holds (for example
    /// <c>Units__Packaging__BOLT-M8__BOX=100</c>). A bad value stops the host at start-up.
    /// </summary>
    public static UnitCatalog UnitsFrom(IConfiguration configuration)
    {
        var packaging = new List<(string, string, decimal)>();
        foreach (var material in configuration.GetSection("Units:Packaging").GetChildren())
        {
            foreach (var unit in material.GetChildren())
            {
                packaging.Add(decimal.TryParse(unit.Value, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var each) && each > 0
                    ? (material.Key, unit.Key, each)
                    : throw new InvalidOperationException($"Units:Packaging:{material.Key}:{unit.Key} is '{unit.Value}'; it must be the number of EA one {unit.Key} holds."));
            }
        }

        return new UnitCatalog(packaging);
    }

    /// <summary>
    /// The code maps: <c>Codes:{source}:{code}</c> = canonical code (for example
    /// <c>Codes__sap__12345=STEEL-S235</c>, <c>Codes__odoo__FURN_8888=BIKE-26</c>). SAP keys may be
    /// given with or without leading zeros. An unknown source system stops the host at start-up.
    /// </summary>
    public static CodeMap CodesFrom(IConfiguration configuration)
    {
        var entries = new List<(SourceSystem, string, string)>();
        foreach (var system in configuration.GetSection("Codes").GetChildren())
        {
            var source = SourceSystems.Parse(system.Key)
                ?? throw new InvalidOperationException($"Codes:{system.Key}: '{system.Key}' is not a source system ({SourceSystems.AllWireNames}).");
            entries.AddRange(system.GetChildren().Select(c => (source, c.Key, c.Value ?? "")));
        }

        return new CodeMap(entries);
    }
}
