using Manufacturing.Domain;
using Manufacturing.Inventory.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.Shared;

/// <summary>Exact unit conversions, per-material packaging, clear refusals, and the round trip.</summary>
public sealed class UnitCatalogTests
{
    private static readonly UnitCatalog Units = new([("BOLT-M8", "BOX", 100m), ("FRAME-26", "PAL", 12m)]);

    [Theory]
    [InlineData("1250.5", "KG", "G", "1250500")]
    [InlineData("2", "T", "KG", "2000")]
    [InlineData("1", "LB", "KG", "0.45359237")]
    [InlineData("1", "GAL", "L", "3.785411784")]
    [InlineData("3", "DZ", "EA", "36")]
    [InlineData("250", "MM", "M", "0.25")]
    [InlineData("3", "BOX", "EA", "300")]
    [InlineData("250", "EA", "BOX", "2.5")]
    public void Converts_exactly(string value, string from, string to, string expected)
    {
        var (converted, error) = Units.Convert(new Quantity(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture), from), to, "BOLT-M8", "quantity");

        Assert.Null(error);
        Assert.Equal(expected, converted!.ValueText);
        Assert.Equal(to, converted.Unit);
    }

    [Theory]
    [InlineData("1", "KG", "M", "Mass")]
    [InlineData("1", "XYZ", "KG", "not a known unit")]
    [InlineData("1", "BOX", "EA", "not a known unit")]
    [InlineData("1", "EA", "DZ", "not exactly expressible")]
    public void Refuses_unknown_incompatible_and_inexact_conversions(string value, string from, string to, string because)
    {
        var (converted, error) = Units.Convert(new Quantity(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture), from), to, "FRAME-26", "quantity");

        Assert.Null(converted);
        Assert.Equal(DomainErrorCode.InvalidArgument, error!.Code);
        Assert.Contains(because, Assert.Single(error.Violations).Description, StringComparison.Ordinal);
        Assert.Equal("quantity.unit_of_measure", error.Violations[0].Field);
    }

    /// <summary>Property: every accepted conversion converts back to exactly the original (seeded random values and unit pairs).</summary>
    [Fact]
    public void Every_accepted_conversion_round_trips()
    {
        var random = new Random(7);
        var codes = UnitCatalog.Standard.Select(u => u.Code).Append("BOX").ToArray();
        var accepted = 0;
        for (var i = 0; i < 5000; i++)
        {
            var value = Math.Round((decimal)random.NextDouble() * 10000m, random.Next(0, 7));
            var from = codes[random.Next(codes.Length)];
            var to = codes[random.Next(codes.Length)];
            var original = new Quantity(value, from);

            var (there, error) = Units.Convert(original, to, "BOLT-M8", "q");
            if (error is not null)
            {
                continue;
            }

            accepted++;
            var (back, backError) = Units.Convert(there!, from, "BOLT-M8", "q");
            Assert.Null(backError);
            Assert.Equal(original, back);
        }

        Assert.True(accepted > 500, $"only {accepted} conversions were accepted");
    }

    [Fact]
    public void A_consumption_in_grams_draws_a_lot_kept_in_kilograms()
    {
        var lot = LotRules.Receive("P100/LOT-1", null, Commands.Receive()).Next!;
        var consume = new ConsumeLot { Metadata = Commands.Meta("c", SourceSystem.Mes), Quantity = new Quantity(500, "G"), ProductionOrder = "P100/WO-1" };

        var after = LotRules.Consume("P100/LOT-1", lot, consume, Units).Next!;

        Assert.Equal(new Quantity(1250m, "KG"), after.QuantityOnHand);
        Assert.Equal(new Quantity(0.5m, "KG"), Assert.Single(after.Consumptions).Quantity);
    }
}
