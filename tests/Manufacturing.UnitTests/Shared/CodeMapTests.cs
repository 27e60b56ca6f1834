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
}
