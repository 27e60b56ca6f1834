using Manufacturing.Grains.Placement;

namespace Manufacturing.UnitTests.Placement;

/// <summary>The plant-affine choice: plant silos first, then silos serving every plant, then any; rendezvous hashing within.</summary>
public sealed class PlantPlacementTests
{
    private sealed record Silo(string Id, params string[] Plants);

    private static Silo Choose(string key, params Silo[] silos) =>
        PlantPlacement.Choose(key, silos, s => s.Plants.ToHashSet(), s => s.Id);

    private static readonly Silo General = new("10.0.0.1:11111");
    private static readonly Silo P200A = new("10.0.0.2:11111", "P200");
    private static readonly Silo P200B = new("10.0.0.3:11111", "P200", "P300");

    [Fact]
    public void A_grain_goes_to_a_silo_of_its_plant_when_its_plant_has_one()
    {
        var keys = Enumerable.Range(1, 200).Select(i => $"P200/WO-{i}").ToList();

        var placed = keys.Select(k => Choose(k, General, P200A, P200B)).ToList();

        Assert.DoesNotContain(General, placed);
        Assert.InRange(placed.Count(s => s == P200A), 60, 140); // spread across the plant's silos
        Assert.Equal(P200B, Choose("P300/WO-1", General, P200A, P200B));
    }

    [Fact]
    public void Without_a_silo_of_its_plant_a_grain_goes_to_a_silo_serving_every_plant_and_else_to_any()
    {
        Assert.Equal(General, Choose("P100/WO-1", General, P200A, P200B));
        Assert.Equal(General, Choose("no-plant-key", General, P200A));
        Assert.Contains(Choose("P100/WO-1", P200A, P200B), new[] { P200A, P200B });
        Assert.Throws<ArgumentException>(() => Choose("P100/WO-1"));
    }

    [Fact]
    public void A_silo_joining_a_plant_takes_over_only_the_grains_that_now_hash_to_it()
    {
        var keys = Enumerable.Range(1, 1000).Select(i => $"P200/LOT-{i}").ToList();
        var before = keys.ToDictionary(k => k, k => Choose(k, General, P200A));
        var joined = new Silo("10.0.0.9:11111", "P200");

        var after = keys.ToDictionary(k => k, k => Choose(k, General, P200A, joined));

        var moved = keys.Where(k => after[k] != before[k]).ToList();
        Assert.All(moved, k => Assert.Equal(joined, after[k]));
        Assert.InRange(moved.Count, 400, 600); // about half of the plant's grains, none of the others
        Assert.Equal(before, keys.ToDictionary(k => k, k => Choose(k, General, P200A))); // the choice is stable
    }

    [Theory]
    [InlineData("P200/WO-1", "P200")]
    [InlineData("P200/lots/x", "P200")]
    [InlineData("WO-1", null)]
    [InlineData("/WO-1", null)]
    public void The_plant_is_the_key_s_first_segment(string key, string? plant) => Assert.Equal(plant, PlantPlacement.PlantOf(key));

    [Fact]
    public void Plants_are_read_from_a_list_in_configuration()
    {
        Assert.Equal(new HashSet<string> { "P200", "P300" }, PlantPlacement.Plants(" P200, P300;"));
        Assert.Empty(PlantPlacement.Plants(null));
        Assert.Empty(PlantPlacement.Plants(""));
    }
}
