using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Domain;
using Manufacturing.ShopFloor.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.ShopFloor;

/// <summary>
/// Exceptions instead of overwrites on the production order: a consumption of a component outside
/// the BOM or from a lot inventory does not know is parked, and a reviewer's resolution applies it once.
/// </summary>
public sealed class ProductionOrderExceptionRulesTests
{
    private const string Key = "P100/WO-1";

    private static ProductionOrder Released() => ProductionOrderRules.Release(Key, null, Commands.Release()).Next!;

    private static ConsumeMaterial Consume(string component = "FRAME-26", string lot = "LOT-1", string id = "mes-1") => new()
    {
        Metadata = Commands.Meta(id, SourceSystem.Mes),
        Component = component,
        LotId = lot,
        Quantity = new Quantity(3, "EA"),
        Location = "LINE-1",
    };

    private static ResolveProductionOrderException Resolve(ExceptionResolution resolution, int number = 1, ConsumptionCorrection? correction = null) => new()
    {
        Metadata = Commands.Meta("rev-1", SourceSystem.Reviewer),
        Number = number,
        Resolution = resolution,
        Reviewer = "planner.jo",
        Correction = correction,
    };

    private static ProductionOrder Parked(string component = "HANDLEBAR-X") => ProductionOrderMaterials.Consume(Key, Released(), Consume(component)).Next!;

    [Fact]
    public void A_component_outside_the_bom_is_parked_with_what_arrived_and_what_is_held()
    {
        var transition = ProductionOrderMaterials.Consume(Key, Released(), Consume("HANDLEBAR-X"));

        Assert.Equal(("COMPONENT_NOT_IN_BOM", "plants/P100/productionOrders/WO-1/exceptions/1"), (transition.Error!.Precondition, transition.Error.ExceptionName));
        var exception = Assert.Single(transition.Next!.Exceptions);
        Assert.Equal((ExceptionState.Open, SourceSystem.Mes, "mes-1"), (exception.State, exception.Source, exception.MessageId));
        Assert.Equal(("HANDLEBAR-X", "LOT-1", "3 EA"), (exception.Arrived["component"], exception.Arrived["lot_id"], exception.Arrived["quantity"]));
        Assert.Equal("FRAME-26, PAINT-RED", exception.Held["bom"]);
        Assert.Empty(transition.Next.Consumptions);
    }

    [Fact]
    public void An_unknown_lot_is_parked_and_nothing_is_consumed()
    {
        var transition = ProductionOrderMaterials.ParkUnknownLot(Key, Released(), Consume(lot: "LOT-404"));

        Assert.Equal("UNKNOWN_LOT", transition.Error!.Precondition);
        Assert.Contains("plants/P100/lots/LOT-404", transition.Error.Message, StringComparison.Ordinal);
        Assert.Empty(transition.Next!.Consumptions);
    }

    [Fact]
    public void Approval_applies_the_parked_consumption_as_it_arrived_and_records_the_reviewer()
    {
        var next = ProductionOrderExceptions.Resolve(Key, Parked(), Resolve(ExceptionResolution.Approve)).Next!;

        var consumption = Assert.Single(next.Consumptions);
        Assert.Equal(("HANDLEBAR-X", "P100/LOT-1", 3m, "LINE-1", (int?)1), (consumption.Component, consumption.LotKey, consumption.Quantity.Value, consumption.Location, consumption.ViaException));
        Assert.Equal(Commands.At, consumption.At);
        var exception = Assert.Single(next.Exceptions);
        Assert.Equal((ExceptionState.Approved, "planner.jo"), (exception.State, exception.Reviewer));
    }

    [Fact]
    public void Correction_applies_the_reviewers_values_and_rejection_applies_nothing()
    {
        var corrected = ProductionOrderExceptions.Resolve(Key, Parked(), Resolve(ExceptionResolution.Correct,
            correction: new ConsumptionCorrection { Component = "FRAME-26", Quantity = new Quantity(2, "EA") })).Next!;
        var rejected = ProductionOrderExceptions.Resolve(Key, Parked(), Resolve(ExceptionResolution.Reject)).Next!;

        Assert.Equal(("FRAME-26", "P100/LOT-1", 2m), (corrected.Consumptions[0].Component, corrected.Consumptions[0].LotKey, corrected.Consumptions[0].Quantity.Value));
        Assert.Equal(ExceptionState.Corrected, corrected.Exceptions[0].State);
        Assert.Empty(rejected.Consumptions);
        Assert.Equal(ExceptionState.Rejected, rejected.Exceptions[0].State);
    }

