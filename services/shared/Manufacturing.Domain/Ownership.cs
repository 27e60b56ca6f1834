using System.Collections.Frozen;
using System.Collections.Immutable;
using Orleans;

namespace Manufacturing.Domain;

/// <summary>The system a command came from, as the gateway names it on the call.</summary>
[GenerateSerializer, Alias("mfg.SourceSystem")]
public enum SourceSystem
{
    /// <summary>Not named: refused by every owned transition.</summary>
    Unspecified = 0,

    /// <summary>Odoo (ERP).</summary>
    Odoo = 1,

    /// <summary>SAP S/4HANA or ECC (ERP).</summary>
    Sap = 2,

    /// <summary>The plant's manufacturing execution system (machines, barcode stations, operators).</summary>
    Mes = 3,

    /// <summary>A supplier (portal, EDI or API).</summary>
    Supplier = 4,

    /// <summary>The quality system or lab.</summary>
    Quality = 5,

    /// <summary>The plant's warehouse (WMS, goods-receipt stations, cycle counts).</summary>
    Warehouse = 6,

    /// <summary>A person resolving exceptions in the control plane (buyer, planner, quality engineer).</summary>
    Reviewer = 7,

    /// <summary>The control plane itself (reminders, timers); never accepted from a caller.</summary>
    ControlPlane = 8,
}

/// <summary>Who owns a transition; <see cref="PlantErp"/> is resolved per plant.</summary>
public enum OwnerRole
{
    /// <summary>The ERP the plant runs (Odoo or SAP, per plant).</summary>
    PlantErp,

    /// <summary><see cref="SourceSystem.Mes"/>.</summary>
    Mes,

    /// <summary><see cref="SourceSystem.Supplier"/>.</summary>
    Supplier,

    /// <summary><see cref="SourceSystem.Quality"/>.</summary>
    Quality,

    /// <summary><see cref="SourceSystem.Warehouse"/>.</summary>
    Warehouse,

    /// <summary><see cref="SourceSystem.Reviewer"/>.</summary>
    Reviewer,

    /// <summary><see cref="SourceSystem.ControlPlane"/>: the aggregate's own reminders.</summary>
    ControlPlane,
}

/// <summary>Names the owned transition a command performs; every command class carries one.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class OwnedTransitionAttribute(string aggregate, string transition) : Attribute
{
    /// <summary>The aggregate, as in <see cref="OwnershipTable"/> (for example <c>purchase_order</c>).</summary>
    public string Aggregate { get; } = aggregate;

    /// <summary>The transition (for example <c>confirm_line</c>).</summary>
    public string Transition { get; } = transition;
}

/// <summary>One row of the ownership table.</summary>
/// <param name="Aggregate">The aggregate.</param>
/// <param name="Transition">The transition.</param>
/// <param name="Owners">Who may perform it.</param>
/// <param name="Description">What it is, for the documentation.</param>
public sealed record OwnershipRule(string Aggregate, string Transition, ImmutableArray<OwnerRole> Owners, string Description);

/// <summary>
/// The declared system-of-record table: which source system may perform each transition of each
/// aggregate. <c>docs/ownership.md</c> is checked against it by a unit test.
/// </summary>
public static class OwnershipTable
{
    /// <summary>Every owned transition.</summary>
    public static ImmutableArray<OwnershipRule> Rules { get; } =
    [
        Rule("production_order", "release", "Release a production order (product, BOM, routing, dates)", OwnerRole.PlantErp),
        Rule("production_order", "amend", "Amend quantity or planned dates", OwnerRole.PlantErp),
        Rule("production_order", "cancel", "Cancel before execution", OwnerRole.PlantErp),
        Rule("production_order", "close", "Close a completed order", OwnerRole.PlantErp),
        Rule("production_order", "execute", "Operation started, paused, resumed, completed", OwnerRole.Mes),
        Rule("production_order", "consume_material", "Material consumed from a lot", OwnerRole.Mes),
        Rule("production_order", "declare_output", "Output declared into a lot", OwnerRole.Mes),
        Rule("production_order", "resolve_exception", "Approve, reject or correct a parked consumption (unknown lot, component outside the BOM)", OwnerRole.Reviewer),
        Rule("work_center", "telemetry", "Machine signals: part counts, machine states, downtime (aggregated into OEE windows)", OwnerRole.Mes),
        Rule("work_center", "close_windows", "Close the windows a silent machine left open (reminder)", OwnerRole.ControlPlane),
        Rule("lot", "receive", "Goods receipt creates a lot", OwnerRole.Warehouse, OwnerRole.PlantErp),
        Rule("lot", "consume", "Stock consumed (by production, through the production order)", OwnerRole.Mes),
        Rule("lot", "produce", "Production output creates or adds to a lot", OwnerRole.Mes),
        Rule("lot", "transfer", "Move stock between locations", OwnerRole.Warehouse, OwnerRole.Mes),
        Rule("lot", "adjust", "Cycle-count adjustment", OwnerRole.Warehouse),
        Rule("lot", "quality_status", "Block, release, scrap or return (lot quality status)", OwnerRole.Quality),
        Rule("purchase_order", "create", "Create a purchase order (vendor, lines, prices, dates)", OwnerRole.PlantErp),
        Rule("purchase_order", "change", "Change or add lines (material, quantity, price, dates)", OwnerRole.PlantErp),
        Rule("purchase_order", "confirm_line", "Supplier confirmation of a line (quantity, date)", OwnerRole.Supplier),
        Rule("purchase_order", "ship_notice", "Advance shipment notice (ASN)", OwnerRole.Supplier),
        Rule("purchase_order", "receive_goods", "Goods receipt against a line (creates lots)", OwnerRole.Warehouse, OwnerRole.PlantErp),
        Rule("purchase_order", "resolve_exception", "Approve, reject or correct a parked exception", OwnerRole.Reviewer),
        Rule("purchase_order", "raise_overdue", "Raise the overdue-acknowledgement exception (reminder)", OwnerRole.ControlPlane),
        Rule("quality", "inspect", "Record an inspection result", OwnerRole.Quality),
        Rule("quality", "hold", "Put a lot on hold", OwnerRole.Quality),
        Rule("quality", "raise_nonconformance", "Raise a nonconformance (blocks its lots)", OwnerRole.Quality),
        Rule("quality", "disposition", "Decide a nonconformance (use as is, rework, scrap, return)", OwnerRole.Quality),
        Rule("production_order", "quality_flag", "Flag the order with a nonconformance of a lot it consumed", OwnerRole.Quality),
    ];

