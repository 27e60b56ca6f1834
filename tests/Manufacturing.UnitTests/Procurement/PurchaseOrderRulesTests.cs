using Manufacturing.Domain;
using Manufacturing.Procurement.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.Procurement;

public sealed class PurchaseOrderRulesTests
{
    internal static CreatePurchaseOrder Create(string messageId = "sap-1") => new()
    {
        Metadata = Commands.Meta(messageId),
        Vendor = "V-100200",
        Currency = "EUR",
        Lines =
        [
            new PurchaseOrderLine { LineId = "00010", Material = "STEEL-S235", Quantity = new Quantity(2000, "KG"), UnitPrice = 1.25m, RequestedDelivery = new DateOnly(2026, 12, 10) },
            new PurchaseOrderLine { LineId = "00020", Material = "BOLT-M8", Quantity = new Quantity(500, "EA"), UnitPrice = 0m, RequestedDelivery = new DateOnly(2026, 12, 12) },
        ],
    };

    [Fact]
    public void Create_makes_a_created_order_with_its_lines()
    {
        var order = PurchaseOrderRules.Create("P100/4500012345", null, Create()).Next!;

        Assert.Equal(PurchaseOrderStatus.Created, order.Status);
        Assert.Equal("plants/P100/purchaseOrders/4500012345", order.Name);
        Assert.Equal(2, order.Lines.Length);
    }

    [Fact]
    public void Second_create_is_already_exists()
    {
        var existing = PurchaseOrderRules.Create("P100/4500012345", null, Create()).Next!;

        Assert.Equal(DomainErrorCode.AlreadyExists, PurchaseOrderRules.Create("P100/4500012345", existing, Create("sap-2")).Error!.Code);
    }

    public static TheoryData<string, Func<CreatePurchaseOrder, CreatePurchaseOrder>> InvalidOrders => new()
    {
        { "purchase_order.vendor", c => c with { Vendor = "" } },
        { "purchase_order.currency", c => c with { Currency = "euro" } },
        { "purchase_order.lines", c => c with { Lines = [] } },
        { "purchase_order.lines[1].line_id", c => c with { Lines = [c.Lines[0], c.Lines[0]] } },
        { "purchase_order.lines[0].unit_price", c => c with { Lines = [c.Lines[0] with { UnitPrice = -1 }] } },
        { "purchase_order.lines[0].quantity.value", c => c with { Lines = [c.Lines[0] with { Quantity = new Quantity(0, "KG") }] } },
    };

    [Theory]
    [MemberData(nameof(InvalidOrders))]
    public void Invalid_order_is_refused_naming_the_field(string field, Func<CreatePurchaseOrder, CreatePurchaseOrder> spoil)
    {
        var transition = PurchaseOrderRules.Create("P100/4500012345", null, spoil(Create()));

        Assert.Equal(DomainErrorCode.InvalidArgument, transition.Error!.Code);
        Assert.Contains(field, transition.Error.Violations.Select(v => v.Field));
    }
}
