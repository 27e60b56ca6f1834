using System.Reflection;
using System.Text;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Domain;
using Manufacturing.Procurement.Domain;
using Manufacturing.Quality.Domain;
using Manufacturing.ShopFloor.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.Ownership;

/// <summary>The declared ownership table, its resolution per plant, and docs/ownership.md kept equal to it.</summary>
public sealed class OwnershipTests
{
    private static readonly SourceSystem[] Callers = Enum.GetValues<SourceSystem>();

    public static TheoryData<string, string> Transitions()
    {
        var data = new TheoryData<string, string>();
        foreach (var rule in OwnershipTable.Rules)
        {
            data.Add(rule.Aggregate, rule.Transition);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Transitions))]
    public void Exactly_the_owners_of_a_transition_may_perform_it_at_each_plant(string aggregate, string transition)
    {
        var rule = OwnershipTable.Find(aggregate, transition)!;
        foreach (var (plant, erp) in new[] { ("P100", SourceSystem.Odoo), ("P200", SourceSystem.Sap) })
        {
            var owners = rule.Owners.Select(role => role switch
            {
                OwnerRole.PlantErp => erp,
                OwnerRole.Mes => SourceSystem.Mes,
                OwnerRole.Supplier => SourceSystem.Supplier,
                OwnerRole.Quality => SourceSystem.Quality,
                OwnerRole.Warehouse => SourceSystem.Warehouse,
                OwnerRole.Reviewer => SourceSystem.Reviewer,
                _ => SourceSystem.ControlPlane,
            }).ToHashSet();
            foreach (var caller in Callers)
            {
                var refusal = Commands.Policy.Authorize(aggregate, transition, plant, caller);
                if (owners.Contains(caller))
                {
                    Assert.Null(refusal);
                }
                else
                {
                    Assert.Equal(DomainErrorCode.NotPermitted, refusal!.Code);
                }
            }
        }
    }

    [Fact]
    public void The_refusal_names_the_owner_and_the_plant()
    {
        var refusal = Commands.Policy.Authorize("purchase_order", "create", "P200", SourceSystem.Odoo)!;

        Assert.Contains("odoo may not", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("the owner is sap", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("P200", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plant_without_a_configured_erp_accepts_no_erp_writes()
    {
        var refusal = Commands.Policy.Authorize("production_order", "release", "P300", SourceSystem.Sap)!;

        Assert.Equal(DomainErrorCode.NotPermitted, refusal.Code);
        Assert.Contains("none is configured", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Callers_cannot_claim_to_be_the_control_plane()
    {
        Assert.Null(SourceSystems.Parse("controlplane"));
        Assert.Null(SourceSystems.Parse(""));
        Assert.Null(SourceSystems.Parse("SAPX"));
        Assert.Equal(SourceSystem.Sap, SourceSystems.Parse("sap"));
        Assert.DoesNotContain("controlplane", SourceSystems.AllWireNames, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_command_names_a_declared_transition_and_every_transition_has_a_command()
    {
        var commands = new[] { typeof(Lot), typeof(PurchaseOrder), typeof(LotHold), typeof(ProductionOrder) }
            .SelectMany(t => t.Assembly.GetTypes())
            .Where(t => typeof(ICommand).IsAssignableFrom(t) && !t.IsAbstract)
            .ToList();
        Assert.NotEmpty(commands);

        var used = new HashSet<(string, string)>();
        foreach (var command in commands)
        {
            var owned = OwnedTransitions.Of(command);
            Assert.True(OwnershipTable.Find(owned.Aggregate, owned.Transition) is not null, $"{command.Name} names {owned.Aggregate}.{owned.Transition}, which the table does not declare.");
            used.Add((owned.Aggregate, owned.Transition));
        }

        Assert.All(OwnershipTable.Rules, rule => Assert.Contains((rule.Aggregate, rule.Transition), used));
    }

    /// <summary>
    /// docs/ownership.md holds the table between its markers exactly as rendered from the code. Run
    /// with MFG_WRITE_DOCS=1 to rewrite it after changing the table.
    /// </summary>
    [Fact]
    public void Docs_ownership_md_shows_the_table_the_code_enforces()
    {
        var path = Path.Combine(Repository.Root, "docs", "ownership.md");
        var text = File.ReadAllText(path);
        const string begin = "<!-- ownership-table:begin (generated from OwnershipTable.Rules; see OwnershipTests) -->";
        const string end = "<!-- ownership-table:end -->";
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        var stop = text.IndexOf(end, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, $"{path} must contain the markers {begin} and {end}.");

        var rendered = Render();
        var current = text[(start + begin.Length)..stop];
        if (Environment.GetEnvironmentVariable("MFG_WRITE_DOCS") == "1" && current != rendered)
        {
            File.WriteAllText(path, text[..(start + begin.Length)] + rendered + text[stop..]);
            return;
        }

        Assert.Equal(rendered, current);
    }

    private static string Render()
    {
        var builder = new StringBuilder("\n| aggregate | transition | owner | what |\n|---|---|---|---|\n");
        foreach (var rule in OwnershipTable.Rules)
        {
            var owners = string.Join(" or ", rule.Owners.Select(o => o switch
            {
                OwnerRole.PlantErp => "the plant's ERP (odoo or sap)",
                OwnerRole.ControlPlane => "the control plane (reminder)",
                _ => o.ToString().ToLowerInvariant(),
            }));
            builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"| `{rule.Aggregate}` | `{rule.Transition}` | {owners} | {rule.Description} |\n");
        }

        return builder.ToString();
    }
}
