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

    /// <inheritdoc />
    public bool Supports(IntegrationEvent e) =>
        e is { AggregateType: "production_order", EventType: "OperationCompleted" } && e["state.state"] == "COMPLETED";

    /// <summary>The header text that marks the document of <paramref name="eventId"/>: <c>MFG</c> and 22 characters of its SHA-256 (SAP allows 25).</summary>
    public static string HeaderText(string eventId) =>
        "MFG" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(eventId)))[..22];

    /// <inheritdoc />
    public async Task<DeliveryReceipt> DeliverAsync(IntegrationEvent e, CancellationToken cancellationToken)
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
