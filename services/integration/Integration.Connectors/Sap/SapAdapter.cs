using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
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
public sealed class SapAdapter(SapODataClient sap, ConnectorOptions options) : IErpAdapter, IErpReconciler
{
    private const int ReadPage = 20;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Reconciled { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        ["production_order"] = ["production-completion"],
    };

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, ErpRecord>> ReadAsync(IReadOnlyList<OurRecord> records, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, ErpRecord>(StringComparer.Ordinal);
        foreach (var page in records.Chunk(ReadPage))
        {
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
    /// <summary>The material document service.</summary>
    public const string MaterialDocuments = "API_MATERIAL_DOCUMENT_SRV";

    /// <summary>The purchase order service.</summary>
    public const string PurchaseOrders = "API_PURCHASEORDER_PROCESS_SRV";

    /// <inheritdoc />
    public bool Supports(IntegrationEvent e) => (e.AggregateType, e.EventType) switch
    {
        ("production_order", "OperationCompleted") => e["state.state"] == "COMPLETED",
        ("purchase_order", "PurchaseOrderLineConfirmed") => true,
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

        // SAP's item numbers have no leading zeros in OData ('10' for our line 00010).
        var item = e["line_id"].TrimStart('0') is { Length: > 0 } trimmed ? trimmed : "0";
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
        "OperationCompleted" => ReceiveProductionAsync(e, cancellationToken),
        "PurchaseOrderLineConfirmed" => ConfirmLineAsync(e, cancellationToken),
        _ => throw new ErpException($"The SAP adapter does not map {e.EventType}.", transient: false),
    };

    private async Task<DeliveryReceipt> ReceiveProductionAsync(IntegrationEvent e, CancellationToken cancellationToken)
    {
        var text = HeaderText(e.EventId);
        var found = await sap.GetAsync(MaterialDocuments,
            $"A_MaterialDocumentHeader?$filter=MaterialDocumentHeaderText eq '{text}'&$select=MaterialDocument,MaterialDocumentYear&$format=json", cancellationToken);
        if (found?["results"] is JsonArray { Count: > 0 } existing)
        {
            return Receipt(existing[0]); // posted by an earlier delivery of this event
        }

        var parts = e["good_quantity"].Split(' ');
        if (parts.Length != 2 || !decimal.TryParse(parts[0], NumberStyles.Number, CultureInfo.InvariantCulture, out var good))
        {
            throw new ErpException($"The event carries no good quantity ({e["good_quantity"]}).", transient: false);
        }

        if (!options.SapPlants.TryGetValue(e.Plant, out var plant))
        {
            throw new ErpException($"No SAP plant is configured for {e.Plant} (SapPlants__{e.Plant}).", transient: false);
        }

        var today = e.OccurredAt.UtcDateTime.Date.ToString("yyyy-MM-ddT00:00:00", CultureInfo.InvariantCulture);
        var posted = await sap.PostAsync(MaterialDocuments, "A_MaterialDocumentHeader", new JsonObject
        {
            ["GoodsMovementCode"] = "02",
            ["PostingDate"] = today,
            ["DocumentDate"] = today,
            ["MaterialDocumentHeaderText"] = text,
            ["to_MaterialDocumentItem"] = new JsonObject
            {
                ["results"] = new JsonArray(new JsonObject
                {
                    ["Material"] = SapMaterialNumber.ToExternal(e["state.product"]),
                    ["Plant"] = plant,
                    ["StorageLocation"] = options.StorageLocation,
                    ["GoodsMovementType"] = "101",
                    ["GoodsMovementRefDocType"] = "F",
                    ["ManufacturingOrder"] = e.Id,
                    ["ManufacturingOrderItem"] = "1",
                    ["QuantityInEntryUnit"] = good.ToString(CultureInfo.InvariantCulture),
                    ["EntryUnit"] = parts[1],
                }),
            },
        }, cancellationToken);
        return Receipt(posted);
    }

    private static DeliveryReceipt Receipt(JsonNode? document) =>
        document?["MaterialDocument"]?.GetValue<string>() is { Length: > 0 } number
            ? new DeliveryReceipt($"material-document/{document["MaterialDocumentYear"]?.GetValue<string>()}/{number}")
            : throw new ErpException("SAP answered without a material document number.", transient: false);
}
