using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Manufacturing.Integration.Connectors;
using Manufacturing.Integration.Connectors.Odoo;
using Manufacturing.Integration.Domain;

namespace Manufacturing.UnitTests.Integration;

/// <summary>The Odoo adapter's mappings and its idempotency, against a scripted Odoo; and the resilience pipeline around an adapter.</summary>
public sealed class OdooAdapterTests
{
    private static readonly ConnectorOptions Options = new() { Name = "odoo-test", Kind = "odoo", Protocol = "json2", BaseUrl = "http://127.0.0.1:1", Secret = "k", Plants = ["P100"] };

    /// <summary>An Odoo that answers each (model, method) from a script and records the calls.</summary>
    private sealed class ScriptedOdoo(Func<string, string, JsonObject, JsonNode?> answer) : IOdooClient
    {
        public List<(string Model, string Method, JsonObject Arguments)> Calls { get; } = [];

        public Task<JsonNode?> CallAsync(string model, string method, JsonObject arguments, CancellationToken cancellationToken)
        {
            Calls.Add((model, method, arguments));
            return Task.FromResult(answer(model, method, arguments));
        }
    }

    private static IntegrationEvent Completed(string state = "COMPLETED") => new()
    {
        EventId = "production_order/P100/WO-1/7/0", EventType = "OperationCompleted", AggregateType = "production_order",
        AggregateKey = "P100/WO-1", Plant = "P100", AggregateVersion = 7, OccurredAt = DateTimeOffset.UnixEpoch,
        Data = ImmutableDictionary<string, string>.Empty.Add("good_quantity", "24 EA").Add("state.state", state),
    };

    private static IntegrationEvent Blocked() => new()
    {
        EventId = "lot/P100/LOT-9/2/0", EventType = "LotBlocked", AggregateType = "lot", AggregateKey = "P100/LOT-9", Plant = "P100",
        AggregateVersion = 2, OccurredAt = DateTimeOffset.UnixEpoch, Data = ImmutableDictionary<string, string>.Empty.Add("reason", "crack"),
    };

    private static JsonArray Production(string state) => [new JsonObject { ["id"] = 42, ["state"] = state }];

    [Fact]
    public void Only_the_completion_of_the_whole_order_and_lot_blocks_are_mapped()
    {
        var adapter = new OdooAdapter(new ScriptedOdoo((_, _, _) => null), Options);

        Assert.True(adapter.Supports(Completed()));
        Assert.False(adapter.Supports(Completed("IN_PROGRESS")));
        Assert.True(adapter.Supports(Blocked()));
        Assert.False(adapter.Supports(Blocked() with { EventType = "LotReceived" }));
    }

