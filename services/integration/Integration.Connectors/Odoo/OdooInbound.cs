using System.Globalization;
using System.Text.Json.Nodes;
using Manufacturing.Domain;

namespace Manufacturing.Integration.Connectors.Odoo;

/// <summary>
/// A record changed in Odoo, as the poll read it: which one and when (<c>write_date</c>), and what it
/// says in this system's terms, or why it cannot be taken (<see cref="Problem"/>).
/// </summary>
/// <param name="Model"><c>mrp.production</c> or <c>purchase.order</c>.</param>
/// <param name="Id">Odoo's record id.</param>
/// <param name="Name">Its name (the order number), which becomes the order id here.</param>
/// <param name="WriteDate">Odoo's <c>write_date</c> (UTC, <c>yyyy-MM-dd HH:mm:ss</c>).</param>
/// <param name="State">Odoo's state (<c>confirmed</c>, <c>progress</c>, <c>cancel</c>, <c>purchase</c>, …).</param>
/// <param name="Problem">Why it cannot be mapped ("" when it can): a product without internal reference, a unit not mapped, ….</param>
/// <param name="Production">A manufacturing order's content.</param>
/// <param name="Purchase">A purchase order's content.</param>
public sealed record OdooChange(string Model, long Id, string Name, string WriteDate, string State, string Problem,
    InboundProduction? Production = null, InboundPurchase? Purchase = null)
{
    /// <summary>
    /// 16 hex digits of the SHA-256 of what the record says (state, content, problem): with the
    /// <c>write_date</c>, it tells two versions apart that Odoo stamped within the same second.
    /// </summary>
    public string Hash => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
        new { State, Problem, Production, Purchase })))[..16];
}

/// <summary>A manufacturing order from Odoo.</summary>
public sealed record InboundProduction(string Product, decimal Quantity, string Unit, DateTimeOffset? Start, DateTimeOffset? End,
    IReadOnlyList<InboundComponent> Components, IReadOnlyList<InboundOperation> Operations);

/// <summary>A component of a manufacturing order, per unit of the product.</summary>
public sealed record InboundComponent(string Material, decimal PerUnit, string Unit);

/// <summary>A work order of a manufacturing order, numbered 0010, 0020, … in Odoo's order.</summary>
public sealed record InboundOperation(string OperationId, string WorkCenter, string Description);

/// <summary>A confirmed purchase order from Odoo.</summary>
public sealed record InboundPurchase(string Vendor, string Currency, IReadOnlyList<InboundPurchaseLine> Lines);

/// <summary>A purchase order line; its id is Odoo's <c>purchase.order.line</c> id.</summary>
public sealed record InboundPurchaseLine(string LineId, string Material, decimal Quantity, string Unit, decimal UnitPrice, DateOnly? Delivery);

/// <summary>
/// Reads Odoo's changes by <c>write_date</c>, oldest first, in pages ordered by (<c>write_date</c>,
/// <c>id</c>) so that a page boundary inside one second loses nothing: manufacturing orders released
/// (<c>confirmed</c>, <c>progress</c>, <c>to_close</c>) or cancelled, and purchase orders confirmed
/// (<c>purchase</c>, <c>done</c>). Products become this system's codes through their internal
/// reference (<c>default_code</c>) and the code map (<c>Codes__odoo__*</c>), units through their names.
/// Field names are Odoo 17's and later (<c>date_start</c>, <c>date_finished</c>).
/// </summary>
public sealed class OdooInboundReader(IOdooClient odoo, ConnectorOptions options, CodeMap? codes = null)
{
    /// <summary>The Odoo models polled.</summary>
    public static IReadOnlyList<string> Models { get; } = ["mrp.production", "purchase.order"];

    /// <summary>Odoo's datetime format (UTC).</summary>
    public const string DateFormat = "yyyy-MM-dd HH:mm:ss";

    private static readonly Dictionary<string, string> DefaultUnits = new(StringComparer.Ordinal)
    {
        ["Units"] = "EA", ["kg"] = "KG", ["g"] = "G", ["L"] = "L", ["m"] = "M",
    };

    private static readonly Dictionary<string, (JsonArray States, JsonArray Fields)> Queries = new(StringComparer.Ordinal)
    {
        ["mrp.production"] = (["confirmed", "progress", "to_close", "cancel"],
            ["id", "name", "state", "write_date", "product_id", "product_qty", "product_uom_id", "date_start", "date_finished", "move_raw_ids", "workorder_ids"]),
        ["purchase.order"] = (["purchase", "done"], ["id", "name", "state", "write_date", "partner_id", "currency_id", "order_line"]),
    };

