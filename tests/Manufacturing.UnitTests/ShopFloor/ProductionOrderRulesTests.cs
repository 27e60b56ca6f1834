using Manufacturing.Domain;
using Manufacturing.ShopFloor.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.ShopFloor;

public sealed class ProductionOrderRulesTests
{
    [Fact]
    public void Release_creates_a_released_order_from_the_command()
    {
        var transition = ProductionOrderRules.Release("P100/WO-1", null, Commands.Release());

        var order = transition.Next!;
        Assert.Equal(ProductionOrderStatus.Released, order.Status);
        Assert.Equal("plants/P100/productionOrders/WO-1", order.Name);
        Assert.Equal(new Quantity(25, "EA"), order.Quantity);
        Assert.Equal(2, order.Components.Length);
        Assert.Equal(Commands.At, order.ReleasedAt);
    }

    [Fact]
    public void Second_release_of_an_order_is_already_exists()
    {
        var existing = ProductionOrderRules.Release("P100/WO-1", null, Commands.Release()).Next!;

        var transition = ProductionOrderRules.Release("P100/WO-1", existing, Commands.Release("m-2"));

        Assert.Equal(DomainErrorCode.AlreadyExists, transition.Error!.Code);
    }

    public static TheoryData<string, Func<ReleaseProductionOrder, ReleaseProductionOrder>> InvalidReleases => new()
    {
        { "production_order.product", c => c with { Product = "" } },
        { "production_order.product", c => c with { Product = new string('x', 65) } },
        { "production_order.quantity.value", c => c with { Quantity = new Quantity(0, "EA") } },
        { "production_order.components[1].material", c => c with { Components = Commands.Array(c.Components[0], c.Components[0]) } },
        { "production_order.components[0].quantity_per_unit.value", c => c with { Components = Commands.Array(new BomComponent("X", new Quantity(-1, "EA"))) } },
        { "production_order.operations[1].operation_id", c => c with { Operations = Commands.Array(c.Operations[0], c.Operations[0]) } },
        { "production_order.operations[0].work_center", c => c with { Operations = Commands.Array(new RoutingOperation("0010", "", "")) } },
        { "production_order.planned_end_time", c => c with { PlannedEnd = c.PlannedStart.AddMinutes(-1) } },
    };

    [Theory]
    [MemberData(nameof(InvalidReleases))]
    public void Invalid_release_is_refused_naming_the_field(string field, Func<ReleaseProductionOrder, ReleaseProductionOrder> spoil)
    {
        var transition = ProductionOrderRules.Release("P100/WO-1", null, spoil(Commands.Release()));

        Assert.Equal(DomainErrorCode.InvalidArgument, transition.Error!.Code);
        Assert.Contains(field, transition.Error.Violations.Select(v => v.Field));
    }
}
