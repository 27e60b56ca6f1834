using System.Collections.Immutable;
using Manufacturing.Integration.Domain;

namespace Manufacturing.UnitTests.Integration;

/// <summary>Sync policies, routing, the retry schedule and SAP material numbers.</summary>
public sealed class IntegrationRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 7, 12, TimeSpan.Zero);

    private static IntegrationEvent Event(string type, string plant = "P100") => new()
    {
        EventId = $"production_order/{plant}/WO-1/3/0", EventType = type, AggregateType = "production_order",
        AggregateKey = $"{plant}/WO-1", Plant = plant, AggregateVersion = 3, OccurredAt = Now,
    };

    [Theory]
    [InlineData(SyncMode.RealTime, 0, "2026-12-01T10:07:12Z")]
    [InlineData(SyncMode.MicroBatch, 30, "2026-12-01T10:07:30Z")]
    [InlineData(SyncMode.Scheduled, 3600, "2026-12-01T11:00:00Z")]
    [InlineData(SyncMode.Scheduled, 86400, "2026-12-02T00:00:00Z")]
    public void A_policy_makes_an_event_due_now_or_at_the_end_of_its_interval(SyncMode mode, int seconds, string due) =>
        Assert.Equal(DateTimeOffset.Parse(due, System.Globalization.CultureInfo.InvariantCulture), new SyncPolicy(mode, TimeSpan.FromSeconds(seconds), false).DueAt(Now));

    [Fact]
    public void An_event_goes_to_every_connector_of_its_plant_that_carries_its_workflow_and_maps_it()
    {
        var connectors = new[]
        {
            new ConnectorRoute("odoo-main", new HashSet<string> { "P100" }, new HashSet<string>(), _ => true),
            new ConnectorRoute("sap-p200", new HashSet<string> { "P200" }, new HashSet<string>(), _ => true),
            new ConnectorRoute("odoo-quality", new HashSet<string> { "P100" }, new HashSet<string> { "quality-holds" }, _ => true),
            new ConnectorRoute("odoo-nothing", new HashSet<string> { "P100" }, new HashSet<string>(), _ => false),
        };

        var completion = Routing.Of(Event("OperationCompleted"), WorkflowCatalog.Default, connectors, Now);
        var progress = Routing.Of(Event("OperationPaused"), WorkflowCatalog.Default, connectors, Now);
        var unknown = Routing.Of(Event("SomethingElse"), WorkflowCatalog.Default, connectors, Now);

        Assert.Equal([new Route("odoo-main", "production-completion", Now)], completion);
        Assert.Equal([new Route("odoo-main", "production-progress", new DateTimeOffset(2026, 12, 1, 10, 7, 30, TimeSpan.Zero))], progress);
        Assert.Empty(unknown);
    }

    [Fact]
    public void A_policy_can_be_changed_by_configuration_but_not_to_one_that_cannot_work()
    {
        var nightly = WorkflowCatalog.Default.WithPolicy("telemetry", new SyncPolicy(SyncMode.Scheduled, TimeSpan.FromDays(1), false));

        Assert.Equal("scheduled every 24h", nightly.Find("telemetry")!.Policy.ToString());
        Assert.Contains("Integration__Workflows__nope", Assert.Throws<InvalidOperationException>(() => WorkflowCatalog.Default.WithPolicy("nope", SyncPolicy.RealTime)).Message);
        Assert.Contains("__Interval", Assert.Throws<InvalidOperationException>(() =>
            WorkflowCatalog.Default.WithPolicy("telemetry", new SyncPolicy(SyncMode.MicroBatch, TimeSpan.Zero, false))).Message);
    }

    [Theory]
    [InlineData(1, 0.0, 2.5)]
    [InlineData(1, 0.999, 5.0)]
    [InlineData(4, 0.999, 40.0)]
    [InlineData(30, 0.999, 900.0)]
    public void Retries_back_off_exponentially_with_jitter_up_to_15_minutes(int attempts, double jitter, double atMostSeconds)
    {
        var next = RetrySchedule.Next(attempts, Now, jitter) - Now;

        Assert.InRange(next.TotalSeconds, (atMostSeconds / 2) - 0.01, atMostSeconds);
    }

    [Theory]
    [InlineData("4711", "000000000000004711", "4711")]
    [InlineData("000000000000004711", "000000000000004711", "4711")]
    [InlineData("STEEL-S235", "STEEL-S235", "STEEL-S235")]
    [InlineData("0", "000000000000000000", "0")]
    public void Numeric_material_numbers_are_stored_with_leading_zeros_to_18_digits(string given, string stored, string shown)
    {
        Assert.Equal(stored, SapMaterialNumber.ToInternal(given));
        Assert.Equal(shown, SapMaterialNumber.ToExternal(stored));
    }

    [Fact]
    public void A_numeric_material_number_longer_than_18_digits_is_refused() =>
        Assert.Throws<ArgumentException>(() => SapMaterialNumber.ToInternal("1234567890123456789"));

    [Fact]
    public void An_event_names_its_aggregate_id_and_attributes()
    {
        var e = Event("OperationCompleted") with { Data = ImmutableDictionary<string, string>.Empty.Add("good_quantity", "24 EA") };

        Assert.Equal(("WO-1", "24 EA", ""), (e.Id, e["good_quantity"], e["missing"]));
    }
}
