using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Manufacturing.Integration.Connectors.Sap;

/// <summary>An IDoc this system cannot take: what is wrong, and where (<c>E1EDP01[2]/MENGE</c>).</summary>
public sealed class IdocException(string path, string message) : Exception($"{path}: {message}")
{
    /// <summary>The segment and field at fault.</summary>
    public string Path { get; } = path;

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; } = message;
}

/// <summary>An IDoc's control record (<c>EDI_DC40</c>): its number, basic type and message type.</summary>
/// <param name="Number">DOCNUM: unique per sending system; a re-sent IDoc keeps it.</param>
/// <param name="BasicType">IDOCTYP (<c>ORDERS05</c>, <c>DELVRY03</c>, …).</param>
/// <param name="MessageType">MESTYP (<c>ORDERS</c>, <c>ORDCHG</c>, <c>DESADV</c>).</param>
/// <param name="Sender">SNDPRN, the sending partner.</param>
/// <param name="Created">CREDAT and CRETIM, when the sender created it (taken as UTC); null when it does not say.</param>
public sealed record IdocControl(string Number, string BasicType, string MessageType, string Sender, DateTimeOffset? Created = null);

/// <summary>A purchase order line of an ORDERS05 IDoc (segment <c>E1EDP01</c>).</summary>
/// <param name="Item">POSEX, the item number (<c>00010</c>).</param>
/// <param name="Material">The buyer's material number (<c>E1EDP19</c> qualifier 001), as SAP sends it.</param>
/// <param name="Quantity">MENGE.</param>
/// <param name="Unit">The unit, converted from SAP's ISO code (MENEE <c>KGM</c> → <c>KG</c>).</param>
/// <param name="UnitPrice">VPREI per PEINH units, as a price per unit.</param>
/// <param name="Plant">WERKS, the SAP plant.</param>
/// <param name="Delivery">The first schedule line's date (<c>E1EDP20</c> EDATU).</param>
public sealed record IdocOrderLine(string Item, string Material, decimal Quantity, string Unit, decimal UnitPrice, string Plant, DateOnly Delivery);

/// <summary>A purchase order as ORDERS05 carries it (message type ORDERS: new; ORDCHG: changed).</summary>
/// <param name="Control">The control record.</param>
/// <param name="Number">BELNR of <c>E1EDK01</c>, the purchase order number.</param>
/// <param name="Vendor">The vendor (<c>E1EDKA1</c> with PARVW <c>LF</c>), without SAP's leading zeros.</param>
/// <param name="Currency">CURCY.</param>
/// <param name="Lines">The items.</param>
public sealed record IdocPurchaseOrder(IdocControl Control, string Number, string Vendor, string Currency, IReadOnlyList<IdocOrderLine> Lines)
{
    /// <summary>True for ORDCHG (a change of an order sent before).</summary>
    public bool IsChange => Control.MessageType == "ORDCHG";
}

/// <summary>One delivered item of a shipment notice, against a purchase order item.</summary>
/// <param name="PurchaseOrder">BSTNR of <c>E1EDL41</c> (qualifier 001).</param>
/// <param name="Item">POSEX of <c>E1EDL41</c>.</param>
/// <param name="Quantity">LFIMG.</param>
/// <param name="Unit">The unit, converted from VRKME's ISO code.</param>
/// <param name="SupplierLot">CHARG, the supplier's batch; "" when none.</param>
/// <param name="Plant">WERKS, the receiving SAP plant.</param>
public sealed record IdocShipmentLine(string PurchaseOrder, string Item, decimal Quantity, string Unit, string SupplierLot, string Plant);

/// <summary>A shipment notice (message type DESADV, basic type DELVRY0x).</summary>
/// <param name="Control">The control record.</param>
/// <param name="Delivery">VBELN of <c>E1EDL20</c>, the delivery (notice) number.</param>
/// <param name="ExpectedArrival">The delivery date and time (<c>E1EDT13</c> qualifier 007, NTANF/NTANZ, taken as UTC).</param>
/// <param name="Lines">The delivered items.</param>
public sealed record IdocShipmentNotice(IdocControl Control, string Delivery, DateTimeOffset ExpectedArrival, IReadOnlyList<IdocShipmentLine> Lines);

