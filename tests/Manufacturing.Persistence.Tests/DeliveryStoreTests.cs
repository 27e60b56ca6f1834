using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Integration.Domain;
using Manufacturing.Integration.Grains;
using Manufacturing.Testing;
using Npgsql;

namespace Manufacturing.Persistence.Tests;

/// <summary>
/// The integration tables (migration 0005) on PostgreSQL: the projector's event log is routed once,
/// a connector gets one record's deliveries in order, superseded progress is coalesced, a failure
/// retries or dies, and a dead letter replays.
/// </summary>
public sealed class DeliveryStoreTests
{
    private static readonly DateTimeOffset Past = DateTimeOffset.UtcNow.AddMinutes(-1);

    private static BusinessEvent Event(string key, long version, string type, string state = "IN_PROGRESS") => new()
    {
        EventId = $"production_order/{key}/{version}/0",
        Type = type,
        AggregateType = "production_order",
        AggregateKey = key,
        AggregateVersion = version,
        OccurredAt = Past,
        Data = ImmutableDictionary<string, string>.Empty.Add("state.state", state),
    };

    private static async Task<(DeliveryStore Store, PostgresReadModelStore Log)> StoresAsync()
    {
        var connectionString = await PostgresServer.CreateTestDatabaseAsync("delivery");
        return (new DeliveryStore(NpgsqlDataSource.Create(connectionString)), new PostgresReadModelStore(connectionString));
    }

    // Everything to one connector, due at once, under the catalog's workflow of the event type.
    private static IReadOnlyList<Route> ToOdoo(IntegrationEvent e) =>
        WorkflowCatalog.Default.ForEvent(e.EventType) is { } w ? [new Route("odoo-main", w.Name, Past)] : [];

    [Fact]
    public async Task Each_projected_event_is_routed_once_even_when_delivered_twice()
    {
        var (store, log) = await StoresAsync();
        await log.ApplyAsync([Event("P100/WO-1", 2, "OperationCompleted"), Event("P100/WO-1", 3, "ProductionOrderReleased")]);
        await log.ApplyAsync([Event("P100/WO-1", 2, "OperationCompleted")]);

        var first = await store.RouteAsync(ToOdoo, 100);
        var second = await store.RouteAsync(ToOdoo, 100);
        var claimed = await store.ClaimAsync("odoo-main", [], 10, TimeSpan.FromMinutes(1));

        Assert.Equal(["odoo-main"], first);
        Assert.Empty(second);
        Assert.Equal(["production_order/P100/WO-1/2/0"], claimed.Select(d => d.Event.EventId));
    }

    [Fact]
    public async Task A_record_s_deliveries_are_claimed_one_at_a_time_in_order_and_superseded_progress_is_coalesced()
    {
        var (store, log) = await StoresAsync();
        await log.ApplyAsync([
            Event("P100/WO-2", 2, "OperationStarted"), Event("P100/WO-2", 3, "OperationPaused"), Event("P100/WO-2", 4, "OperationResumed"),
            Event("P100/WO-2", 5, "OperationCompleted"), Event("P100/WO-2", 6, "OperationCompleted"), Event("P100/WO-3", 2, "OperationCompleted"),
        ]);
        await store.RouteAsync(ToOdoo, 100);

        var first = await store.ClaimAsync("odoo-main", ["production-progress"], 10, TimeSpan.FromMinutes(1));
        foreach (var d in first)
        {
            await store.DeliveredAsync(d.Id, "ok");
        }

        var second = await store.ClaimAsync("odoo-main", ["production-progress"], 10, TimeSpan.FromMinutes(1));

        // Progress: only the newest (version 4); completion: version 5 first, 6 only after it; WO-3 on its own.
        Assert.Equal(["P100/WO-2/4 OperationResumed", "P100/WO-2/5 OperationCompleted", "P100/WO-3/2 OperationCompleted"],
            first.Select(d => $"{d.Event.AggregateKey}/{d.Event.AggregateVersion} {d.Event.EventType}"));
        Assert.Equal([6L], second.Select(d => d.Event.AggregateVersion));
    }

    [Fact]
    public async Task A_transient_failure_waits_for_its_retry_and_the_last_attempt_or_a_refusal_makes_a_dead_letter_that_replays()
    {
        var (store, log) = await StoresAsync();
        await log.ApplyAsync([Event("P100/WO-4", 2, "OperationCompleted"), Event("P100/WO-5", 2, "OperationCompleted")]);
        await store.RouteAsync(ToOdoo, 100);
        var claimed = await store.ClaimAsync("odoo-main", [], 10, TimeSpan.FromMinutes(1));
        var (transient, refused) = (claimed[0], claimed[1]);

        Assert.False(await store.FailedAsync(transient.Id, new DeliveryFailure("HTTP 503", true), 2, DateTimeOffset.UtcNow.AddHours(1)));
        Assert.True(await store.FailedAsync(refused.Id, new DeliveryFailure("odoo.exceptions.UserError: no", false), 2, DateTimeOffset.UtcNow));
        Assert.Empty(await store.ClaimAsync("odoo-main", [], 10, TimeSpan.FromMinutes(1)));
        Assert.True(await store.FailedAsync(transient.Id, new DeliveryFailure("HTTP 503", true), 2, DateTimeOffset.UtcNow));

        var dead = await store.DeadLettersAsync(new DeadLetterFilter(Connector: "odoo-main"), 10, 0);
        var onlyRefused = await store.DeadLettersAsync(new DeadLetterFilter(ErrorContains: "usererror"), 10, 0);
        Assert.Equal([refused.Id, transient.Id], dead.Select(d => d.Id));
        Assert.Equal([refused.Id], onlyRefused.Select(d => d.Id));
        Assert.Equal([true, true], (await store.GetAsync(transient.Id))!.Errors.Select(e => e.Transient));

        var replayed = await store.ReplayAsync([], new DeadLetterFilter(ErrorContains: "UserError"));
        var again = await store.ClaimAsync("odoo-main", [], 10, TimeSpan.FromMinutes(1));
        Assert.Equal([refused.Id], replayed);
        Assert.Equal([(refused.Id, 0)], again.Select(d => (d.Id, d.Attempts)));
        Assert.False(await store.DiscardAsync(refused.Id, "not dead"));
        Assert.True(await store.DiscardAsync(transient.Id, "posted by hand in Odoo"));
        Assert.Equal(("discarded", "posted by hand in Odoo"), ((await store.GetAsync(transient.Id))!.Status, (await store.GetAsync(transient.Id))!.DiscardReason));
        Assert.Equal(new ConnectorBacklog(1, (await store.GetAsync(refused.Id))!.EnqueuedAt, 0, 0), await store.BacklogAsync("odoo-main"));
    }

    [Fact]
    public async Task The_trace_of_the_originating_command_travels_from_the_event_to_its_delivery()
    {
        var (store, log) = await StoresAsync();
        var trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        await log.ApplyAsync([Event("P100/WO-9", 2, "OperationCompleted") with { TraceParent = trace }, Event("P100/WO-10", 2, "OperationCompleted")]);

        await store.RouteAsync(ToOdoo, 100);
        var claimed = await store.ClaimAsync("odoo-main", [], 10, TimeSpan.FromMinutes(1));

        Assert.Equal([("P100/WO-10", ""), ("P100/WO-9", trace)], claimed.Select(d => (d.Event.AggregateKey, d.Event.TraceParent)).OrderBy(d => d.AggregateKey, StringComparer.Ordinal));
        Assert.Equal(trace, (await store.GetAsync(claimed.Single(d => d.Event.AggregateKey == "P100/WO-9").Id))!.Event.TraceParent);
    }
}
