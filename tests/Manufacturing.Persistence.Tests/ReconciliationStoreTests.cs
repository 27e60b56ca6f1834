using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Integration.Domain;
using Manufacturing.Integration.Grains;
using Manufacturing.Testing;
using Npgsql;

namespace Manufacturing.Persistence.Tests;

/// <summary>
/// Reconciliation's tables (migration 0006) on PostgreSQL: which delivered records are checked, as the
/// read model has them; drifts opened once, seen again, and resolved when a run no longer finds them.
/// </summary>
public sealed class ReconciliationStoreTests
{
    private static readonly DateTimeOffset Past = DateTimeOffset.UtcNow.AddMinutes(-1);

    private static BusinessEvent Completed(string key, long version, string good) => new()
    {
        EventId = $"production_order/{key}/{version}/0",
        Type = "OperationCompleted",
        AggregateType = "production_order",
        AggregateKey = key,
        AggregateVersion = version,
        OccurredAt = Past,
        Data = ImmutableDictionary<string, string>.Empty.Add("state.state", "COMPLETED").Add("state.good_quantity", good),
    };

    private static IReadOnlyList<Route> ToOdoo(IntegrationEvent e) => [new Route("odoo-main", "production-completion", Past)];

    [Fact]
    public async Task Delivered_records_are_checked_as_the_read_model_has_them_and_unsettled_ones_are_left_out()
    {
        var connectionString = await PostgresServer.CreateTestDatabaseAsync("reconcile");
        var deliveries = new DeliveryStore(NpgsqlDataSource.Create(connectionString));
        var store = new ReconciliationStore(NpgsqlDataSource.Create(connectionString));
        await new PostgresReadModelStore(connectionString).ApplyAsync([Completed("P100/WO-1", 5, "24"), Completed("P100/WO-2", 5, "10"), Completed("P100/WO-3", 5, "7")]);
        await deliveries.RouteAsync(ToOdoo, 100);
        foreach (var d in await deliveries.ClaimAsync("odoo-main", [], 10, TimeSpan.FromMinutes(1)))
        {
            if (d.Event.AggregateKey == "P100/WO-2")
            {
                await deliveries.FailedAsync(d.Id, new DeliveryFailure("503", Transient: true), 8, DateTimeOffset.UtcNow.AddMinutes(5)); // still pending
            }
            else
            {
                await deliveries.DeliveredAsync(d.Id, $"mrp.production/{d.Event.Id}");
            }
        }

        var records = await store.RecordsAsync("odoo-main", "production_order", ["production-completion"], DateTimeOffset.UtcNow.AddDays(-1), 100);

        Assert.Equal(["P100/WO-1", "P100/WO-3"], records.Select(r => r.AggregateKey).Order(StringComparer.Ordinal));
        var first = records.Single(r => r.AggregateKey == "P100/WO-1");
        Assert.Equal(("COMPLETED", "24", "mrp.production/WO-1", "P100"), (first.State, first["good_quantity"], first.ExternalRef, first.Plant));
        Assert.Empty(await store.RecordsAsync("odoo-main", "production_order", ["production-progress"], DateTimeOffset.UtcNow.AddDays(-1), 100));
        Assert.Empty(await store.RecordsAsync("sap-main", "production_order", ["production-completion"], DateTimeOffset.UtcNow.AddDays(-1), 100));
        Assert.Single(await store.RecordsAsync("odoo-main", "production_order", ["production-completion"], DateTimeOffset.UtcNow.AddDays(-1), 1));
    }

    [Fact]
    public async Task A_drift_is_opened_once_seen_again_and_resolved_when_a_run_no_longer_finds_it()
    {
        var store = new ReconciliationStore(NpgsqlDataSource.Create(await PostgresServer.CreateTestDatabaseAsync("drifts")));
        var checkedRecords = new[] { ("production_order", "P100/WO-1"), ("production_order", "P100/WO-2") };
        var quantity = new Drift("production_order", "P100/WO-1", "P100", "good_quantity", "24", "20", "mrp.production/1");
        var done = new Drift("production_order", "P100/WO-2", "P100", "done", "yes", "no", "mrp.production/2");

        var first = await store.RecordRunAsync("odoo-main", DateTimeOffset.UtcNow, checkedRecords, [quantity, done]);
        var second = await store.RecordRunAsync("odoo-main", DateTimeOffset.UtcNow, checkedRecords, [quantity with { Theirs = "21" }, done]);
        var partial = await store.RecordRunAsync("odoo-main", DateTimeOffset.UtcNow, [("production_order", "P100/WO-1")], []);

        Assert.Equal((2, 2, 0), (first.Found, first.Opened, first.Resolved));
        Assert.Equal((2, 0, 0), (second.Found, second.Opened, second.Resolved));
        Assert.Equal((1, 0, 0, 1), (partial.Checked, partial.Found, partial.Opened, partial.Resolved));
        var open = Assert.Single(await store.DriftsAsync(new DriftFilter("odoo-main"), 10));
        Assert.Equal(done, open.Drift);
        Assert.Equal(1, await store.OpenDriftsAsync("odoo-main"));
        var all = await store.DriftsAsync(new DriftFilter("odoo-main", IncludeResolved: true), 10);
        var resolved = Assert.Single(all, d => d.ResolvedAt is not null);
        Assert.Equal("21", resolved.Drift.Theirs);
        Assert.Empty(await store.DriftsAsync(new DriftFilter("sap-main", IncludeResolved: true), 10));

        // Drifting again after it was resolved opens a new drift; a failed run changes nothing.
        var again = await store.RecordRunAsync("odoo-main", DateTimeOffset.UtcNow, checkedRecords, [quantity, done]);
        await store.RecordFailedRunAsync("odoo-main", DateTimeOffset.UtcNow, 0, "Odoo is not reachable");

        Assert.Equal((1, 0), (again.Opened, again.Resolved));
        Assert.Equal(2, await store.OpenDriftsAsync("odoo-main"));
        Assert.Equal(3, (await store.DriftsAsync(new DriftFilter(IncludeResolved: true), 10)).Count);
        Assert.Equal("Odoo is not reachable", (await store.LastRunAsync("odoo-main"))!.Error);
    }
}