    [Fact]
    public async Task A_completion_sets_the_good_quantity_and_marks_the_order_done()
    {
        var odoo = new ScriptedOdoo((model, method, _) => method == "search_read" ? Production("progress") : JsonValue.Create(true));

        var receipt = await new OdooAdapter(odoo, Options).DeliverAsync(Completed(), CancellationToken.None);

        Assert.Equal("mrp.production/42", receipt.ExternalRef);
        Assert.Equal(["search_read", "write", "button_mark_done"], odoo.Calls.Select(c => c.Method));
        Assert.Equal(24m, odoo.Calls[1].Arguments["vals"]!["qty_producing"]!.GetValue<decimal>());
        Assert.True(odoo.Calls[2].Arguments["context"]!["skip_backorder"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_redelivered_completion_of_an_order_already_done_sends_nothing()
    {
        var odoo = new ScriptedOdoo((_, _, _) => Production("done"));

        await new OdooAdapter(odoo, Options).DeliverAsync(Completed(), CancellationToken.None);

        Assert.Equal(["search_read"], odoo.Calls.Select(c => c.Method));
    }

    [Theory]
    [InlineData("cancel", "cancelled")]
    [InlineData(null, "no mrp.production")]
    public async Task A_completion_odoo_cannot_take_is_a_business_refusal(string? state, string said)
    {
        var odoo = new ScriptedOdoo((_, _, _) => state is null ? new JsonArray() : Production(state));

        var refused = await Assert.ThrowsAsync<ErpException>(() => new OdooAdapter(odoo, Options).DeliverAsync(Completed(), CancellationToken.None));

        Assert.False(refused.Transient);
        Assert.Contains(said, refused.Message);
    }

    [Fact]
    public async Task A_wizard_instead_of_done_is_a_business_refusal()
    {
        var odoo = new ScriptedOdoo((_, method, _) => method switch
        {
            "search_read" => Production("progress"),
            "button_mark_done" => new JsonObject { ["res_model"] = "mrp.consumption.warning" },
            _ => JsonValue.Create(true),
        });

        var refused = await Assert.ThrowsAsync<ErpException>(() => new OdooAdapter(odoo, Options).DeliverAsync(Completed(), CancellationToken.None));

        Assert.Contains("mrp.consumption.warning", refused.Message);
        Assert.False(refused.Transient);
    }

    [Fact]
    public async Task A_quality_alert_is_created_with_the_event_id_only_when_none_carries_it_yet()
    {
        var alerts = new JsonArray();
        var odoo = new ScriptedOdoo((model, method, arguments) => (model, method) switch
        {
            ("quality.alert", "search_read") => alerts.DeepClone(),
            ("quality.alert", "create") => CreateAlert(alerts, arguments),
            _ => new JsonArray(),
        });
        var adapter = new OdooAdapter(odoo, Options);

        var first = await adapter.DeliverAsync(Blocked(), CancellationToken.None);
        var again = await adapter.DeliverAsync(Blocked(), CancellationToken.None);

        Assert.Equal(first, again);
        Assert.Single(alerts);
        Assert.Equal("lot/P100/LOT-9/2/0", alerts[0]!["x_mfg_event_id"]!.GetValue<string>());
        Assert.Equal(1, odoo.Calls.Count(c => c.Method == "create"));
    }

    private static JsonNode CreateAlert(JsonArray alerts, JsonObject arguments)
    {
        var alert = (JsonObject)arguments["vals_list"]![0]!.DeepClone();
        alert["id"] = 7;
        alerts.Add(alert);
        return new JsonArray(7);
    }

    /// <summary>An adapter that fails a number of times before it delivers.</summary>
    private sealed class Flaky(int failures, bool transient) : IErpAdapter
    {
        public int Calls { get; private set; }

        public bool Supports(IntegrationEvent e) => true;

        public Task<DeliveryReceipt> DeliverAsync(IntegrationEvent e, CancellationToken cancellationToken) =>
            ++Calls <= failures ? throw new ErpException("HTTP 503", transient) : Task.FromResult(new DeliveryReceipt("ok"));
    }

    [Fact]
    public async Task Transient_failures_are_retried_within_an_attempt_and_business_refusals_are_not()
    {
        var flaky = new Flaky(2, transient: true);
        var refusing = new Flaky(5, transient: false);

        var delivered = await new ResilientAdapter(flaky, Options).DeliverAsync(Blocked(), CancellationToken.None);
        await Assert.ThrowsAsync<ErpException>(() => new ResilientAdapter(refusing, Options).DeliverAsync(Blocked(), CancellationToken.None));

        Assert.Equal(("ok", 3), (delivered.ExternalRef, flaky.Calls));
        Assert.Equal(1, refusing.Calls);
    }

    [Fact]
    public async Task After_enough_failures_the_circuit_opens_and_the_erp_is_not_called_until_the_break_ends()
    {
        var down = new Flaky(int.MaxValue, transient: true);
        var adapter = new ResilientAdapter(down, Options with { BreakDuration = TimeSpan.FromMinutes(5) });

        await Assert.ThrowsAsync<ErpException>(() => adapter.DeliverAsync(Blocked(), CancellationToken.None));
        await Assert.ThrowsAsync<ErpException>(() => adapter.DeliverAsync(Blocked(), CancellationToken.None));
        var calls = down.Calls;
        var open = await Assert.ThrowsAsync<ErpException>(() => adapter.DeliverAsync(Blocked(), CancellationToken.None));

        Assert.True(open.CircuitOpen);
        Assert.Equal(calls, down.Calls);
        Assert.Equal("open", adapter.CircuitState);
    }

    private sealed class Broken : IErpAdapter
    {
        public bool Supports(IntegrationEvent e) => true;

        public Task<DeliveryReceipt> DeliverAsync(IntegrationEvent e, CancellationToken cancellationToken) => throw new FormatException("unexpected token");
    }

    [Fact]
    public async Task An_answer_the_adapter_cannot_use_is_a_business_refusal_not_a_retry_loop()
    {
        var refused = await Assert.ThrowsAsync<ErpException>(() => new ResilientAdapter(new Broken(), Options).DeliverAsync(Blocked(), CancellationToken.None));

        Assert.False(refused.Transient);
        Assert.Contains("unexpected token", refused.Message);
    }
}
