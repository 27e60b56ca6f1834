using Manufacturing.Domain;

namespace Manufacturing.UnitTests.Shared;

public sealed class ResourceNameTests
{
    [Theory]
    [InlineData("plants/P100/lots/LOT-1", "P100/LOT-1")]
    [InlineData("plants/p_2-b/lots/A.b_c-9", "p_2-b/A.b_c-9")]
    public void Resource_names_become_plant_prefixed_keys(string name, string key)
    {
        var violations = new Violations();

        Assert.Equal(key, ResourceNames.ParseKey(name, "lots", "name", violations));
        Assert.True(violations.IsEmpty);
        Assert.Equal(name, ResourceNames.FromKey("lots", key));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("plants/P100/productionOrders/WO-1")]
    [InlineData("plants/P100/lots/")]
    [InlineData("plants/P100/lots/a/b")]
    [InlineData("plants/PLANT-CODE-TOO-LONG/lots/L1")]
    [InlineData("/plants/P100/lots/L1")]
    public void Anything_else_is_a_violation_on_the_field(string? name)
    {
        var violations = new Violations();

        Assert.Null(ResourceNames.ParseKey(name, "lots", "lot", violations));
        Assert.Equal("lot", Assert.Single(violations.Items).Field);
    }
}