/// <summary>
/// Reads SAP IDoc XML (the format of an XML-HTTP port): <c>ORDERS05</c> purchase orders (message
/// types ORDERS and ORDCHG) and <c>DELVRY</c> shipment notices (message type DESADV). Pure: it
/// reads what the IDoc says, converts SAP's ISO units, and refuses what it cannot read with the
/// segment and field at fault. Mapping to commands is the caller's.
/// </summary>
public static class SapIdocs
{
    private static readonly Dictionary<string, string> IsoUnits = new(StringComparer.Ordinal)
    {
        ["KGM"] = "KG", ["GRM"] = "G", ["TNE"] = "T", ["LTR"] = "L", ["MTR"] = "M", ["MTK"] = "M2", ["MTQ"] = "M3",
        ["PCE"] = "EA", ["EA"] = "EA", ["C62"] = "EA", ["H87"] = "EA", ["PR"] = "PR", ["SET"] = "SET", ["ROL"] = "ROL",
    };

    /// <summary>Reads <paramref name="xml"/>: an <see cref="IdocPurchaseOrder"/> or an <see cref="IdocShipmentNotice"/>.</summary>
    public static object Parse(string xml)
    {
        XDocument document;
        try
        {
            // No DTDs (an IDoc has none; refusing them keeps entity expansion and external entities out).
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            document = XDocument.Load(reader, LoadOptions.None);
        }
        catch (XmlException e)
        {
            throw new IdocException("(document)", $"is not well-formed XML: {e.Message}");
        }

        var idoc = document.Root?.Element("IDOC") ?? throw new IdocException("(document)", "has no IDOC element under its root");
        var controlRecord = idoc.Element("EDI_DC40") ?? throw new IdocException("EDI_DC40", "the control record is missing");
        var created = controlRecord.Element("CREDAT") is { } day
            ? new DateTimeOffset(Date(day, "EDI_DC40/CREDAT").ToDateTime(Time(controlRecord.Element("CRETIM"))), TimeSpan.Zero)
            : (DateTimeOffset?)null;
        var control = new IdocControl(Required(controlRecord, "DOCNUM", "EDI_DC40"), Required(controlRecord, "IDOCTYP", "EDI_DC40"),
            Required(controlRecord, "MESTYP", "EDI_DC40"), ((string?)controlRecord.Element("SNDPRN") ?? "").Trim(), created);
        return control.MessageType switch
        {
            "ORDERS" or "ORDCHG" when control.BasicType.StartsWith("ORDERS", StringComparison.Ordinal) => PurchaseOrder(idoc, control),
            "DESADV" when control.BasicType.StartsWith("DELVRY", StringComparison.Ordinal) => ShipmentNotice(idoc, control),
            _ => throw new IdocException("EDI_DC40/MESTYP", $"{control.MessageType} ({control.BasicType}) is not taken here; ORDERS or ORDCHG (ORDERS05) and DESADV (DELVRY03) are"),
        };
    }

