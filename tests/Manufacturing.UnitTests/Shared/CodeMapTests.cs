using Manufacturing.Domain;

namespace Manufacturing.UnitTests.Shared;

/// <summary>Each source system speaks its own item codes; the aggregates store the canonical one.</summary>
public sealed class CodeMapTests
{
    private static readonly CodeMap Codes = new([
        (SourceSystem.Sap, "000000000000012345", "STEEL-S235"),
        (SourceSystem.Odoo, "FURN_8888", "BIKE-26"),
        (SourceSystem.Mes, "ST235", "STEEL-S235"),
    ]);

    [Theory]
    [InlineData(SourceSystem.Sap, "000000000000012345", "STEEL-S235")]
    [InlineData(SourceSystem.Sap, "12345", "STEEL-S235")]
    [InlineData(SourceSystem.Sap, "000000000000099999", "99999")]
    [InlineData(SourceSystem.Sap, "MAT-ALPHA-01", "MAT-ALPHA-01")]
    [InlineData(SourceSystem.Odoo, "FURN_8888", "BIKE-26")]
    [InlineData(SourceSystem.Odoo, "12345", "12345")]
    [InlineData(SourceSystem.Mes, "ST235", "STEEL-S235")]
    [InlineData(SourceSystem.Warehouse, "STEEL-S235", "STEEL-S235")]
    public void Codes_become_canonical_per_source_system(SourceSystem source, string code, string canonical) =>
        Assert.Equal(canonical, Codes.Canonical(source, code));

    [Fact]
    public void Sap_numbers_keep_their_18_digit_internal_form_for_the_way_back()
    {
        Assert.Equal("000000000000012345", CodeMap.SapInternal("12345"));
        Assert.Equal("0", CodeMap.Normalize(SourceSystem.Sap, "000000000000000000"));
        Assert.Equal("STEEL-S235", CodeMap.SapInternal("STEEL-S235"));
    }

    [Theory]
    [InlineData(SourceSystem.Sap, "STEEL-S235", "12345")]
    [InlineData(SourceSystem.Odoo, "BIKE-26", "FURN_8888")]
    [InlineData(SourceSystem.Odoo, "STEEL-S235", "STEEL-S235")]
    [InlineData(SourceSystem.Sap, "99999", "99999")]
    public void Messages_to_a_source_system_speak_its_code_for_the_canonical_one(SourceSystem source, string canonical, string code) =>
        Assert.Equal(code, Codes.SourceCode(source, canonical));

    [Fact]
    public void A_canonical_code_that_several_source_codes_map_to_has_no_way_back()
    {
        var codes = new CodeMap([(SourceSystem.Sap, "12345", "STEEL-S235"), (SourceSystem.Sap, "67890", "STEEL-S235"), (SourceSystem.Odoo, "S235", "STEEL-S235")]);

        Assert.Null(codes.SourceCode(SourceSystem.Sap, "STEEL-S235"));
        Assert.Equal("S235", codes.SourceCode(SourceSystem.Odoo, "STEEL-S235"));
    }
}
