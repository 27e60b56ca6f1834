using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Manufacturing.Domain;
using Manufacturing.Integration.Domain;

namespace Manufacturing.Integration.Connectors.Odoo;

/// <summary>
/// Business events to Odoo, over either external API (<see cref="IOdooClient"/>). Odoo has no
/// idempotency keys, so every mapping is safe to repeat:
/// <list type="bullet">
/// <item><b>Production completion</b> (<c>OperationCompleted</c> that completes the order): the
/// <c>mrp.production</c> named like the order gets <c>qty_producing</c> = the good quantity and
/// <c>button_mark_done</c> (without a backorder), unless it is done already (then nothing is sent).</item>
/// <item><b>Scrap</b> (<c>OperationCompleted</c> with a scrap quantity): a <c>stock.scrap</c> of the
/// order's product on the <c>mrp.production</c>, carrying the event id in the reference field, created
/// only when a search for that id finds none, then <c>action_validate</c> unless it is done.</item>
/// <item><b>Production progress</b> (<c>OperationStarted</c>, <c>OperationResumed</c>, <c>OperationPaused</c>):
/// every running or paused operation's <c>mrp.workorder</c> (by position: 0010 the first by id) gets
/// <c>button_start</c> or <c>button_pending</c>, unless its <c>is_user_working</c> says it already is
/// (so the newest of coalesced events still moves the operations the others were about).</item>
/// <item><b>Quality holds</b> (<c>LotBlocked</c>): a <c>quality.alert</c> carrying the event id in the
/// reference field (<see cref="ConnectorOptions.ReferenceField"/>), created only when a search for
/// that id finds none.</item>
/// <item><b>Material consumption</b> (<c>MaterialConsumed</c>): a picked <c>stock.move.line</c> with the
/// lot (<c>stock.lot</c> by name and product) on the order's open component move of that product,
/// carrying the event id in the reference field; created only when a search for it finds none.</item>
/// <item><b>Supplier confirmations</b> (<c>PurchaseOrderLineConfirmed</c>): the
/// <c>purchase.order.line</c> (our line id is its id) gets the confirmed day as
/// <c>date_planned</c>, unless it has it already.</item>
/// <item><b>Receipts</b> (<c>GoodsReceived</c>): a picked <c>stock.move.line</c> with the received
/// quantity and lot name (with the reference) on the open incoming move of the purchase line, then
/// <c>button_validate</c> of its <c>stock.picking</c> (the rest stays expected in a backorder). A
/// redelivery finds the line by the reference and only validates when the picking is not done.</item>
/// </list>
/// Reconciliation reads back the <c>mrp.production</c> of each completed order (done,
/// <c>qty_produced</c> against our good quantity, the done <c>stock.scrap</c> of the order against
/// our scrap quantity) and the <c>stock.lot</c> of each lot we reported
/// (<c>product_qty</c> against our quantity on hand), by name, 200 names a call.
/// </summary>
public sealed class OdooAdapter(IOdooClient odoo, ConnectorOptions options, CodeMap? codes = null) : IErpAdapter, IErpReconciler
{
    private const int ReadPage = 200;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Reconciled { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        ["production_order"] = ["production-completion"],
        ["lot"] = ["quality-holds"],
        ["purchase_order"] = ["supplier-confirmations"],
    };

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, ErpRecord>> ReadAsync(IReadOnlyList<OurRecord> records, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, ErpRecord>(StringComparer.Ordinal);
        foreach (var page in records.Chunk(ReadPage))
        {
            var type = page[0].AggregateType;
            if (type == "purchase_order")
            {
                await ReadConfirmationsAsync(page, found, cancellationToken);
                continue;
            }

            var (model, fields) = type switch
            {
                "production_order" => ("mrp.production", new JsonArray("id", "name", "state", "qty_produced")),
                "lot" => ("stock.lot", new JsonArray("id", "name", "product_qty")),
                _ => throw new ErpException($"The Odoo adapter does not reconcile {type}.", transient: false),
            };
            var names = new JsonArray([.. page.Select(r => (JsonNode)JsonValue.Create(r.Id))]);
            var answer = await odoo.CallAsync(model, "search_read", new JsonObject
            {
                ["domain"] = new JsonArray(new JsonArray("name", "in", names)),
                ["fields"] = fields,
            }, cancellationToken) as JsonArray ?? [];
            var byName = answer.OfType<JsonObject>().GroupBy(r => r["name"]?.GetValue<string>() ?? "").ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var scrapped = type == "production_order" ? await ScrappedAsync(names, cancellationToken) : new Dictionary<string, decimal>();
            foreach (var record in page)
            {
                if (byName.TryGetValue(record.Id, out var theirs))
                {
                    found[record.AggregateKey] = type == "lot" ? Lot(record, theirs, model) : Production(record, theirs, model, scrapped);
                }
            }
        }

        return found;
    }

