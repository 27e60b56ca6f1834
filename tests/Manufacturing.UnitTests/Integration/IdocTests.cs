using Manufacturing.Integration.Connectors.Sap;

namespace Manufacturing.UnitTests.Integration;

/// <summary>Reading SAP IDoc XML: ORDERS05 purchase orders and DESADV shipment notices, and clear refusals.</summary>
public sealed class IdocTests
{
    /// <summary>An ORDERS05 IDoc as an S/4HANA XML-HTTP port sends it (trimmed to the segments read).</summary>
    public static string Orders(string docnum, string po, string messageType = "ORDERS", string unit = "KGM", string plant = "1020", string vendor = "0000100200") => Sample("ORDERS05.xml").Replace("{DOCNUM}", docnum, StringComparison.Ordinal).Replace("{PO}", po, StringComparison.Ordinal)
        .Replace("{MESTYP}", messageType, StringComparison.Ordinal).Replace("{UNIT}", unit, StringComparison.Ordinal)
        .Replace("{WERKS}", plant, StringComparison.Ordinal).Replace("{VENDOR}", vendor, StringComparison.Ordinal);

    /// <summary>A DESADV shipment notice (basic type DELVRY03) against one purchase order item.</summary>
    public static string Desadv(string docnum, string po, string plant = "1020") => Sample("DESADV.xml").Replace("{DOCNUM}", docnum, StringComparison.Ordinal).Replace("{PO}", po, StringComparison.Ordinal)
        .Replace("{WERKS}", plant, StringComparison.Ordinal);

    // The sample IDocs in docs/samples/idocs, with placeholders ({DOCNUM}, {PO}, …) for what a test varies.
    private static string Sample(string name)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "docs", "samples", "idocs", name)))
        {
            directory = directory.Parent;
        }

        return File.ReadAllText(Path.Combine(directory?.FullName ?? throw new FileNotFoundException($"docs/samples/idocs/{name} above {AppContext.BaseDirectory}"), "docs", "samples", "idocs", name));
    }

    [Fact]
    public void An_orders05_purchase_order_is_read_with_iso_units_and_prices_per_unit()
    {
        var order = Assert.IsType<IdocPurchaseOrder>(SapIdocs.Parse(Orders("0000000000123456", "4500000017")));

        Assert.Equal(("0000000000123456", "ORDERS05", "ORDERS", "S4HCLNT100"), (order.Control.Number, order.Control.BasicType, order.Control.MessageType, order.Control.Sender));
        Assert.False(order.IsChange);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 15, 0, TimeSpan.Zero), order.Control.Created);
        Assert.Equal(("4500000017", "100200", "EUR"), (order.Number, order.Vendor, order.Currency));
        var line = Assert.Single(order.Lines);
        Assert.Equal(new IdocOrderLine("00010", "000000000000012345", 2000m, "KG", 1.25m, "1020", new DateOnly(2026, 12, 10)), line);
        Assert.True(Assert.IsType<IdocPurchaseOrder>(SapIdocs.Parse(Orders("1", "4500000017", "ORDCHG"))).IsChange);
    }

    [Fact]
    public void A_desadv_notice_is_read_with_its_delivery_date_and_purchase_order_references()
    {
        var notice = Assert.IsType<IdocShipmentNotice>(SapIdocs.Parse(Desadv("0000000000777001", "4500000017")));

        Assert.Equal(("0180000123", new DateTimeOffset(2026, 12, 10, 8, 30, 0, TimeSpan.Zero)), (notice.Delivery, notice.ExpectedArrival));
        Assert.Equal(new IdocShipmentLine("4500000017", "00010", 1500m, "KG", "S-77", "1020"), Assert.Single(notice.Lines));
    }

    [Theory]
    [InlineData("<ORDERS05><IDOC", "(document)", "well-formed")]
    [InlineData("<ORDERS05/>", "(document)", "no IDOC")]
    [InlineData("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><ORDERS05><IDOC/></ORDERS05>", "(document)", "well-formed")]
    public void Unreadable_xml_is_refused_with_the_place(string xml, string path, string reason)
    {
        var refused = Assert.Throws<IdocException>(() => SapIdocs.Parse(xml));

        Assert.Equal(path, refused.Path);
        Assert.Contains(reason, refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Fields_that_cannot_be_taken_are_refused_with_segment_and_field()
    {
        var unit = Assert.Throws<IdocException>(() => SapIdocs.Parse(Orders("1", "45", unit: "XYZ")));
        Assert.Equal("E1EDP01[1]/MENEE", unit.Path);
        Assert.Contains("'XYZ' is not an ISO unit", unit.Reason, StringComparison.Ordinal);

        var quantity = Assert.Throws<IdocException>(() => SapIdocs.Parse(Orders("1", "45").Replace("<MENGE>2000.000</MENGE>", "<MENGE>lots</MENGE>", StringComparison.Ordinal)));
        Assert.Equal("E1EDP01[1]/MENGE", quantity.Path);

        var type = Assert.Throws<IdocException>(() => SapIdocs.Parse(Orders("1", "45").Replace("<MESTYP>ORDERS</MESTYP>", "<MESTYP>INVOIC</MESTYP>", StringComparison.Ordinal)));
        Assert.Equal("EDI_DC40/MESTYP", type.Path);

        var reference = Assert.Throws<IdocException>(() => SapIdocs.Parse(Desadv("1", "45").Replace("<QUALI>001</QUALI>", "<QUALI>002</QUALI>", StringComparison.Ordinal)));
        Assert.Equal("E1EDL20/E1EDL24[1]/E1EDL41", reference.Path);
    }
}
