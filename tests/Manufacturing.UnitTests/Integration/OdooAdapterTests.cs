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

    private static IntegrationEvent Scrapped(string state) => Completed(state) with
    {
        Data = ImmutableDictionary<string, string>.Empty.Add("operation_id", "0010").Add("good_quantity", "23 EA").Add("scrap_quantity", "2 EA")
            .Add("scrap_reason", "PAINT_RUN").Add("state.state", state).Add("state.product", "BIKE-26"),
    };

    /// <summary>An Odoo with MO 42 in progress, product 5, and the stock.scrap records created so far.</summary>
    private static (ScriptedOdoo Odoo, JsonArray Scraps) ScrapOdoo(JsonNode? validation = null)
    {
        var scraps = new JsonArray();
        var odoo = new ScriptedOdoo((model, method, arguments) => (model, method) switch
        {
            ("stock.scrap", "search_read") => scraps.DeepClone(),
            ("stock.scrap", "create") => Created(scraps, arguments),
            ("stock.scrap", "action_validate") => validation?.DeepClone() ?? Validated(scraps),
            ("product.product", "search_read") => new JsonArray(new JsonObject { ["id"] = 5 }),
            ("mrp.production", "search_read") => Production("progress"),
            _ => JsonValue.Create(true),
        });
        return (odoo, scraps);

        static JsonNode Created(JsonArray scraps, JsonObject arguments)
        {
            var scrap = (JsonObject)arguments["vals_list"]![0]!.DeepClone();
            scrap["id"] = 70;
            scrap["state"] = "draft";
            scraps.Add(scrap);
            return new JsonArray(70);
        }

        static JsonNode Validated(JsonArray scraps)
        {
            scraps[0]!["state"] = "done";
            return JsonValue.Create(true);
        }
    }

    [Fact]
    public async Task Scrap_of_an_operation_becomes_one_validated_stock_scrap_on_the_order_with_the_event_id()
    {
        var (odoo, scraps) = ScrapOdoo();
        var adapter = new OdooAdapter(odoo, Options);

        Assert.True(adapter.Supports(Scrapped("IN_PROGRESS")));
        var receipt = await adapter.DeliverAsync(Scrapped("IN_PROGRESS"), CancellationToken.None);
        var again = await adapter.DeliverAsync(Scrapped("IN_PROGRESS"), CancellationToken.None);

        Assert.Equal(("stock.scrap/70", receipt), (again.ExternalRef, again));
        var scrap = Assert.Single(scraps)!;
        Assert.Equal((5L, 2m, 42L, "WO-1 0010: PAINT_RUN", "production_order/P100/WO-1/7/0"), (scrap["product_id"]!.GetValue<long>(), scrap["scrap_qty"]!.GetValue<decimal>(),
            scrap["production_id"]!.GetValue<long>(), scrap["origin"]!.GetValue<string>(), scrap["x_mfg_event_id"]!.GetValue<string>()));
        Assert.Equal(1, odoo.Calls.Count(c => c.Method == "action_validate"));
    }

    [Fact]
    public async Task Scrap_that_odoo_wants_confirmed_is_a_business_refusal_and_a_redelivery_validates_the_draft_without_a_second_scrap()
    {
        var (odoo, scraps) = ScrapOdoo(new JsonObject { ["res_model"] = "stock.warn.insufficient.qty.scrap" });

        var refused = await Assert.ThrowsAsync<ErpException>(() => new OdooAdapter(odoo, Options).DeliverAsync(Scrapped("IN_PROGRESS"), CancellationToken.None));
        Assert.False(refused.Transient);
        Assert.Contains("stock.warn.insufficient.qty.scrap", refused.Message);

        var retry = new ScriptedOdoo((model, method, arguments) => (model, method) == ("stock.scrap", "search_read") ? scraps.DeepClone() : JsonValue.Create(true));
        await new OdooAdapter(retry, Options).DeliverAsync(Scrapped("IN_PROGRESS"), CancellationToken.None);

        Assert.Equal(["search_read", "action_validate"], retry.Calls.Select(c => c.Method));
        Assert.Single(scraps);
    }

    [Fact]
    public async Task Scrap_on_the_completing_operation_is_recorded_before_the_order_is_marked_done()
    {
        var (odoo, _) = ScrapOdoo();

        var receipt = await new OdooAdapter(odoo, Options).DeliverAsync(Scrapped("COMPLETED"), CancellationToken.None);

        Assert.Equal("mrp.production/42", receipt.ExternalRef);
        var order = odoo.Calls.Select(c => $"{c.Model}.{c.Method}").ToList();
        Assert.True(order.IndexOf("stock.scrap.action_validate") < order.IndexOf("mrp.production.button_mark_done"), string.Join(", ", order));
    }

    private static IntegrationEvent Progress(string type, string operation, string operations) => new()
    {
        EventId = "production_order/P100/WO-1/9/0", EventType = type, AggregateType = "production_order",
        AggregateKey = "P100/WO-1", Plant = "P100", AggregateVersion = 9, OccurredAt = DateTimeOffset.UnixEpoch,
        Data = ImmutableDictionary<string, string>.Empty.Add("operation_id", operation).Add("state.operations", operations),
    };

    /// <summary>An Odoo with three work orders of WO-1 (ids 11, 12, 13) whose buttons change <c>is_user_working</c>.</summary>
    private static (ScriptedOdoo Odoo, JsonArray WorkOrders) WorkOrders(params string[] states)
    {
        var workOrders = new JsonArray([.. states.Select((state, i) => (JsonNode)new JsonObject { ["id"] = 11 + i, ["state"] = state, ["is_user_working"] = false })]);
        var odoo = new ScriptedOdoo((model, method, arguments) =>
        {
            if (method == "search_read")
            {
                return workOrders.DeepClone();
            }

            foreach (var w in workOrders.OfType<JsonObject>().Where(w => w["id"]!.GetValue<int>() == arguments["ids"]![0]!.GetValue<long>()))
            {
                w["is_user_working"] = method == "button_start";
            }

            return JsonValue.Create(true);
        });
        return (odoo, workOrders);
    }

    [Fact]
    public async Task Progress_starts_and_pauses_the_work_order_at_the_operations_position_once()
    {
        var (odoo, workOrders) = WorkOrders("ready", "ready", "ready");
        var adapter = new OdooAdapter(odoo, Options);

        var started = await adapter.DeliverAsync(Progress("OperationStarted", "0020", "0010=COMPLETED 0020=RUNNING 0030=PENDING"), CancellationToken.None);
        await adapter.DeliverAsync(Progress("OperationStarted", "0020", "0010=COMPLETED 0020=RUNNING 0030=PENDING"), CancellationToken.None);

        Assert.Equal("mrp.workorder/12", started.ExternalRef);
        Assert.Equal(["search_read", "button_start", "search_read"], odoo.Calls.Select(c => c.Method));
        Assert.True(workOrders[1]!["is_user_working"]!.GetValue<bool>());

        await adapter.DeliverAsync(Progress("OperationPaused", "0020", "0010=COMPLETED 0020=PAUSED 0030=PENDING"), CancellationToken.None);

        Assert.Equal("button_pending", odoo.Calls[^1].Method);
        Assert.False(workOrders[1]!["is_user_working"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_newest_of_coalesced_progress_events_moves_the_operations_the_others_were_about()
    {
        var (odoo, workOrders) = WorkOrders("ready", "ready");
        workOrders[0]!["is_user_working"] = true; // 0010 started earlier; its pause was coalesced into 0020's start

        await new OdooAdapter(odoo, Options).DeliverAsync(Progress("OperationStarted", "0020", "0010=PAUSED 0020=RUNNING"), CancellationToken.None);

        Assert.False(workOrders[0]!["is_user_working"]!.GetValue<bool>());
        Assert.True(workOrders[1]!["is_user_working"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Progress_for_an_operation_without_a_work_order_is_a_business_refusal_after_moving_the_others()
    {
        var (odoo, workOrders) = WorkOrders("ready", "ready");

        var refused = await Assert.ThrowsAsync<ErpException>(() =>
            new OdooAdapter(odoo, Options).DeliverAsync(Progress("OperationStarted", "0040", "0010=RUNNING 0040=RUNNING"), CancellationToken.None));

        Assert.False(refused.Transient);
        Assert.Contains("no work order for operation 0040 (2 work orders", refused.Message);
        Assert.True(workOrders[0]!["is_user_working"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Progress_arriving_after_odoo_finished_the_work_order_changes_nothing()
    {
        var (odoo, _) = WorkOrders("done", "ready");

        await new OdooAdapter(odoo, Options).DeliverAsync(Progress("OperationPaused", "0010", "0010=RUNNING 0020=PENDING"), CancellationToken.None);

        Assert.Equal(["search_read"], odoo.Calls.Select(c => c.Method));
    }

    [Fact]
    public async Task Progress_of_an_order_whose_operations_are_all_completed_or_pending_moves_nothing()
    {
        var (odoo, _) = WorkOrders("ready", "ready");

        await new OdooAdapter(odoo, Options).DeliverAsync(Progress("OperationStarted", "0010", "0010=COMPLETED 0020=PENDING"), CancellationToken.None);

        Assert.Equal(["search_read"], odoo.Calls.Select(c => c.Method));
    }

    [Fact]
    public void Only_running_and_paused_operations_are_moved()
    {
        Assert.Equal(new Dictionary<string, bool> { ["0020"] = true, ["0030"] = false },
            OdooAdapter.OperationTargets("0010=COMPLETED 0020=RUNNING 0030=PAUSED 0040=PENDING"));
        Assert.Empty(OdooAdapter.OperationTargets(""));
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

    private static IntegrationEvent PurchaseEvent(string type, params (string Key, string Value)[] data) => new()
    {
        EventId = $"purchase_order/P100/PO-7/4/0", EventType = type, AggregateType = "purchase_order", AggregateKey = "P100/PO-7", Plant = "P100",
        AggregateVersion = 4, OccurredAt = DateTimeOffset.UnixEpoch, Data = data.ToImmutableDictionary(d => d.Key, d => d.Value),
    };

    private static IntegrationEvent Consumed() => new()
    {
        EventId = "production_order/P100/WO-1/3/1", EventType = "MaterialConsumed", AggregateType = "production_order", AggregateKey = "P100/WO-1", Plant = "P100",
        AggregateVersion = 3, OccurredAt = DateTimeOffset.UnixEpoch,
        Data = ImmutableDictionary<string, string>.Empty.Add("component", "FRAME-26").Add("lot", "plants/P100/lots/RM-1").Add("quantity", "5 EA"),
    };

    private static JsonObject Move() => new()
    {
        ["id"] = 70, ["product_id"] = new JsonArray(9, "[FRAME-26] Frame"), ["location_id"] = new JsonArray(8, "WH/Stock"),
        ["location_dest_id"] = new JsonArray(15, "Production"), ["picking_id"] = new JsonArray(33, "WH/IN/00033"),
    };

    [Fact]
    public async Task A_consumption_creates_one_picked_move_line_with_the_lot_and_the_reference_and_a_redelivery_creates_none()
    {
        var created = false;
        var odoo = new ScriptedOdoo((model, method, arguments) => (model, method) switch
        {
            ("stock.move.line", "search_read") => created ? new JsonArray(new JsonObject { ["id"] = 501 }) : new JsonArray(),
            ("stock.move", "search_read") => new JsonArray(Move()),
            ("stock.lot", "search_read") => new JsonArray(new JsonObject { ["id"] = 44 }),
            ("stock.move.line", "create") => Create(),
            _ => null,
        });
        var adapter = new OdooAdapter(odoo, Options);
        JsonNode Create()
        {
            created = true;
            return new JsonArray(501);
        }

        var first = await adapter.DeliverAsync(Consumed(), CancellationToken.None);
        var again = await adapter.DeliverAsync(Consumed(), CancellationToken.None);

        Assert.Equal(("stock.move.line/501", "stock.move.line/501"), (first.ExternalRef, again.ExternalRef));
        var create = Assert.Single(odoo.Calls, c => c.Method == "create").Arguments["vals_list"]![0]!;
        Assert.Equal((70L, 9L, 44L, 5m, true, "production_order/P100/WO-1/3/1"), (create["move_id"]!.GetValue<long>(), create["product_id"]!.GetValue<long>(),
            create["lot_id"]!.GetValue<long>(), create["quantity"]!.GetValue<decimal>(), create["picked"]!.GetValue<bool>(), create["x_mfg_event_id"]!.GetValue<string>()));
        var lotSearch = Assert.Single(odoo.Calls, c => c.Model == "stock.lot").Arguments["domain"]!.ToJsonString();
        Assert.Equal("""[["name","=","RM-1"],["product_id","=",9]]""", lotSearch);
    }

    [Fact]
    public async Task A_confirmed_date_is_written_once_and_a_line_that_has_it_is_left_alone()
    {
        var planned = "2026-12-10 00:00:00";
        var odoo = new ScriptedOdoo((model, method, arguments) => method == "search_read"
            ? new JsonArray(new JsonObject { ["id"] = 17, ["date_planned"] = planned })
            : (planned = arguments["vals"]!["date_planned"]!.GetValue<string>()) is not null ? JsonValue.Create(true) : null);
        var adapter = new OdooAdapter(odoo, Options);
        var confirmed = PurchaseEvent("PurchaseOrderLineConfirmed", ("line_id", "00017"), ("confirmed_delivery_date", "2026-12-12"));

        var receipt = await adapter.DeliverAsync(confirmed, CancellationToken.None);
        await adapter.DeliverAsync(confirmed, CancellationToken.None);

        Assert.Equal("purchase.order.line/17", receipt.ExternalRef);
        Assert.Equal("2026-12-12 00:00:00", planned);
        Assert.Single(odoo.Calls, c => c.Method == "write");
        Assert.Equal("""[["id","=",17],["order_id.name","=","PO-7"]]""", odoo.Calls[0].Arguments["domain"]!.ToJsonString());
        await Assert.ThrowsAsync<ErpException>(() => adapter.DeliverAsync(PurchaseEvent("PurchaseOrderLineConfirmed", ("line_id", "A-1"), ("confirmed_delivery_date", "2026-12-12")), CancellationToken.None));
    }

    [Fact]
    public async Task A_receipt_whose_move_line_exists_but_whose_picking_is_not_done_is_only_validated()
    {
        var odoo = new ScriptedOdoo((model, method, _) => (model, method) switch
        {
            ("stock.move.line", "search_read") => new JsonArray(new JsonObject { ["id"] = 600, ["picking_id"] = new JsonArray(33, "WH/IN/00033"), ["state"] = "assigned" }),
            ("stock.picking", "button_validate") => JsonValue.Create(true),
            _ => throw new InvalidOperationException($"{model}.{method} was not expected"),
        });

        var receipt = await new OdooAdapter(odoo, Options).DeliverAsync(PurchaseEvent("GoodsReceived", ("line_id", "17"), ("quantity", "1500 KG"), ("lot", "plants/P100/lots/L-1")), CancellationToken.None);

        Assert.Equal("stock.picking/33", receipt.ExternalRef);
        Assert.Equal(["search_read", "button_validate"], odoo.Calls.Select(c => c.Method));
        Assert.True(odoo.Calls[1].Arguments["context"]!["skip_backorder"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_receipt_the_picking_refuses_with_a_wizard_is_a_refusal()
    {
        var odoo = new ScriptedOdoo((model, method, _) => (model, method) switch
        {
            ("stock.move.line", "search_read") => new JsonArray(),
            ("stock.move", "search_read") => new JsonArray(Move()),
            ("stock.move.line", "create") => new JsonArray(601),
            ("stock.picking", "button_validate") => new JsonObject { ["type"] = "ir.actions.act_window", ["res_model"] = "stock.backorder.confirmation" },
            _ => null,
        });

        var failed = await Assert.ThrowsAsync<ErpException>(() =>
            new OdooAdapter(odoo, Options).DeliverAsync(PurchaseEvent("GoodsReceived", ("line_id", "17"), ("quantity", "1500 KG"), ("lot", "plants/P100/lots/L-1")), CancellationToken.None));

        Assert.False(failed.Transient);
        Assert.Contains("stock.backorder.confirmation", failed.Message);
        var values = Assert.Single(odoo.Calls, c => c.Method == "create").Arguments["vals_list"]![0]!;
        Assert.Equal(("L-1", 33L, 1500m), (values["lot_name"]!.GetValue<string>(), values["picking_id"]!.GetValue<long>(), values["quantity"]!.GetValue<decimal>()));
    }
}
