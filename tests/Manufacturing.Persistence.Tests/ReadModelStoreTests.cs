using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Testing;

namespace Manufacturing.Persistence.Tests;

/// <summary>
/// The PostgreSQL read models (migration 0002) and the in-memory ones, held to the same behaviour:
/// each event id applies once, rows only move forward in version, lists filter and page.
/// </summary>
public sealed class ReadModelStoreTests
{
    private static BusinessEvent Event(string key, long version, string state, string type = "PurchaseOrderChanged", int index = 0, params (string, string)[] data) => new()
    {
        EventId = $"purchase_order/{key}/{version}/{index}",
        Type = type,
        AggregateType = "purchase_order",
        AggregateKey = key,
        AggregateVersion = version,
        OccurredAt = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero).AddMinutes(version),
        Data = data.Concat([("state.state", state), ("state.vendor", "V-1")]).ToImmutableDictionary(d => d.Item1, d => d.Item2),
    };

    public static TheoryData<string> Stores() => ["postgresql", "memory"];

    private static async Task<IReadModelStore> StoreAsync(string kind) => kind == "memory"
        ? new MemoryReadModelStore()
        : new PostgresReadModelStore(await PostgresServer.CreateTestDatabaseAsync("readmodel"));

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Events_apply_once_and_rows_never_move_back_in_version(string kind)
    {
        var store = await StoreAsync(kind);

        await store.ApplyAsync([Event("P200/4501", 1, "CREATED"), Event("P200/4501", 3, "PARTIALLY_RECEIVED")]);
        await store.ApplyAsync([Event("P200/4501", 2, "CONFIRMED"), Event("P200/4501", 3, "PARTIALLY_RECEIVED")]);

        var row = Assert.Single((await store.ListAsync("purchase_order", "P200", null, 10, "")).Rows);
        Assert.Equal(("PARTIALLY_RECEIVED", 3L, "V-1"), (row.State, row.Version, row.Fields["vendor"]));
        var position = await store.PositionAsync("purchase_order");
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 8, 3, 0, TimeSpan.Zero), position.LastEventTime);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task One_delivery_of_many_versions_leaves_each_row_and_exception_at_its_latest(string kind)
    {
        // A batching grain delivers many events of one aggregate at once, in any order within the delivery.
        var store = await StoreAsync(kind);
        var name = "plants/P200/purchaseOrders/4502/exceptions/1";
        (string, string)[] Exception(string state) =>
            [("exception", name), ("kind", "UNKNOWN_LINE"), ("exception_state", state), ("reason", "line 90"), ("source", "supplier"), ("raised_at", "2026-11-23T08:02:00.0000000+00:00")];

        await store.ApplyAsync([
            Event("P200/4502", 1, "CREATED"),
            Event("P200/4502", 3, "CONFIRMED", "ExceptionResolved", 0, Exception("APPROVED")),
            Event("P200/4502", 2, "CREATED", "ExceptionRaised", 0, Exception("OPEN")),
            Event("P200/4503", 1, "CREATED"),
        ]);
        await store.ApplyAsync([Event("P200/4502", 2, "CREATED", "ExceptionRaised", 0, Exception("OPEN"))]);

        var rows = (await store.ListAsync("purchase_order", "P200", null, 10, "")).Rows;
        Assert.Equal([("P200/4502", 3L, "CONFIRMED"), ("P200/4503", 1L, "CREATED")], rows.Select(r => (r.Key, r.Version, r.State)));
        var exception = Assert.Single((await store.ListExceptionsAsync("purchase_order", "P200", null, null, 10, "")).Rows);
        Assert.Equal(("APPROVED", 3L), (exception.State, exception.Version));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 8, 3, 0, TimeSpan.Zero), (await store.PositionAsync("purchase_order")).LastEventTime);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Lists_filter_by_plant_and_state_and_page_by_key(string kind)
    {
        var store = await StoreAsync(kind);
        await store.ApplyAsync([.. Enumerable.Range(1, 5).Select(i => Event($"P200/45{i}", 1, i % 2 == 0 ? "CONFIRMED" : "CREATED")), Event("P100/459", 1, "CREATED")]);

        var first = await store.ListAsync("purchase_order", "P200", "CREATED", 2, "");
        var second = await store.ListAsync("purchase_order", "P200", "CREATED", 2, first.NextPageToken);

        Assert.Equal(["P200/451", "P200/453"], first.Rows.Select(r => r.Key));
        Assert.Equal(["P200/455"], second.Rows.Select(r => r.Key));
        Assert.Equal("", second.NextPageToken);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Exceptions_are_listed_and_follow_their_resolution(string kind)
    {
        var store = await StoreAsync(kind);
        var name = "plants/P200/purchaseOrders/4501/exceptions/1";
        (string, string)[] Exception(string state) =>
            [("exception", name), ("kind", "CONFIRMATION_OUTSIDE_TOLERANCE"), ("exception_state", state), ("reason", "25% short"), ("source", "supplier"), ("raised_at", "2026-11-23T08:02:00.0000000+00:00")];

        await store.ApplyAsync([Event("P200/4501", 2, "CREATED", "ExceptionRaised", 0, Exception("OPEN"))]);
        var open = await store.ListExceptionsAsync("purchase_order", "P200", "CONFIRMATION_OUTSIDE_TOLERANCE", "OPEN", 10, "");
        await store.ApplyAsync([Event("P200/4501", 3, "CONFIRMED", "ExceptionResolved", 0, Exception("APPROVED"))]);
        await store.ApplyAsync([Event("P200/4501", 2, "CREATED", "ExceptionRaised", 0, Exception("OPEN"))]);

        Assert.Equal(name, Assert.Single(open.Rows).Name);
        Assert.Empty((await store.ListExceptionsAsync("purchase_order", "P200", null, "OPEN", 10, "")).Rows);
        var approved = Assert.Single((await store.ListExceptionsAsync("purchase_order", "P200", null, "APPROVED", 10, "")).Rows);
        Assert.Equal(("supplier", 3L), (approved.Source, approved.Version));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Exceptions_are_listed_per_aggregate_type(string kind)
    {
        var store = await StoreAsync(kind);
        var purchase = Event("P200/4501", 2, "CREATED", "ExceptionRaised", 0,
            ("exception", "plants/P200/purchaseOrders/4501/exceptions/1"), ("kind", "UNKNOWN_LINE"), ("exception_state", "OPEN"));
        var production = Event("P200/WO-1", 4, "IN_PROGRESS", "ExceptionRaised", 0,
            ("exception", "plants/P200/productionOrders/WO-1/exceptions/1"), ("kind", "UNKNOWN_LOT"), ("exception_state", "OPEN")) with
        {
            EventId = "production_order/P200/WO-1/4/0",
            AggregateType = "production_order",
        };
        await store.ApplyAsync([purchase, production]);

        var purchaseOrders = await store.ListExceptionsAsync("purchase_order", "P200", null, "OPEN", 10, "");
        var productionOrders = await store.ListExceptionsAsync("production_order", "P200", null, null, 10, "");

        Assert.Equal("plants/P200/purchaseOrders/4501/exceptions/1", Assert.Single(purchaseOrders.Rows).Name);
        Assert.Equal(("plants/P200/productionOrders/WO-1/exceptions/1", "UNKNOWN_LOT"), (Assert.Single(productionOrders.Rows).Name, productionOrders.Rows[0].Kind));
    }
}