    /// <summary>
    /// One page of <paramref name="model"/>'s changes: from <paramref name="floor"/> (inclusive) when
    /// <paramref name="after"/> is null, else strictly after that (<c>write_date</c>, <c>id</c>).
    /// </summary>
    public async Task<IReadOnlyList<OdooChange>> ReadAsync(string model, string floor, (string WriteDate, long Id)? after, CancellationToken cancellationToken)
    {
        var (states, fields) = Queries.TryGetValue(model, out var query) ? query : throw new ArgumentOutOfRangeException(nameof(model), model, "Not a polled model.");
        var domain = new JsonArray(new JsonArray("state", "in", states.DeepClone()));
        if (after is { } last)
        {
            domain.Add("|");
            domain.Add(new JsonArray("write_date", ">", last.WriteDate));
            domain.Add("&");
            domain.Add(new JsonArray("write_date", "=", last.WriteDate));
            domain.Add(new JsonArray("id", ">", last.Id));
        }
        else
        {
            domain.Add(new JsonArray("write_date", ">=", floor));
        }

        var records = (await odoo.CallAsync(model, "search_read", new JsonObject
        {
            ["domain"] = domain,
            ["fields"] = fields.DeepClone(),
            ["order"] = "write_date asc, id asc",
            ["limit"] = options.Inbound.PageSize,
        }, cancellationToken) as JsonArray ?? []).OfType<JsonObject>().ToList();
        return model == "mrp.production" ? await ProductionsAsync(records, cancellationToken) : await PurchasesAsync(records, cancellationToken);
    }

    private async Task<IReadOnlyList<OdooChange>> ProductionsAsync(List<JsonObject> orders, CancellationToken cancellationToken)
    {
        var moves = await ReadByIdAsync("stock.move", orders.SelectMany(o => Ids(o["move_raw_ids"])), ["id", "product_id", "product_uom_qty", "product_uom", "state"], cancellationToken);
        var workOrders = await ReadByIdAsync("mrp.workorder", orders.SelectMany(o => Ids(o["workorder_ids"])), ["id", "name", "workcenter_id"], cancellationToken);
        var centers = await ReadByIdAsync("mrp.workcenter", workOrders.Values.Select(w => Many2One(w["workcenter_id"]).Id), ["id", "code"], cancellationToken);
        var products = await ProductCodesAsync(orders.Select(o => Many2One(o["product_id"]).Id).Concat(moves.Values.Select(m => Many2One(m["product_id"]).Id)), cancellationToken);
        return [.. orders.Select(o =>
        {
            var change = Change("mrp.production", o);
            var problems = new List<string>();
            var product = Code(products, o["product_id"], "the product", problems);
            var quantity = Number(o["product_qty"]) ?? 0m;
            var unit = Unit(o["product_uom_id"], problems);
            var components = Ids(o["move_raw_ids"]).Select(id => moves.GetValueOrDefault(id)).OfType<JsonObject>()
                .Where(m => Text(m["state"]) != "cancel")
                .Select(m => new InboundComponent(Code(products, m["product_id"], "a component", problems),
                    quantity > 0 ? Math.Round((Number(m["product_uom_qty"]) ?? 0m) / quantity, 6) : 0m, Unit(m["product_uom"], problems)))
                .ToList();
            var operations = Ids(o["workorder_ids"]).Order().Select(id => workOrders.GetValueOrDefault(id)).OfType<JsonObject>()
                .Select((w, i) => new InboundOperation(((i + 1) * 10).ToString("0000", CultureInfo.InvariantCulture),
                    WorkCenter(centers, w, problems), Text(w["name"])))
                .ToList();
            if (operations.Count == 0 && change.State != "cancel")
            {
                problems.Add("it has no work orders (a routing is needed to run it here)");
            }

            return change with
            {
                Problem = string.Join("; ", problems.Distinct(StringComparer.Ordinal)),
                Production = new InboundProduction(product, quantity, unit, Date(o["date_start"]), Date(o["date_finished"]), components, operations),
            };
        })];
    }

    private async Task<IReadOnlyList<OdooChange>> PurchasesAsync(List<JsonObject> orders, CancellationToken cancellationToken)
    {
        var lines = await ReadByIdAsync("purchase.order.line", orders.SelectMany(o => Ids(o["order_line"])),
            ["id", "product_id", "product_qty", "product_uom", "price_unit", "date_planned", "display_type"], cancellationToken);
        var partners = await ReadByIdAsync("res.partner", orders.Select(o => Many2One(o["partner_id"]).Id), ["id", "ref"], cancellationToken);
        var products = await ProductCodesAsync(lines.Values.Select(l => Many2One(l["product_id"]).Id), cancellationToken);
        return [.. orders.Select(o =>
        {
            var change = Change("purchase.order", o);
            var problems = new List<string>();
            var partner = Many2One(o["partner_id"]);
            var vendor = partners.GetValueOrDefault(partner.Id) is { } p && Text(p["ref"]) is { Length: > 0 } reference ? reference : "";
            if (vendor.Length == 0)
            {
                problems.Add($"the vendor {partner.Name} has no Reference (res.partner ref), which is its vendor id here");
            }

            var orderLines = Ids(o["order_line"]).Order().Select(id => lines.GetValueOrDefault(id)).OfType<JsonObject>()
                .Where(l => l["display_type"] is null || Text(l["display_type"]).Length == 0)
                .Select(l => new InboundPurchaseLine(Text(l["id"]), Code(products, l["product_id"], "a line's product", problems), Number(l["product_qty"]) ?? 0m,
                    Unit(l["product_uom"], problems), Number(l["price_unit"]) ?? 0m, Date(l["date_planned"]) is { } planned ? DateOnly.FromDateTime(planned.UtcDateTime) : null))
                .ToList();
            if (orderLines.Count == 0)
            {
                problems.Add("it has no product lines");
            }

            return change with
            {
                Problem = string.Join("; ", problems.Distinct(StringComparer.Ordinal)),
                Purchase = new InboundPurchase(vendor, Many2One(o["currency_id"]).Name, orderLines),
            };
        })];
    }

