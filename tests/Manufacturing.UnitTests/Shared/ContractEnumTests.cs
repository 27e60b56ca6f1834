using Manufacturing.Inventory.Domain;
using Manufacturing.Procurement.Domain;
using Manufacturing.ShopFloor.Domain;

namespace Manufacturing.UnitTests.Shared;

/// <summary>The mappings cast domain enums to contract enums by number: the names must line up.</summary>
public sealed class ContractEnumTests
{
    [Fact]
    public void Production_order_statuses_match_the_contract_by_number()
    {
        foreach (var status in Enum.GetValues<ProductionOrderStatus>())
        {
            Assert.Equal(status.ToString(), Enum.GetName((Manufacturing.ShopFloor.V1.ProductionOrderState)(int)status));
        }
    }

    [Fact]
    public void Lot_statuses_match_the_contract_by_number()
    {
        foreach (var status in Enum.GetValues<LotStatus>())
        {
            Assert.Equal(status.ToString(), Enum.GetName((Manufacturing.Inventory.V1.LotStatus)(int)status));
        }
    }

    [Fact]
    public void Purchase_order_statuses_match_the_contract_by_number()
    {
        foreach (var status in Enum.GetValues<PurchaseOrderStatus>())
        {
            Assert.Equal(status.ToString(), Enum.GetName((Manufacturing.Procurement.V1.PurchaseOrderState)(int)status));
        }
    }
}