    // Confirmed dates: the planned date of each confirmed purchase.order.line (our line id is Odoo's line id).
    private async Task ReadConfirmationsAsync(OurRecord[] page, Dictionary<string, ErpRecord> found, CancellationToken cancellationToken)
    {
        var confirmed = page.ToDictionary(r => r.AggregateKey, r => ConfirmedDates.Parse(r["confirmed_dates"]), StringComparer.Ordinal);
        var ids = confirmed.Values.SelectMany(c => c.Keys)
            .Select(line => long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0).Where(id => id > 0).Distinct().Order().ToList();
        var lines = new Dictionary<long, string>();
        foreach (var chunk in ids.Chunk(ReadPage))
        {
            var answer = await odoo.CallAsync("purchase.order.line", "search_read", new JsonObject
            {
                ["domain"] = new JsonArray(new JsonArray("id", "in", new JsonArray([.. chunk.Select(id => (JsonNode)id)]))),
                ["fields"] = new JsonArray("id", "date_planned"),
            }, cancellationToken) as JsonArray ?? [];
            foreach (var line in answer.OfType<JsonObject>())
            {
                lines[Id(line["id"])] = line["date_planned"] is JsonValue planned && planned.TryGetValue<string>(out var text) && text.Length >= 10 ? text[..10] : "";
            }
        }

        foreach (var record in page)
        {
            var ours = confirmed[record.AggregateKey];
            var theirs = ours.Keys.ToDictionary(line => line, line =>
                long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && lines.TryGetValue(id, out var day) ? day : "", StringComparer.Ordinal);
            found[record.AggregateKey] = new ErpRecord($"purchase.order/{record.Id}",
                ours.Count == 0 ? ImmutableDictionary<string, string>.Empty : ImmutableDictionary<string, string>.Empty.Add("confirmed_dates", ConfirmedDates.Text(ours)),
                ours.Count == 0 ? ImmutableDictionary<string, string>.Empty : ImmutableDictionary<string, string>.Empty.Add("confirmed_dates", ConfirmedDates.Text(theirs)));
        }
    }

    // Progress: each operation's work order (matched by position: 0010 is the MO's first work order by id, 0020 the second, …)
    // is started (button_start) or paused (button_pending) to match the order's snapshot, unless it already is; the state is the
    // guard, so a redelivery changes nothing, and the newest of coalesced events still moves every operation it superseded.
    private async Task<DeliveryReceipt> ProgressAsync(IntegrationEvent e, bool working, CancellationToken cancellationToken)
    {
        var operation = e["operation_id"];
        var targets = OperationTargets(e["state.operations"]);
        if (e["state.operations"].Length == 0)
        {
            targets[operation] = working; // an event from before the snapshot listed operations
        }

        var workOrders = (await odoo.CallAsync("mrp.workorder", "search_read", new JsonObject
        {
            ["domain"] = new JsonArray(new JsonArray("production_id.name", "=", e.Id)),
            ["fields"] = new JsonArray("id", "state", "is_user_working"),
            ["order"] = "id asc",
        }, cancellationToken) as JsonArray ?? []).OfType<JsonObject>().ToList();
        var problems = new List<string>();
        string? receipt = null;
        foreach (var (op, work) in targets)
        {
            var position = int.TryParse(op, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number % 10 == 0 ? number / 10 : 0;
            if (position < 1 || position > workOrders.Count)
            {
                problems.Add($"mrp.production {e.Id} has no work order for operation {op} ({workOrders.Count} work orders; "
                    + "operations are matched by position: 0010 is the first work order, 0020 the second)");
                continue;
            }

            var workOrder = workOrders[position - 1];
            var id = Id(workOrder["id"]);
            if (op == operation)
            {
                receipt = $"mrp.workorder/{id.ToString(CultureInfo.InvariantCulture)}";
            }

            if ((workOrder["is_user_working"]?.GetValue<bool>() ?? false) == work)
            {
                continue; // delivered before, or someone did it in Odoo already
            }

            if (workOrder["state"]?.GetValue<string>() is "done" or "cancel")
            {
                continue; // finished in Odoo (marking the MO done finishes its work orders): progress that arrives after it is moot
            }

            await odoo.CallAsync("mrp.workorder", work ? "button_start" : "button_pending", new JsonObject { ["ids"] = new JsonArray(id) }, cancellationToken);
        }

        return problems.Count > 0
            ? throw new ErpException(string.Join("; ", problems) + ".", transient: false)
            : new DeliveryReceipt(receipt ?? $"mrp.production/{e.Id}");
    }

    /// <summary>
    /// The operations a progress delivery moves, from the order's <c>operations</c> snapshot
    /// (<c>0010=RUNNING 0020=PAUSED</c>): running ones are worked on, paused ones are not; pending and
    /// completed ones are left as Odoo has them.
    /// </summary>
    public static Dictionary<string, bool> OperationTargets(string snapshot)
    {
        var targets = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var pair in snapshot.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var (op, status) = pair.IndexOf('=', StringComparison.Ordinal) is > 0 and var at ? (pair[..at], pair[(at + 1)..]) : (pair, "");
            if (status is "RUNNING" or "PAUSED")
            {
                targets[op] = status == "RUNNING";
            }
        }

        return targets;
    }