    private static OdooChange Change(string model, JsonObject record) =>
        new(model, Many2One(record["id"]).Id, Text(record["name"]), Text(record["write_date"]), Text(record["state"]), "");

    private async Task<Dictionary<long, JsonObject>> ReadByIdAsync(string model, IEnumerable<long> ids, JsonArray fields, CancellationToken cancellationToken)
    {
        var wanted = ids.Where(id => id > 0).Distinct().ToList();
        var found = new Dictionary<long, JsonObject>();
        foreach (var chunk in wanted.Chunk(200))
        {
            var page = await odoo.CallAsync(model, "search_read", new JsonObject
            {
                ["domain"] = new JsonArray(new JsonArray("id", "in", new JsonArray([.. chunk.Select(id => (JsonNode)id)]))),
                ["fields"] = fields.DeepClone(),
            }, cancellationToken) as JsonArray ?? [];
            foreach (var record in page.OfType<JsonObject>())
            {
                found[Many2One(record["id"]).Id] = record;
            }
        }

        return found;
    }

    private async Task<Dictionary<long, string>> ProductCodesAsync(IEnumerable<long> ids, CancellationToken cancellationToken) =>
        (await ReadByIdAsync("product.product", ids, ["id", "default_code"], cancellationToken))
            .ToDictionary(p => p.Key, p => Text(p.Value["default_code"]));

    private string Code(Dictionary<long, string> products, JsonNode? product, string what, List<string> problems)
    {
        var (id, name) = Many2One(product);
        if (products.GetValueOrDefault(id) is { Length: > 0 } code)
        {
            return (codes ?? CodeMap.Empty).Canonical(SourceSystem.Odoo, code);
        }

        problems.Add($"{what} {name} has no Internal Reference (default_code), which is its item code here");
        return "";
    }

    private string Unit(JsonNode? uom, List<string> problems)
    {
        var name = Many2One(uom).Name;
        if (options.Inbound.Units.TryGetValue(name, out var mapped) || DefaultUnits.TryGetValue(name, out mapped))
        {
            return mapped;
        }

        problems.Add($"the unit of measure '{name}' is not mapped (Integration__Connectors__{options.Name}__Inbound__Units__{name}=<unit code>)");
        return "";
    }

    private static string WorkCenter(Dictionary<long, JsonObject> centers, JsonObject workOrder, List<string> problems)
    {
        var (id, name) = Many2One(workOrder["workcenter_id"]);
        if (centers.GetValueOrDefault(id) is { } center && Text(center["code"]) is { Length: > 0 } code)
        {
            return code;
        }

        problems.Add($"the work center {name} has no Code, which is its id here");
        return "";
    }

    // A many2one ([id, "display name"]), or a bare id.
    private static (long Id, string Name) Many2One(JsonNode? node) => node switch
    {
        JsonArray { Count: >= 1 } pair when Integer(pair[0]) is { } id => (id, pair.Count > 1 ? Text(pair[1]) : ""),
        _ when Integer(node) is { } id => (id, ""),
        _ => (0, ""),
    };

    private static IEnumerable<long> Ids(JsonNode? node) => node is JsonArray list
        ? list.Select(Integer).OfType<long>().Where(id => id > 0)
        : [];

    private static long? Integer(JsonNode? node) => Number(node) is { } value && value == decimal.Truncate(value) ? (long)value : null;

    // Odoo answers false for an empty field.
    private static string Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text
        : Integer(node) is { } n ? n.ToString(CultureInfo.InvariantCulture) : "";

    // A number as parsed from Odoo's answer or as built in memory (int, long, double, decimal) alike.
    private static decimal? Number(JsonNode? node) => node is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.Number
        && decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null;

    private static DateTimeOffset? Date(JsonNode? node) =>
        DateTime.TryParseExact(Text(node), DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            ? new DateTimeOffset(at, TimeSpan.Zero) : null;
}
