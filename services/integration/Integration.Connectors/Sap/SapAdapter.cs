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
/// </summary>
public sealed class SapAdapter(SapODataClient sap, ConnectorOptions options) : IErpAdapter
{
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
