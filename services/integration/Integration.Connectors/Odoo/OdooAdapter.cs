using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Manufacturing.Integration.Domain;

namespace Manufacturing.Integration.Connectors.Odoo;

/// <summary>
/// Business events to Odoo, over either external API (<see cref="IOdooClient"/>). Odoo has no
/// idempotency keys, so every mapping is safe to repeat:
/// <list type="bullet">
/// <item><b>Production completion</b> (<c>OperationCompleted</c> that completes the order): the
/// <c>mrp.production</c> named like the order gets <c>qty_producing</c> = the good quantity and
/// <c>button_mark_done</c> (without a backorder), unless it is done already (then nothing is sent).</item>
/// <item><b>Quality holds</b> (<c>LotBlocked</c>): a <c>quality.alert</c> carrying the event id in the
/// reference field (<see cref="ConnectorOptions.ReferenceField"/>), created only when a search for
/// that id finds none.</item>
/// </list>
/// Reconciliation reads back the <c>mrp.production</c> of each completed order (done, and
/// <c>qty_produced</c> against our good quantity) and the <c>stock.lot</c> of each lot we reported
/// (<c>product_qty</c> against our quantity on hand), by name, 200 names a call.
/// </summary>
public sealed class OdooAdapter(IOdooClient odoo, ConnectorOptions options) : IErpAdapter, IErpReconciler
{
    private const int ReadPage = 200;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Reconciled { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        ["production_order"] = ["production-completion"],
        ["lot"] = ["quality-holds"],
    };

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, ErpRecord>> ReadAsync(IReadOnlyList<OurRecord> records, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, ErpRecord>(StringComparer.Ordinal);
        foreach (var page in records.Chunk(ReadPage))
        {
            var type = page[0].AggregateType;
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
            foreach (var record in page)
            {
                if (byName.TryGetValue(record.Id, out var theirs))
                {
                    found[record.AggregateKey] = type == "lot" ? Lot(record, theirs, model) : Production(record, theirs, model);
                }
            }
        }

        return found;
    }

    private static ErpRecord Production(OurRecord ours, JsonObject theirs, string model)
    {
        var expected = ImmutableDictionary<string, string>.Empty.Add("done", ours.State is "COMPLETED" or "CLOSED" ? "yes" : "no");
        var actual = ImmutableDictionary<string, string>.Empty.Add("done", theirs["state"]?.GetValue<string>() == "done" ? "yes" : "no");
        if (ours["good_quantity"] is { Length: > 0 } good)
        {
            expected = expected.Add("good_quantity", good);
            actual = actual.Add("good_quantity", Quantity(theirs["qty_produced"]));
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
        ("production_order", "OperationCompleted") => e["state.state"] == "COMPLETED",
        ("lot", "LotBlocked") => true,
        _ => false,
    };

    /// <inheritdoc />
    public Task<DeliveryReceipt> DeliverAsync(IntegrationEvent e, CancellationToken cancellationToken) => e.EventType switch
    {
        "OperationCompleted" => CompleteProductionAsync(e, cancellationToken),
        "LotBlocked" => RaiseQualityAlertAsync(e, cancellationToken),
        _ => throw new ErpException($"The Odoo adapter does not map {e.EventType}.", transient: false),
    };

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