    private static readonly FrozenDictionary<(string, string), OwnershipRule> ByTransition =
        Rules.ToFrozenDictionary(r => (r.Aggregate, r.Transition));

    /// <summary>The rule for a transition, or null when none is declared.</summary>
    public static OwnershipRule? Find(string aggregate, string transition) =>
        ByTransition.GetValueOrDefault((aggregate, transition));

    private static OwnershipRule Rule(string aggregate, string transition, string description, params OwnerRole[] owners) =>
        new(aggregate, transition, [.. owners], description);
}

/// <summary>
/// The ownership table resolved for the plants of a deployment: which ERP each plant runs. Checked
/// by the grains before any rule runs, so a non-owner changes nothing.
/// </summary>
public sealed class OwnershipPolicy
{
    private readonly FrozenDictionary<string, SourceSystem> _plantErp;

    /// <summary>Creates the policy; <paramref name="plantErp"/> maps each plant to its ERP (<see cref="SourceSystem.Odoo"/> or <see cref="SourceSystem.Sap"/>).</summary>
    public OwnershipPolicy(IReadOnlyDictionary<string, SourceSystem> plantErp)
    {
        foreach (var (plant, erp) in plantErp)
        {
            if (erp is not (SourceSystem.Odoo or SourceSystem.Sap))
            {
                throw new ArgumentException($"Plant {plant}: the ERP must be odoo or sap, not {erp}.", nameof(plantErp));
            }
        }

        _plantErp = plantErp.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The ERP of each configured plant.</summary>
    public IReadOnlyDictionary<string, SourceSystem> PlantErp => _plantErp;

    /// <summary>The ERP <paramref name="plant"/> runs, when configured.</summary>
    public SourceSystem? ErpOf(string plant) => _plantErp.TryGetValue(plant, out var erp) ? erp : null;

    /// <summary>
    /// Null when <paramref name="source"/> owns <paramref name="transition"/> of <paramref name="aggregate"/>
    /// at <paramref name="plant"/>; otherwise the PERMISSION_DENIED refusal, saying who owns it.
    /// </summary>
    public DomainError? Authorize(string aggregate, string transition, string plant, SourceSystem source)
    {
        var rule = OwnershipTable.Find(aggregate, transition)
            ?? throw new InvalidOperationException($"No ownership rule is declared for {aggregate}.{transition}.");
        if (source == SourceSystem.Unspecified)
        {
            return new DomainError(DomainErrorCode.NotPermitted,
                $"{aggregate}.{transition} needs the caller's source system; none was given.");
        }

        var owners = new List<string>();
        foreach (var role in rule.Owners)
        {
            var system = role switch
            {
                OwnerRole.PlantErp => ErpOf(plant),
                OwnerRole.Mes => SourceSystem.Mes,
                OwnerRole.Supplier => SourceSystem.Supplier,
                OwnerRole.Quality => SourceSystem.Quality,
                OwnerRole.Warehouse => SourceSystem.Warehouse,
                OwnerRole.Reviewer => SourceSystem.Reviewer,
                OwnerRole.ControlPlane => SourceSystem.ControlPlane,
                _ => null,
            };
            if (system == source)
            {
                return null;
            }

            owners.Add(system is { } s ? SourceSystems.WireName(s) : $"the ERP of plant {plant} (none is configured)");
        }

        return new DomainError(DomainErrorCode.NotPermitted,
            $"{SourceSystems.WireName(source)} may not {rule.Description.ToLowerInvariant()} ({aggregate}.{transition}) at plant {plant}; the owner is {string.Join(" or ", owners)}.");
    }
}

/// <summary>The wire names of source systems (<c>sap</c>, <c>mes</c>…).</summary>
public static class SourceSystems
{
    /// <summary>The lower-case wire name.</summary>
    public static string WireName(SourceSystem source) => source.ToString().ToLowerInvariant();

    /// <summary>Parses a wire name; null when it names no source system.</summary>
    public static SourceSystem? Parse(string? name) =>
        Enum.TryParse<SourceSystem>(name, ignoreCase: true, out var source) && source is not (SourceSystem.Unspecified or SourceSystem.ControlPlane)
            && string.Equals(WireName(source), name, StringComparison.OrdinalIgnoreCase)
            ? source
            : null;

    /// <summary>Every wire name, for error messages.</summary>
    public static string AllWireNames => string.Join(", ", Enum.GetValues<SourceSystem>().Where(s => s is not (SourceSystem.Unspecified or SourceSystem.ControlPlane)).Select(WireName));
}