    [Fact]
    public void The_same_decision_again_changes_nothing_and_a_different_one_is_refused()
    {
        var approved = ProductionOrderExceptions.Resolve(Key, Parked(), Resolve(ExceptionResolution.Approve)).Next!;

        var again = ProductionOrderExceptions.Resolve(Key, approved, Resolve(ExceptionResolution.Approve));
        var reject = ProductionOrderExceptions.Resolve(Key, approved, Resolve(ExceptionResolution.Reject));

        Assert.Equal((null, null), (again.Next, again.Error));
        Assert.Equal("EXCEPTION_RESOLVED", reject.Error!.Precondition);
    }

    [Fact]
    public void Bad_resolutions_are_refused_with_the_field_or_the_reason()
    {
        var parked = Parked();

        var noCorrection = ProductionOrderExceptions.Resolve(Key, parked, Resolve(ExceptionResolution.Correct));
        var badLot = ProductionOrderExceptions.Resolve(Key, parked, Resolve(ExceptionResolution.Correct, correction: new ConsumptionCorrection { LotId = "no spaces" }));
        var unspecified = ProductionOrderExceptions.Resolve(Key, parked, Resolve(ExceptionResolution.Unspecified));
        var unknown = ProductionOrderExceptions.Resolve(Key, parked, Resolve(ExceptionResolution.Approve, number: 7));
        var noOrder = ProductionOrderExceptions.Resolve(Key, null, Resolve(ExceptionResolution.Approve));
        var closed = ProductionOrderExceptions.Resolve(Key, parked with { Status = ProductionOrderStatus.Closed }, Resolve(ExceptionResolution.Approve));

        Assert.Equal("correction", Assert.Single(noCorrection.Error!.Violations).Field);
        Assert.Equal("correction.lot_id", Assert.Single(badLot.Error!.Violations).Field);
        Assert.Equal("resolution", Assert.Single(unspecified.Error!.Violations).Field);
        Assert.Equal(DomainErrorCode.NotFound, unknown.Error!.Code);
        Assert.Equal(DomainErrorCode.NotFound, noOrder.Error!.Code);
        Assert.Equal("ORDER_CLOSED", closed.Error!.Precondition);
    }

    [Fact]
    public void Parked_and_resolved_exceptions_become_events_and_a_parked_report_consumes_nothing()
    {
        var released = Released();
        var parked = Parked();
        var approved = ProductionOrderExceptions.Resolve(Key, parked, Resolve(ExceptionResolution.Approve)).Next!;

        var raised = ProductionOrderEvents.Describe(released, parked, Consume("HANDLEBAR-X")).ToList();
        var resolved = ProductionOrderEvents.Describe(parked, approved, Resolve(ExceptionResolution.Approve)).ToList();

        Assert.Equal(["ExceptionRaised"], raised.Select(e => e.Type));
        Assert.Equal(["MaterialConsumed", "ExceptionResolved"], resolved.Select(e => e.Type));
        Assert.Equal("plants/P100/productionOrders/WO-1/exceptions/1", resolved[0].Data["exception"]);
    }
}

