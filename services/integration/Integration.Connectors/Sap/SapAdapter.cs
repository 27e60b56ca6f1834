using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Manufacturing.Domain;
using Manufacturing.Integration.Domain;

namespace Manufacturing.Integration.Connectors.Sap;

/// <summary>
/// Business events to SAP S/4HANA over OData V2 (<see cref="SapODataClient"/>). SAP has no
/// idempotency keys either: every material document the adapter posts carries, as its header text,
/// a 25-character key derived from our event id (<see cref="HeaderText"/>), and the adapter looks
/// for a document with that text before it posts, so a redelivery never posts twice.
/// <list type="bullet">
/// <item><b>Production completion</b> (<c>OperationCompleted</c> that completes the order): a goods
/// receipt for the manufacturing order through <c>API_MATERIAL_DOCUMENT_SRV</c> (goods movement
/// code <c>02</c>, movement type <c>101</c>, reference document type <c>F</c>) of the good quantity
/// of the order's product into the connector's storage location at the plant's SAP plant.</item>
/// <item><b>Supplier confirmations</b> (<c>PurchaseOrderLineConfirmed</c>): the confirmed delivery date
/// becomes the delivery date of schedule line 1 of the purchase order item in
/// <c>API_PURCHASEORDER_PROCESS_SRV</c>: read with its ETag, left alone when it already has that
/// date (so a redelivery changes nothing), else updated with <c>PATCH</c> and <c>If-Match</c>. When
/// SAP answers 412 (someone changed the line between our read and our write) the adapter reads it
/// again and tries once more.</item>
/// </list>
/// Reconciliation reads back, per completed order, the goods receipts (movement type 101) SAP holds
/// for the manufacturing order in <c>A_MaterialDocumentItem</c>, and compares what was received and
/// not cancelled (reversed) with our good quantity; 20 orders a call.
/// </summary>
public sealed class SapAdapter(SapODataClient sap, ConnectorOptions options, CodeMap? codes = null) : IErpAdapter, IErpReconciler
{
    private const int ReadPage = 20;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Reconciled { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        ["production_order"] = ["production-completion"],
        ["purchase_order"] = ["supplier-confirmations"],
    };

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, ErpRecord>> ReadAsync(IReadOnlyList<OurRecord> records, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, ErpRecord>(StringComparer.Ordinal);
        foreach (var page in records.Chunk(ReadPage))
        {
            if (page[0].AggregateType == "purchase_order")
            {
                await ReadConfirmationsAsync(page, found, cancellationToken);
                continue;
            }

            if (page[0].AggregateType != "production_order")
            {
                throw new ErpException($"The SAP adapter does not reconcile {page[0].AggregateType}.", transient: false);
            }

            var orders = string.Join(" or ", page.Select(r => $"ManufacturingOrder eq '{r.Id.Replace("'", "''", StringComparison.Ordinal)}'"));
            var answer = await sap.GetAsync(MaterialDocuments,
                $"A_MaterialDocumentItem?$filter=({orders}) and GoodsMovementType eq '101'"
                + "&$select=MaterialDocument,MaterialDocumentYear,ManufacturingOrder,QuantityInEntryUnit,GoodsMovementIsCancelled&$format=json", cancellationToken);
            var items = (answer?["results"] as JsonArray ?? []).OfType<JsonObject>()
                .GroupBy(i => i["ManufacturingOrder"]?.GetValue<string>() ?? "", StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            foreach (var record in page)
            {
                if (!items.TryGetValue(record.Id, out var receipts))
                {
                    continue; // SAP has no goods receipt for the order at all: the report shows it as missing
                }

                var received = receipts.Where(i => i["GoodsMovementIsCancelled"]?.GetValue<bool>() != true)
                    .Sum(i => Reconciliation.Number(i["QuantityInEntryUnit"]?.GetValue<string>() ?? "") ?? 0m);
                var last = receipts[^1];
                found[record.AggregateKey] = new ErpRecord(
                    $"material-document/{last["MaterialDocumentYear"]?.GetValue<string>()}/{last["MaterialDocument"]?.GetValue<string>()}",
                    ImmutableDictionary<string, string>.Empty.Add("good_quantity", record["good_quantity"]),
                    ImmutableDictionary<string, string>.Empty.Add("good_quantity", Reconciliation.Text(received)));
            }
        }

        return found;
    }
    // Confirmed dates: the delivery date of schedule line 1 of each confirmed item (our line 00010 is SAP's item 10).
    private async Task ReadConfirmationsAsync(OurRecord[] page, Dictionary<string, ErpRecord> found, CancellationToken cancellationToken)
    {
        var orders = string.Join(" or ", page.Select(r => $"PurchasingDocument eq '{Quote(r.Id)}'"));
        var answer = await sap.GetAsync(PurchaseOrders,
            $"A_PurchaseOrderScheduleLine?$filter=({orders}) and ScheduleLine eq '1'"
            + "&$select=PurchasingDocument,PurchasingDocumentItem,ScheduleLine,ScheduleLineDeliveryDate&$format=json", cancellationToken);
        var lines = (answer?["results"] as JsonArray ?? []).OfType<JsonObject>()
            .GroupBy(l => (l["PurchasingDocument"]?.GetValue<string>() ?? "", ItemNumber(l["PurchasingDocumentItem"]?.GetValue<string>() ?? "")))
            .ToDictionary(g => g.Key, g => ODataDate(g.First()["ScheduleLineDeliveryDate"]?.GetValue<string>()));
        foreach (var record in page)
        {
            var ours = ConfirmedDates.Parse(record["confirmed_dates"]);
            var theirs = ours.Keys.ToDictionary(line => line,
                line => lines.GetValueOrDefault((record.Id, ItemNumber(line))) is { } day ? day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "", StringComparer.Ordinal);
            found[record.AggregateKey] = new ErpRecord($"purchase-order/{record.Id}",
                ours.Count == 0 ? ImmutableDictionary<string, string>.Empty : ImmutableDictionary<string, string>.Empty.Add("confirmed_dates", ConfirmedDates.Text(ours)),
                ours.Count == 0 ? ImmutableDictionary<string, string>.Empty : ImmutableDictionary<string, string>.Empty.Add("confirmed_dates", ConfirmedDates.Text(theirs)));
        }
    }

    /// <summary>The material document service.</summary>
    public const string MaterialDocuments = "API_MATERIAL_DOCUMENT_SRV";

    /// <summary>The purchase order service.</summary>
    public const string PurchaseOrders = "API_PURCHASEORDER_PROCESS_SRV";

    /// <inheritdoc />
    public bool Supports(IntegrationEvent e) => (e.AggregateType, e.EventType) switch
    {
        ("production_order", "OperationCompleted") => e["state.state"] == "COMPLETED",
        ("production_order", "MaterialConsumed") => true,
        ("purchase_order", "PurchaseOrderLineConfirmed" or "GoodsReceived") => true,
        ("lot", "LotTransferred") => true,
        _ => false,
    };

    /// <summary>An OData V2 JSON date (<c>/Date(1765324800000)/</c>) as a day, or null.</summary>
    public static DateOnly? ODataDate(string? text) =>
        text is { Length: > 8 } && text.StartsWith("/Date(", StringComparison.Ordinal)
        && long.TryParse(text.AsSpan(6, text.IndexOfAny([')', '+', '-'], 7) - 6), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime)
            : null;

    /// <summary>A day as an OData V2 JSON date (midnight UTC).</summary>
    public static string ODataDate(DateOnly day) =>
        $"/Date({new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)})/";

    private async Task<DeliveryReceipt> ConfirmLineAsync(IntegrationEvent e, CancellationToken cancellationToken)
    {
        if (!DateOnly.TryParseExact(e["confirmed_delivery_date"], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw new ErpException($"The event carries no confirmed delivery date ({e["confirmed_delivery_date"]}).", transient: false);
        }

        var item = ItemNumber(e["line_id"]);
        var path = $"A_PurchaseOrderScheduleLine(PurchasingDocument='{Quote(e.Id)}',PurchasingDocumentItem='{Quote(item)}',ScheduleLine='1')";
        var receipt = new DeliveryReceipt($"purchase-order-schedule-line/{e.Id}/{item}/1");
        for (var attempt = 1; ; attempt++)
        {
            var read = await sap.GetEntityAsync(PurchaseOrders, path + "?$format=json", cancellationToken)
                ?? throw new ErpException($"SAP has no schedule line 1 of purchase order {e.Id} item {item}.", transient: false);
            if (ODataDate(read.Entity["ScheduleLineDeliveryDate"]?.GetValue<string>()) == date)
            {
                return receipt; // delivered before, or the same date set in SAP: nothing to change
            }

            if (read.ETag is not { Length: > 0 } etag)
            {
                throw new ErpException($"SAP answered schedule line 1 of purchase order {e.Id} item {item} without an ETag; it cannot be updated safely.", transient: false);
            }

            try
            {
                await sap.PatchAsync(PurchaseOrders, path, new JsonObject { ["ScheduleLineDeliveryDate"] = ODataDate(date) }, etag, cancellationToken);
                return receipt;
            }
            catch (ErpException changed) when (changed.Status == 412)
            {
                if (attempt == 2)
                {
                    throw new ErpException($"Schedule line 1 of purchase order {e.Id} item {item} changed in SAP again while it was being updated; trying later.", transient: true, changed);
                }
            }
        }
    }

    private static string Quote(string key) => key.Replace("'", "''", StringComparison.Ordinal);

    /// <summary>The header text that marks the document of <paramref name="eventId"/>: <c>MFG</c> and 22 characters of its SHA-256 (SAP allows 25).</summary>
    public static string HeaderText(string eventId) =>
        "MFG" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(eventId)))[..22];

    /// <inheritdoc />
    public Task<DeliveryReceipt> DeliverAsync(IntegrationEvent e, CancellationToken cancellationToken) => e.EventType switch
    {
        "OperationCompleted" => PostAsync(e, "02", ProductionReceipt, cancellationToken),
        "MaterialConsumed" => PostAsync(e, "03", IssueToOrder, cancellationToken),
        "GoodsReceived" => PostAsync(e, "01", PurchaseReceipt, cancellationToken),
        "LotTransferred" => PostAsync(e, "04", Transfer, cancellationToken),
        "PurchaseOrderLineConfirmed" => ConfirmLineAsync(e, cancellationToken),
        _ => throw new ErpException($"The SAP adapter does not map {e.EventType}.", transient: false),
    };

    /// <summary>
    /// Posts one material document with goods movement code <paramref name="code"/> and the item
    /// <paramref name="item"/> builds, unless SAP already holds the document of this event.
    /// </summary>
    private async Task<DeliveryReceipt> PostAsync(IntegrationEvent e, string code, Func<IntegrationEvent, string, JsonObject> item, CancellationToken cancellationToken)
    {
        var text = HeaderText(e.EventId);
        var found = await sap.GetAsync(MaterialDocuments,
            $"A_MaterialDocumentHeader?$filter=MaterialDocumentHeaderText eq '{text}'&$select=MaterialDocument,MaterialDocumentYear&$format=json", cancellationToken);
        if (found?["results"] is JsonArray { Count: > 0 } existing)
        {
            return Receipt(existing[0]); // posted by an earlier delivery of this event
        }

        if (!options.SapPlants.TryGetValue(e.Plant, out var plant))
        {
            throw new ErpException($"No SAP plant is configured for {e.Plant} (SapPlants__{e.Plant}).", transient: false);
        }

        var day = e.OccurredAt.UtcDateTime.Date.ToString("yyyy-MM-ddT00:00:00", CultureInfo.InvariantCulture);
        var posted = await sap.PostAsync(MaterialDocuments, "A_MaterialDocumentHeader", new JsonObject
        {
            ["GoodsMovementCode"] = code,
            ["PostingDate"] = day,
            ["DocumentDate"] = day,
            ["MaterialDocumentHeaderText"] = text,
            ["to_MaterialDocumentItem"] = new JsonObject { ["results"] = new JsonArray(item(e, plant)) },
        }, cancellationToken);
        return Receipt(posted);
    }

    /// <summary>Production receipt of a completed order: 101 against the manufacturing order (reference document type F).</summary>
    private JsonObject ProductionReceipt(IntegrationEvent e, string plant)
    {
        var (good, unit) = Amount(e, "good_quantity");
        return new JsonObject
        {
            ["Material"] = Material(Required(e, "state.product")),
            ["Plant"] = plant,
            ["StorageLocation"] = options.StorageLocation,
            ["GoodsMovementType"] = "101",
            ["GoodsMovementRefDocType"] = "F",
            ["ManufacturingOrder"] = e.Id,
            ["ManufacturingOrderItem"] = "1",
            ["QuantityInEntryUnit"] = good,
            ["EntryUnit"] = unit,
        };
    }

    /// <summary>Material consumed by a production order: goods issue 261 to the manufacturing order, from the lot's batch.</summary>
    private JsonObject IssueToOrder(IntegrationEvent e, string plant)
    {
        var (quantity, unit) = Amount(e, "quantity");
        var item = new JsonObject
        {
            ["Material"] = Material(Required(e, "component")),
            ["Plant"] = plant,
            ["StorageLocation"] = options.StorageLocation,
            ["GoodsMovementType"] = "261",
            ["ManufacturingOrder"] = e.Id,
            ["QuantityInEntryUnit"] = quantity,
            ["EntryUnit"] = unit,
        };
        return WithBatch(item, "Batch", LastSegment(e["lot"]));
    }

    /// <summary>Goods received on a purchase order line: 101 against the purchase order item (reference document type B), into the lot's batch.</summary>
    private JsonObject PurchaseReceipt(IntegrationEvent e, string plant)
    {
        var (quantity, unit) = Amount(e, "quantity");
        var item = new JsonObject
        {
            ["Material"] = Material(Required(e, "material")),
            ["Plant"] = plant,
            ["StorageLocation"] = options.StorageLocation,
            ["GoodsMovementType"] = "101",
            ["GoodsMovementRefDocType"] = "B",
            ["PurchaseOrder"] = e.Id,
            ["PurchaseOrderItem"] = ItemNumber(e["line_id"]),
            ["QuantityInEntryUnit"] = quantity,
            ["EntryUnit"] = unit,
        };
        return WithBatch(item, "Batch", LastSegment(e["lot"]));
    }

    /// <summary>A lot moved between our locations: transfer posting 311 between their SAP storage locations, within the plant and the batch.</summary>
    private JsonObject Transfer(IntegrationEvent e, string plant)
    {
        var (quantity, unit) = Amount(e, "quantity");
        var item = new JsonObject
        {
            ["Material"] = Material(Required(e, "state.material")),
            ["Plant"] = plant,
            ["StorageLocation"] = StorageLocationOf(Required(e, "from_location")),
            ["GoodsMovementType"] = "311",
            ["IssuingOrReceivingPlant"] = plant,
            ["IssuingOrReceivingStorageLoc"] = StorageLocationOf(Required(e, "to_location")),
            ["QuantityInEntryUnit"] = quantity,
            ["EntryUnit"] = unit,
        };
        WithBatch(item, "Batch", e.Id);
        return WithBatch(item, "IssgOrRcvgBatch", e.Id);
    }

    /// <summary>SAP's material number for our canonical code: through <c>Codes__sap__*</c> backwards, in SAP's external form.</summary>
    private string Material(string canonical) =>
        (codes ?? CodeMap.Empty).SourceCode(SourceSystem.Sap, canonical) is { } code ? SapMaterialNumber.ToExternal(code)
        : throw new ErpException($"Several SAP material numbers map to {canonical} (Codes__sap__*); which one to post is not known.", transient: false);

    private string StorageLocationOf(string location) =>
        options.StorageLocations.TryGetValue(location, out var storage) ? storage
        : throw new ErpException($"No SAP storage location is configured for location {location} (StorageLocations__{location}).", transient: false);

    private JsonObject WithBatch(JsonObject item, string field, string lot)
    {
        if (!options.Batches || lot.Length == 0)
        {
            return item;
        }

        // SAP batch numbers are at most 10 characters, kept in upper case.
        item[field] = lot.Length <= 10 ? lot.ToUpperInvariant()
            : throw new ErpException($"Lot {lot} is longer than the 10 characters of an SAP batch number; set Batches=false for this connector if SAP does not manage these materials in batches.", transient: false);
        return item;
    }

    /// <summary>A quantity attribute (<c>12.5 KG</c>) as SAP's decimal text and unit.</summary>
    private static (string Quantity, string Unit) Amount(IntegrationEvent e, string key)
    {
        var parts = e[key].Split(' ');
        return parts.Length == 2 && decimal.TryParse(parts[0], NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value > 0
            ? (value.ToString(CultureInfo.InvariantCulture), parts[1])
            : throw new ErpException($"The event carries no usable {key.Replace('_', ' ')}: '{e[key]}' (SAP needs a positive amount and unit, such as '12.5 KG').", transient: false);
    }

    private static string Required(IntegrationEvent e, string key) =>
        e[key] is { Length: > 0 } value ? value : throw new ErpException($"The event carries no {key}.", transient: false);

    /// <summary>SAP's item numbers have no leading zeros in OData (<c>10</c> for our line <c>00010</c>).</summary>
    private static string ItemNumber(string lineId) => lineId.TrimStart('0') is { Length: > 0 } trimmed ? trimmed : "0";

    private static string LastSegment(string name) => name[(name.LastIndexOf('/') + 1)..];

    private static DeliveryReceipt Receipt(JsonNode? document) =>
        document?["MaterialDocument"]?.GetValue<string>() is { Length: > 0 } number
            ? new DeliveryReceipt($"material-document/{document["MaterialDocumentYear"]?.GetValue<string>()}/{number}")
            : throw new ErpException("SAP answered without a material document number.", transient: false);
}