    private static IdocPurchaseOrder PurchaseOrder(XElement idoc, IdocControl control)
    {
        var header = idoc.Element("E1EDK01") ?? throw new IdocException("E1EDK01", "the document header is missing");
        var vendor = idoc.Elements("E1EDKA1").FirstOrDefault(p => (string?)p.Element("PARVW") == "LF")
            ?? throw new IdocException("E1EDKA1", "no partner with PARVW LF (the vendor)");
        var lines = idoc.Elements("E1EDP01").Select((item, i) =>
        {
            var at = $"E1EDP01[{i + 1}]";
            var material = item.Elements("E1EDP19").FirstOrDefault(m => (string?)m.Element("QUALF") == "001")
                ?? throw new IdocException($"{at}/E1EDP19", "no material number with QUALF 001");
            var schedule = item.Element("E1EDP20") ?? throw new IdocException($"{at}/E1EDP20", "no schedule line (delivery date)");
            var per = item.Element("PEINH") is { } unit ? Number(unit, $"{at}/PEINH") : 1m;
            return new IdocOrderLine(
                Required(item, "POSEX", at),
                Required(material, "IDTNR", $"{at}/E1EDP19"),
                Number(item.Element("MENGE"), $"{at}/MENGE"),
                Unit(item.Element("MENEE"), $"{at}/MENEE"),
                per == 0 ? throw new IdocException($"{at}/PEINH", "is zero") : Number(item.Element("VPREI"), $"{at}/VPREI") / per,
                Required(item, "WERKS", at),
                Date(schedule.Element("EDATU"), $"{at}/E1EDP20/EDATU"));
        }).ToList();
        if (lines.Count == 0)
        {
            throw new IdocException("E1EDP01", "the order has no items");
        }

        return new IdocPurchaseOrder(control, Required(header, "BELNR", "E1EDK01"), Required(vendor, "PARTN", "E1EDKA1").TrimStart('0'),
            Required(header, "CURCY", "E1EDK01"), lines);
    }

    private static IdocShipmentNotice ShipmentNotice(XElement idoc, IdocControl control)
    {
        var delivery = idoc.Element("E1EDL20") ?? throw new IdocException("E1EDL20", "the delivery header is missing");
        var date = delivery.Elements("E1EDT13").FirstOrDefault(d => (string?)d.Element("QUALF") == "007")
            ?? throw new IdocException("E1EDL20/E1EDT13", "no date with QUALF 007 (the delivery date)");
        var day = Date(date.Element("NTANF"), "E1EDL20/E1EDT13/NTANF");
        var time = Time(date.Element("NTANZ"));
        var lines = delivery.Elements("E1EDL24").Select((item, i) =>
        {
            var at = $"E1EDL20/E1EDL24[{i + 1}]";
            var order = item.Elements("E1EDL41").FirstOrDefault(r => (string?)r.Element("QUALI") == "001")
                ?? throw new IdocException($"{at}/E1EDL41", "no purchase order reference with QUALI 001");
            return new IdocShipmentLine(Required(order, "BSTNR", $"{at}/E1EDL41"), Required(order, "POSEX", $"{at}/E1EDL41"),
                Number(item.Element("LFIMG"), $"{at}/LFIMG"), Unit(item.Element("VRKME"), $"{at}/VRKME"), ((string?)item.Element("CHARG") ?? "").Trim(),
                Required(item, "WERKS", at));
        }).ToList();
        if (lines.Count == 0)
        {
            throw new IdocException("E1EDL20/E1EDL24", "the notice has no items");
        }

        return new IdocShipmentNotice(control, Required(delivery, "VBELN", "E1EDL20"),
            new DateTimeOffset(day.ToDateTime(time), TimeSpan.Zero), lines);
    }

    private static string Required(XElement segment, string field, string at) =>
        ((string?)segment.Element(field))?.Trim() is { Length: > 0 } value ? value : throw new IdocException($"{at}/{field}", "is missing or empty");

    private static decimal Number(XElement? field, string at) =>
        field is null ? throw new IdocException(at, "is missing")
        : decimal.TryParse(field.Value.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value
        : throw new IdocException(at, $"'{field.Value}' is not a non-negative number");

    private static DateOnly Date(XElement? field, string at) =>
        field is null ? throw new IdocException(at, "is missing")
        : DateOnly.TryParseExact(field.Value.Trim(), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day
        : throw new IdocException(at, $"'{field.Value}' is not a date (YYYYMMDD)");

    // HHMMSS, midnight when absent or unreadable (a time is optional in both places it is read).
    private static TimeOnly Time(XElement? field) =>
        field is not null && TimeOnly.TryParseExact(field.Value.Trim(), "HHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : TimeOnly.MinValue;

    private static string Unit(XElement? field, string at) =>
        field is null ? throw new IdocException(at, "is missing")
        : IsoUnits.TryGetValue(field.Value.Trim(), out var unit) ? unit
        : throw new IdocException(at, $"'{field.Value}' is not an ISO unit this system maps ({string.Join(", ", IsoUnits.Keys)})");
}