    // What Odoo scrapped per manufacturing order: the done stock.scrap records of the orders named, summed by order name.
    private async Task<Dictionary<string, decimal>> ScrappedAsync(JsonArray names, CancellationToken cancellationToken)
    {
        var scraps = await odoo.CallAsync("stock.scrap", "search_read", new JsonObject
        {
            ["domain"] = new JsonArray(new JsonArray("production_id.name", "in", names.DeepClone()), new JsonArray("state", "=", "done")),
            ["fields"] = new JsonArray("production_id", "scrap_qty"),
        }, cancellationToken) as JsonArray ?? [];
        var sums = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var scrap in scraps.OfType<JsonObject>())
        {
            if (scrap["production_id"] is JsonArray { Count: 2 } production && production[1] is JsonValue name && name.TryGetValue<string>(out var order)
                && decimal.TryParse(scrap["scrap_qty"]?.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var quantity))
            {
                sums[order] = sums.GetValueOrDefault(order) + quantity;
            }
        }

        return sums;
    }

    private static ErpRecord Production(OurRecord ours, JsonObject theirs, string model, IReadOnlyDictionary<string, decimal> scrapped)
    {
        var expected = ImmutableDictionary<string, string>.Empty.Add("done", ours.State is "COMPLETED" or "CLOSED" ? "yes" : "no");
        var actual = ImmutableDictionary<string, string>.Empty.Add("done", theirs["state"]?.GetValue<string>() == "done" ? "yes" : "no");
        if (ours["good_quantity"] is { Length: > 0 } good)
        {
            expected = expected.Add("good_quantity", good);
            actual = actual.Add("good_quantity", Quantity(theirs["qty_produced"]));
        }

        if (ours["scrap_quantity"] is { Length: > 0 } scrap)
        {
            expected = expected.Add("scrap_quantity", scrap);
            actual = actual.Add("scrap_quantity", Reconciliation.Text(scrapped.GetValueOrDefault(ours.Id)));
        }

        return new ErpRecord($"{model}/{Id(theirs["id"]).ToString(CultureInfo.InvariantCulture)}", expected, actual);
    }

    private static ErpRecord Lot(OurRecord ours, JsonObject theirs, string model) => new(
        $"{model}/{Id(theirs["id"]).ToString(CultureInfo.InvariantCulture)}",
        ImmutableDictionary<string, string>.Empty.Add("quantity", ours["quantity"]),
        ImmutableDictionary<string, string>.Empty.Add("quantity", Quantity(theirs["product_qty"])));

    // Odoo answers floats (and false for an empty numeric field).
    private static string Quantity(JsonNode? node) =>
        node is JsonValue && decimal.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? Reconciliation.Text(number)
            : "";
    /// <inheritdoc />
    public bool Supports(IntegrationEvent e) => (e.AggregateType, e.EventType) switch
    {
        ("production_order", "OperationCompleted") => e["state.state"] == "COMPLETED" || Reconciliation.Number(e["scrap_quantity"]) > 0,
        ("production_order", "OperationStarted" or "OperationPaused" or "OperationResumed") => true,
        ("lot", "LotBlocked") => true,
        ("production_order", "MaterialConsumed") => true,
        ("purchase_order", "PurchaseOrderLineConfirmed") => true,
        ("purchase_order", "GoodsReceived") => true,
        _ => false,
    };

    /// <inheritdoc />
    public Task<DeliveryReceipt> DeliverAsync(IntegrationEvent e, CancellationToken cancellationToken) => e.EventType switch
    {
        "OperationCompleted" => CompleteAsync(e, cancellationToken),
        "OperationStarted" or "OperationResumed" => ProgressAsync(e, working: true, cancellationToken),
        "OperationPaused" => ProgressAsync(e, working: false, cancellationToken),
        "LotBlocked" => RaiseQualityAlertAsync(e, cancellationToken),
        "MaterialConsumed" => ConsumeAsync(e, cancellationToken),
        "PurchaseOrderLineConfirmed" => ConfirmLineAsync(e, cancellationToken),
        "GoodsReceived" => ReceiveAsync(e, cancellationToken),
        _ => throw new ErpException($"The Odoo adapter does not map {e.EventType}.", transient: false),
    };

    // An operation's completion: its scrap first (the order may be done after it), then the order's completion if this completes it.
    private async Task<DeliveryReceipt> CompleteAsync(IntegrationEvent e, CancellationToken cancellationToken)
    {
        var scrapped = Reconciliation.Number(e["scrap_quantity"]) is decimal scrap && scrap > 0 ? await ScrapAsync(e, scrap, cancellationToken) : null;
        return e["state.state"] == "COMPLETED" ? await CompleteProductionAsync(e, cancellationToken)
            : scrapped ?? throw new ErpException($"Operation {e["operation_id"]} of {e.Id} neither scrapped nor completed the order; there is nothing to send.", transient: false);
    }

    // Scrap: a stock.scrap of the order's product on its mrp.production, found again by the reference field, validated unless done.
    private async Task<DeliveryReceipt> ScrapAsync(IntegrationEvent e, decimal quantity, CancellationToken cancellationToken)
    {
        var scrap = await FindAsync("stock.scrap", new JsonArray(new JsonArray(options.ReferenceField, "=", e.EventId)), new JsonArray("id", "state"), cancellationToken);
        long id;
        if (scrap is null)
        {
            var production = await FindAsync("mrp.production", new JsonArray(new JsonArray("name", "=", e.Id)), new JsonArray("id", "state"), cancellationToken)
                ?? throw new ErpException($"Odoo has no mrp.production named {e.Id} to scrap on.", transient: false);
            if (production["state"]?.GetValue<string>() == "cancel")
            {
                throw new ErpException($"mrp.production {e.Id} is cancelled in Odoo; its scrap cannot be recorded there.", transient: false);
            }

            var code = (codes ?? CodeMap.Empty).SourceCode(SourceSystem.Odoo, e["state.product"])
                ?? throw new ErpException($"Several Odoo internal references map to {e["state.product"]} (Codes__odoo__*); which product is meant is not known.", transient: false);
            var product = await FindAsync("product.product", new JsonArray(new JsonArray("default_code", "=", code)), new JsonArray("id"), cancellationToken)
                ?? throw new ErpException($"Odoo has no product with internal reference {code} to scrap.", transient: false);
            var values = new JsonObject
            {
                ["product_id"] = Id(product["id"]),
                ["scrap_qty"] = quantity,
                ["production_id"] = Id(production["id"]),
                ["origin"] = e["scrap_reason"] is { Length: > 0 } reason ? $"{e.Id} {e["operation_id"]}: {reason}" : $"{e.Id} {e["operation_id"]}",
                [options.ReferenceField] = e.EventId,
            };
            var created = await odoo.CallAsync("stock.scrap", "create", new JsonObject { ["vals_list"] = new JsonArray(values) }, cancellationToken);
            id = Id(created is JsonArray { Count: > 0 } ids ? ids[0] : created);
        }
        else
        {
            id = Id(scrap["id"]);
            if (scrap["state"]?.GetValue<string>() == "done")
            {
                return new DeliveryReceipt($"stock.scrap/{id.ToString(CultureInfo.InvariantCulture)}"); // delivered before
            }
        }

        var validated = await odoo.CallAsync("stock.scrap", "action_validate", new JsonObject { ["ids"] = new JsonArray(id) }, cancellationToken);
        if (validated is JsonObject wizard)
        {
            // Odoo asks whether to scrap more than it has on hand: a person decides, the draft scrap stays for them.
            throw new ErpException($"Odoo did not validate stock.scrap {id} of {e.Id}: it asks for confirmation ({wizard["res_model"]?.GetValue<string>() ?? "a wizard"}).", transient: false);
        }

        return new DeliveryReceipt($"stock.scrap/{id.ToString(CultureInfo.InvariantCulture)}");
    }

    private async Task<DeliveryReceipt> CompleteProductionAsync(IntegrationEvent e, CancellationToken cancellationToken)
    {
        var found = await odoo.CallAsync("mrp.production", "search_read", new JsonObject
        {
            ["domain"] = new JsonArray(new JsonArray("name", "=", e.Id)),
            ["fields"] = new JsonArray("id", "state", "qty_producing", "product_qty"),
            ["limit"] = 2,
        }, cancellationToken) as JsonArray ?? [];
        if (found.Count != 1)
        {
            throw new ErpException($"Odoo has {(found.Count == 0 ? "no" : "more than one")} mrp.production named {e.Id}.", transient: false);
        }

        var production = found[0]!;
        var id = Id(production["id"]);
        var receipt = new DeliveryReceipt($"mrp.production/{id.ToString(CultureInfo.InvariantCulture)}");
        switch (production["state"]?.GetValue<string>())
        {
            case "done":
                return receipt; // delivered before (or completed in Odoo): nothing to repeat
            case "cancel":
                throw new ErpException($"mrp.production {e.Id} is cancelled in Odoo; it cannot be completed.", transient: false);
        }

        // Quantities travel as "{value} {unit}" (for example "24 EA"); Odoo counts in the order's unit.
        if (!decimal.TryParse(e["good_quantity"].Split(' ')[0], NumberStyles.Number, CultureInfo.InvariantCulture, out var good))
        {
            throw new ErpException($"The event carries no good quantity ({e["good_quantity"]}).", transient: false);
        }

        await odoo.CallAsync("mrp.production", "write", new JsonObject
        {
            ["ids"] = new JsonArray(id),
            ["vals"] = new JsonObject { ["qty_producing"] = good },
        }, cancellationToken);
        var done = await odoo.CallAsync("mrp.production", "button_mark_done", new JsonObject
        {
            ["ids"] = new JsonArray(id),
            ["context"] = new JsonObject { ["skip_backorder"] = true },
        }, cancellationToken);
        if (done is JsonObject wizard)
        {
            // Odoo wants a person to confirm (a consumption warning, a backorder choice): that is for review, not for retrying.
            throw new ErpException($"Odoo did not complete mrp.production {e.Id}: it asks for confirmation ({wizard["res_model"]?.GetValue<string>() ?? "a wizard"}).", transient: false);
        }

        return receipt;
    }

    // Our purchase order lines from Odoo carry the purchase.order.line id as their line id ("00017" → 17).
    private static long LineId(IntegrationEvent e) =>
        long.TryParse(e["line_id"], NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw new ErpException($"Line {e["line_id"]} of purchase order {e.Id} is not an Odoo purchase.order.line id.", transient: false);

    // "{value} {unit}" as a number; Odoo counts in the move's or line's unit.
    private static decimal Amount(IntegrationEvent e, string field) =>
        Reconciliation.Number(e[field]) ?? throw new ErpException($"The event carries no {field} ({e[field]}).", transient: false);

    // The last segment of a resource name: plants/P100/lots/LOT-7 → LOT-7.
    private static string LastSegment(string name) => name[(name.LastIndexOf('/') + 1)..];

    private async Task<JsonObject?> FindAsync(string model, JsonArray domain, JsonArray fields, CancellationToken cancellationToken) =>
        (await odoo.CallAsync(model, "search_read", new JsonObject { ["domain"] = domain, ["fields"] = fields, ["limit"] = 1 }, cancellationToken) as JsonArray ?? [])
            .OfType<JsonObject>().FirstOrDefault();

    // The stock.move.line an earlier delivery of this event created, found by the reference field.
    private Task<JsonObject?> MoveLineOfAsync(IntegrationEvent e, CancellationToken cancellationToken) =>
        FindAsync("stock.move.line", new JsonArray(new JsonArray(options.ReferenceField, "=", e.EventId)), new JsonArray("id", "picking_id", "state"), cancellationToken);

    private async Task<long> CreateMoveLineAsync(IntegrationEvent e, JsonObject move, JsonObject values, CancellationToken cancellationToken)
    {
        values["move_id"] = Id(move["id"]);
        values["product_id"] = Id((move["product_id"] as JsonArray)?.FirstOrDefault());
        values["location_id"] = Id((move["location_id"] as JsonArray)?.FirstOrDefault());
        values["location_dest_id"] = Id((move["location_dest_id"] as JsonArray)?.FirstOrDefault());
        values["picked"] = true;
        values[options.ReferenceField] = e.EventId;
        var created = await odoo.CallAsync("stock.move.line", "create", new JsonObject { ["vals_list"] = new JsonArray(values) }, cancellationToken);
        return Id(created is JsonArray { Count: > 0 } ids ? ids[0] : created);
    }

    private static readonly JsonArray MoveFields = ["id", "product_id", "location_id", "location_dest_id", "picking_id"];

    private async Task<DeliveryReceipt> ConsumeAsync(IntegrationEvent e, CancellationToken cancellationToken)
    {
        if (await MoveLineOfAsync(e, cancellationToken) is { } done)
        {
            return new DeliveryReceipt($"stock.move.line/{Id(done["id"]).ToString(CultureInfo.InvariantCulture)}");
        }

        var quantity = Amount(e, "quantity");
        var product = (codes ?? CodeMap.Empty).SourceCode(SourceSystem.Odoo, e["component"])
            ?? throw new ErpException($"Several Odoo internal references map to {e["component"]} (Codes__odoo__*); which product is meant is not known.", transient: false);
        var move = await FindAsync("stock.move", new JsonArray(
                new JsonArray("raw_material_production_id.name", "=", e.Id),
                new JsonArray("product_id.default_code", "=", product),
                new JsonArray("state", "not in", new JsonArray("done", "cancel"))), MoveFields.DeepClone().AsArray(), cancellationToken)
            ?? throw new ErpException($"Odoo has no open component move of {product} in mrp.production {e.Id}.", transient: false);
        var values = new JsonObject { ["quantity"] = quantity };
        if (e["lot"] is { Length: > 0 } lotName)
        {
            var lot = await FindAsync("stock.lot", new JsonArray(
                    new JsonArray("name", "=", LastSegment(lotName)),
                    new JsonArray("product_id", "=", Id((move["product_id"] as JsonArray)?.FirstOrDefault()))), new JsonArray("id"), cancellationToken)
                ?? throw new ErpException($"Odoo has no lot {LastSegment(lotName)} of {product}: consuming it there needs the lot.", transient: false);
            values["lot_id"] = Id(lot["id"]);
        }

        var id = await CreateMoveLineAsync(e, move, values, cancellationToken);
        return new DeliveryReceipt($"stock.move.line/{id.ToString(CultureInfo.InvariantCulture)}");
    }

    private async Task<DeliveryReceipt> ConfirmLineAsync(IntegrationEvent e, CancellationToken cancellationToken)
    {
        if (!DateOnly.TryParseExact(e["confirmed_delivery_date"], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw new ErpException($"The event carries no confirmed delivery date ({e["confirmed_delivery_date"]}).", transient: false);
        }

        var lineId = LineId(e);
        var line = await FindAsync("purchase.order.line", new JsonArray(new JsonArray("id", "=", lineId), new JsonArray("order_id.name", "=", e.Id)),
                new JsonArray("id", "date_planned"), cancellationToken)
            ?? throw new ErpException($"Odoo has no purchase.order.line {lineId} in purchase order {e.Id}.", transient: false);
        var receipt = new DeliveryReceipt($"purchase.order.line/{lineId.ToString(CultureInfo.InvariantCulture)}");
        var planned = $"{date:yyyy-MM-dd} 00:00:00"; // Odoo datetimes are UTC text
        if (line["date_planned"] is JsonValue current && current.TryGetValue<string>(out var text) && text.StartsWith(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), StringComparison.Ordinal))
        {
            return receipt; // already planned for that day: nothing to write
        }

        await odoo.CallAsync("purchase.order.line", "write", new JsonObject
        {
            ["ids"] = new JsonArray(lineId),
            ["vals"] = new JsonObject { ["date_planned"] = planned },
        }, cancellationToken);
        return receipt;
    }

    private async Task<DeliveryReceipt> ReceiveAsync(IntegrationEvent e, CancellationToken cancellationToken)
    {
        long picking;
        if (await MoveLineOfAsync(e, cancellationToken) is { } done)
        {
            picking = Id((done["picking_id"] as JsonArray)?.FirstOrDefault());
            if (done["state"]?.GetValue<string>() == "done")
            {
                return Receipt(picking);
            }
        }
        else
        {
            var lineId = LineId(e);
            var move = await FindAsync("stock.move", new JsonArray(
                    new JsonArray("purchase_line_id", "=", lineId),
                    new JsonArray("purchase_line_id.order_id.name", "=", e.Id),
                    new JsonArray("picking_id.picking_type_code", "=", "incoming"),
                    new JsonArray("state", "not in", new JsonArray("done", "cancel"))), MoveFields.DeepClone().AsArray(), cancellationToken)
                ?? throw new ErpException($"Odoo has no open receipt move for purchase.order.line {lineId} of {e.Id}.", transient: false);
            picking = Id((move["picking_id"] as JsonArray)?.FirstOrDefault());
            var values = new JsonObject { ["quantity"] = Amount(e, "quantity"), ["picking_id"] = picking };
            if (e["lot"] is { Length: > 0 } lot)
            {
                values["lot_name"] = LastSegment(lot); // Odoo creates the lot of an incoming move line by its name
            }

            await CreateMoveLineAsync(e, move, values, cancellationToken);
        }

        // Validate what arrived; what did not stays expected in a backorder (skip_backorder: no wizard, backorder created).
        var validated = await odoo.CallAsync("stock.picking", "button_validate", new JsonObject
        {
            ["ids"] = new JsonArray(picking),
            ["context"] = new JsonObject { ["skip_backorder"] = true },
        }, cancellationToken);
        if (validated is JsonObject wizard)
        {
            throw new ErpException($"Odoo did not validate receipt stock.picking {picking}: it asks for confirmation ({wizard["res_model"]?.GetValue<string>() ?? "a wizard"}).", transient: false);
        }

        return Receipt(picking);

        static DeliveryReceipt Receipt(long picking) => new($"stock.picking/{picking.ToString(CultureInfo.InvariantCulture)}");
    }

    private async Task<DeliveryReceipt> RaiseQualityAlertAsync(IntegrationEvent e, CancellationToken cancellationToken)
    {
        var reference = options.ReferenceField;
        var existing = await odoo.CallAsync("quality.alert", "search_read", new JsonObject
        {
            ["domain"] = new JsonArray(new JsonArray(reference, "=", e.EventId)),
            ["fields"] = new JsonArray("id"),
            ["limit"] = 1,
        }, cancellationToken) as JsonArray ?? [];
        if (existing.Count > 0)
        {
            return new DeliveryReceipt($"quality.alert/{Id(existing[0]!["id"]).ToString(CultureInfo.InvariantCulture)}");
        }

        var lots = await odoo.CallAsync("stock.lot", "search_read", new JsonObject
        {
            ["domain"] = new JsonArray(new JsonArray("name", "=", e.Id)),
            ["fields"] = new JsonArray("id", "product_id"),
            ["limit"] = 1,
        }, cancellationToken) as JsonArray ?? [];
        var values = new JsonObject
        {
            [reference] = e.EventId,
            ["title"] = $"Lot {e.Id} blocked",
            ["description"] = $"Blocked at plant {e.Plant}: {e["reason"]} (event {e.EventId}, {e.OccurredAt:u})",
            ["priority"] = "2",
        };
        if (lots.Count > 0)
        {
            values["lot_id"] = Id(lots[0]!["id"]);
            if (lots[0]!["product_id"] is JsonArray product && product.Count > 0)
            {
                values["product_id"] = Id(product[0]);
            }
        }

        var created = await odoo.CallAsync("quality.alert", "create", new JsonObject { ["vals_list"] = new JsonArray(values) }, cancellationToken);
        var id = Id(created is JsonArray { Count: > 0 } ids ? ids[0] : created);
        return new DeliveryReceipt($"quality.alert/{id.ToString(CultureInfo.InvariantCulture)}");
    }

    // A record id as Odoo answers it (a JSON integer); anything else is an answer the adapter cannot use.
    private static long Id(JsonNode? node) => node is JsonValue value && (value.TryGetValue<long>(out var id) || (value.TryGetValue<int>(out var small) && (id = small) > 0))
        ? id
        : throw new ErpException($"Odoo answered {node?.ToJsonString() ?? "nothing"} where a record id belongs.", transient: false);
}
