using Manufacturing.Domain;

namespace Manufacturing.UnitTests.Shared;

public sealed class QuantityTests
{
    [Theory]
    [InlineData("12", "EA", "12")]
    [InlineData("0.125", "KG", "0.125")]
    [InlineData("1.500", "L", "1.5")]
    [InlineData("0000.5", "M", "0.5")]
    [InlineData("123456789012345678.123456", "EA", "123456789012345678.123456")]
    public void Valid_decimal_text_parses_exactly(string value, string unit, string expected)
    {
        var violations = new Violations();

        var quantity = Quantity.Parse(value, unit, "quantity", violations);

        Assert.True(violations.IsEmpty, string.Join("; ", violations.Items));
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), quantity!.Value);
        Assert.Equal(expected, quantity.ValueText);
        Assert.Equal(unit, quantity.Unit);
    }

    [Theory]
    [InlineData("", "EA", "quantity.value")]
    [InlineData("1e3", "EA", "quantity.value")]
    [InlineData("1,5", "EA", "quantity.value")]
    [InlineData(" 1", "EA", "quantity.value")]
    [InlineData("NaN", "EA", "quantity.value")]
    [InlineData("0.1234567", "EA", "quantity.value")]
    [InlineData("0", "EA", "quantity.value")]
    [InlineData("-2", "EA", "quantity.value")]
    [InlineData("1", "", "quantity.unit_of_measure")]
    [InlineData("1", "kg", "quantity.unit_of_measure")]
    [InlineData("1", "KILOGRAMS_PER_SQ_M", "quantity.unit_of_measure")]
    public void Invalid_quantity_names_the_bad_field(string value, string unit, string field)
    {
        var violations = new Violations();

        var quantity = Quantity.Parse(value, unit, "quantity", violations);

        Assert.Null(quantity);
        Assert.Equal(field, Assert.Single(violations.Items).Field);
    }

    [Fact]
    public void Trailing_zeros_do_not_make_a_different_quantity()
    {
        Assert.Equal(new Quantity(1.50m, "KG"), new Quantity(1.5m, "KG"));
        Assert.Equal("1.5", new Quantity(1.500m, "KG").ValueText);
    }

    [Fact]
    public void Quantities_of_different_units_are_never_added()
    {
        Assert.Throws<InvalidOperationException>(() => new Quantity(1, "KG").Plus(new Quantity(1, "L")));
        Assert.Equal(new Quantity(3.25m, "KG"), new Quantity(1.25m, "KG").Plus(new Quantity(2, "KG")));
    }
}