/// <summary>The same through the grains: the lot is drawn down once, by the resolution, never by the parked report.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ProductionOrderExceptionGrainTests(ClusterFixture fixture)
{
    private static CommandMetadata As(SourceSystem source, string id) => Commands.Meta(id, source);

    [Fact]
    public async Task A_consumption_from_an_unknown_lot_is_parked_then_approved_once_the_lot_is_received()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var lotId = $"RM-{suffix}";
        var order = fixture.Grains.GetGrain<IProductionOrderGrain>($"P100/WO-{suffix}");
        Assert.Null((await order.Release(Commands.Release() with { Components = [new BomComponent("STEEL-S235", new Quantity(2, "KG"))] })).Error);
        var consume = new ConsumeMaterial { Metadata = As(SourceSystem.Mes, "mes-1"), Component = "STEEL-S235", LotId = lotId, Quantity = new Quantity(50, "KG") };

        var parked = await order.ConsumeMaterial(consume);
        var retried = await order.ConsumeMaterial(consume);

        Assert.Equal(("UNKNOWN_LOT", $"plants/P100/productionOrders/WO-{suffix}/exceptions/1"), (parked.Error!.Precondition, parked.Error.ExceptionName));
        Assert.Equal(parked.Error, retried.Error);
        Assert.Single((await order.Get())!.Exceptions);

        // Approving before the lot exists is refused and leaves the exception open.
        var approve = new ResolveProductionOrderException { Metadata = As(SourceSystem.Reviewer, "rev-1"), Number = 1, Resolution = ExceptionResolution.Approve, Reviewer = "planner.jo" };
        var early = await order.ResolveException(approve);
        Assert.Equal("UNKNOWN_LOT", early.Error!.Precondition);
        Assert.True((await order.Get())!.Exceptions[0].IsOpen);

        // The receipt is posted late; the reviewer approves, twice: the lot is drawn down once.
        var lot = fixture.Grains.GetGrain<ILotGrain>($"P100/{lotId}");
        Assert.Null((await lot.Receive(Commands.Receive("r-1"))).Error);
        var approved = await order.ResolveException(approve);
        var twice = await order.ResolveException(approve with { Metadata = As(SourceSystem.Reviewer, "rev-2") });

        Assert.Null(approved.Error);
        Assert.Null(twice.Error);
        Assert.Equal((1200.5m, 1), ((await lot.Get())!.QuantityOnHand.Value, (await lot.Get())!.Consumptions.Length));
        var consumption = Assert.Single(twice.Resource!.Consumptions);
        Assert.Equal(($"P100/{lotId}", (int?)1), (consumption.LotKey, consumption.ViaException));
        Assert.Equal(ExceptionState.Approved, twice.Resource.Exceptions[0].State);
    }

    [Fact]
    public async Task A_substitute_component_is_parked_untouched_and_a_correction_draws_the_right_lot()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var lot = fixture.Grains.GetGrain<ILotGrain>($"P100/RM-{suffix}");
        Assert.Null((await lot.Receive(Commands.Receive("r-1"))).Error);
        var order = fixture.Grains.GetGrain<IProductionOrderGrain>($"P100/WO-{suffix}");
        Assert.Null((await order.Release(Commands.Release() with { Components = [new BomComponent("STEEL-S355", new Quantity(2, "KG"))] })).Error);

        var parked = await order.ConsumeMaterial(new ConsumeMaterial { Metadata = As(SourceSystem.Mes, "mes-1"), Component = "STEEL-S235", LotId = $"RM-{suffix}", Quantity = new Quantity(60, "KG") });

        Assert.Equal("COMPONENT_NOT_IN_BOM", parked.Error!.Precondition);
        Assert.Equal(1250.5m, (await lot.Get())!.QuantityOnHand.Value);

        // Only a reviewer may resolve; the MES cannot approve its own report.
        var correct = new ResolveProductionOrderException
        {
            Metadata = As(SourceSystem.Mes, "rev-1"), Number = 1, Resolution = ExceptionResolution.Correct, Reviewer = "planner.jo",
            Correction = new ConsumptionCorrection { Quantity = new Quantity(40, "KG") },
        };
        Assert.Equal(DomainErrorCode.NotPermitted, (await order.ResolveException(correct)).Error!.Code);

        var corrected = await order.ResolveException(correct with { Metadata = As(SourceSystem.Reviewer, "rev-1") });

        Assert.Null(corrected.Error);
        Assert.Equal(1210.5m, (await lot.Get())!.QuantityOnHand.Value);
        Assert.Equal((ExceptionState.Corrected, 40m), (corrected.Resource!.Exceptions[0].State, corrected.Resource.Consumptions[0].Quantity.Value));
    }
}
