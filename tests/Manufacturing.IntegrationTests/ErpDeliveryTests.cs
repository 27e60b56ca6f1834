using Grpc.Core;
using Manufacturing.Common.V1;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.Integration.V1;
using Manufacturing.Inventory.V1;
using Manufacturing.Quality.V1;
using Manufacturing.ShopFloor.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>
/// Business events reaching Odoo through the integration service's connector (the suite's
/// <c>odoo-test</c>, JSON-2, against <see cref="FakeOdoo"/>), with PostgreSQL holding the event log,
/// the deliveries and the dead letters, operated through the gateway.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class ErpDeliveryTests(SuiteFixture suite)
{
    private ShopFloorService.ShopFloorServiceClient Erp => new(suite.As("odoo"));

    private ShopFloorService.ShopFloorServiceClient Mes => new(suite.As("mes"));

    private IntegrationService.IntegrationServiceClient Operator => new(suite.As("sre", "read"));

    private async Task<long> CompleteAsync(string order, string operation, string good, string scrap)
    {
        try
        {
            await Mes.StartOperationAsync(new StartOperationRequest { ProductionOrder = order, OperationId = operation, Metadata = Metadata() });
            return (await Mes.CompleteOperationAsync(new CompleteOperationRequest
            {
                ProductionOrder = order, OperationId = operation, Metadata = Metadata(),
                GoodQuantity = new Quantity { Value = good, UnitOfMeasure = "EA" }, ScrapQuantity = new Quantity { Value = scrap, UnitOfMeasure = "EA" },
                ScrapReason = scrap == "0" ? "" : "PAINT_RUN",
            })).ProductionOrder.Version;
        }
        catch (RpcException e)
        {
            Assert.Fail($"{e.Status}: {e.GetRpcStatus()}");
            throw;
        }
    }

    // The header text the SAP adapter marks a material document with: "MFG" and 22 hex digits of the event id's SHA-256.
    private static string SapHeaderText(string eventId) =>
        "MFG" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(eventId)))[..22];

    private static async Task WaitAsync(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen within 60 s");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_plant_completion_arrives_in_both_erps_once_marked_done_in_odoo_and_received_in_sap()
    {
        var orderId = Unique("WO");
        suite.Odoo.AddProduction(orderId, 25);
        var order = (await Erp.ReleaseProductionOrderAsync(Release(orderId))).ProductionOrder.Name;

        await CompleteAsync(order, "0010", "25", "0");
        var version = await CompleteAsync(order, "0020", "24", "1");

        await WaitAsync(() => suite.Odoo.Production(orderId)?["state"]?.GetValue<string>() == "done", "the order's completion in Odoo");
        var production = suite.Odoo.Production(orderId)!;
        Assert.Equal(24m, production["qty_producing"]!.GetValue<decimal>());
        Assert.Equal(1, production["marked_done"]!.GetValue<int>());
        var headerText = SapHeaderText($"production_order/P100/{orderId}/{version}/0");
        await WaitAsync(() => suite.Sap.Documents(headerText).Count > 0, "the goods receipt in SAP");
        var document = Assert.Single(suite.Sap.Documents(headerText));
        var item = document["to_MaterialDocumentItem"]!["results"]![0]!;
        Assert.Equal("02", document["GoodsMovementCode"]!.GetValue<string>());
        Assert.Equal(("101", "F", orderId, "1010", "BIKE-26", "24", "EA"), (item["GoodsMovementType"]!.GetValue<string>(), item["GoodsMovementRefDocType"]!.GetValue<string>(),
            item["ManufacturingOrder"]!.GetValue<string>(), item["Plant"]!.GetValue<string>(), item["Material"]!.GetValue<string>(),
            item["QuantityInEntryUnit"]!.GetValue<string>(), item["EntryUnit"]!.GetValue<string>()));
        var connector = Assert.Single((await Operator.ListConnectorsAsync(new ListConnectorsRequest())).Connectors, c => c.Name == "connectors/odoo-test");
        Assert.Contains("production-completion: real-time", connector.Workflows);
        Assert.Equal("closed", connector.Circuit);
    }

    [Fact]
    public async Task Operations_started_paused_and_resumed_on_the_line_start_and_stop_their_odoo_work_orders_once_each()
    {
        var orderId = Unique("WO");
        suite.Odoo.AddProduction(orderId, 25);
        var order = (await Erp.ReleaseProductionOrderAsync(Release(orderId))).ProductionOrder.Name;
        var start = new StartOperationRequest { ProductionOrder = order, OperationId = "0010", Metadata = Metadata() };

        await Mes.StartOperationAsync(start);
        await Mes.StartOperationAsync(start); // the MES repeats itself
        await WaitAsync(() => suite.Odoo.WorkOrders(orderId)[0]["is_user_working"]!.GetValue<bool>(), "work order 1 started in Odoo (micro-batch, every second here)");
        var pause = new PauseOperationRequest { ProductionOrder = order, OperationId = "0010", Reason = "BREAKDOWN", Metadata = Metadata() };
        await Mes.PauseOperationAsync(pause);
        await Mes.PauseOperationAsync(pause);
        await WaitAsync(() => !suite.Odoo.WorkOrders(orderId)[0]["is_user_working"]!.GetValue<bool>(), "work order 1 paused in Odoo");
        await Mes.ResumeOperationAsync(new ResumeOperationRequest { ProductionOrder = order, OperationId = "0010", Metadata = Metadata() });
        await WaitAsync(() => suite.Odoo.WorkOrders(orderId)[0]["is_user_working"]!.GetValue<bool>(), "work order 1 resumed in Odoo");

        var (first, second) = (suite.Odoo.WorkOrders(orderId)[0], suite.Odoo.WorkOrders(orderId)[1]);
        Assert.Equal((2, 1), (first["starts"]!.GetValue<int>(), first["pauses"]!.GetValue<int>()));
        Assert.Equal((0, 0, "ready"), (second["starts"]!.GetValue<int>(), second["pauses"]!.GetValue<int>(), second["state"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Odoo_failing_with_503_for_a_while_is_retried_and_the_order_is_completed_once()
    {
        var orderId = Unique("WO");
        suite.Odoo.AddProduction(orderId, 25);
        var order = (await Erp.ReleaseProductionOrderAsync(Release(orderId))).ProductionOrder.Name;
        await CompleteAsync(order, "0010", "25", "0");

        // More failures than one attempt's quick retries: the delivery waits for its next attempt (and the circuit may open meanwhile).
        suite.Odoo.FailNext(5);
        await CompleteAsync(order, "0020", "25", "0");

        await WaitAsync(() => suite.Odoo.Production(orderId)?["state"]?.GetValue<string>() == "done", "the order's completion in Odoo after the outage");
        Assert.Equal(1, suite.Odoo.Production(orderId)!["marked_done"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_business_refusal_is_a_dead_letter_at_once_and_its_replay_after_the_fix_delivers_it_once()
    {
        var lotId = Unique("LOT");
        var lot = (await new InventoryService.InventoryServiceClient(suite.As("warehouse")).ReceiveLotAsync(new ReceiveLotRequest
        {
            Parent = "plants/P100", LotId = lotId, Material = "FRAME-26",
            Quantity = new Quantity { Value = "10", UnitOfMeasure = "EA" }, Location = "RECV-01", Metadata = Metadata(),
        })).Lot;
        suite.Odoo.RefuseAlerts = "No quality team found for this company.";
        try
        {
            await new QualityService.QualityServiceClient(suite.As("quality")).BlockLotAsync(new BlockLotRequest { Lot = lot.Name, Reason = "crack", Metadata = Metadata() });

            var filter = new Manufacturing.Integration.V1.DeadLetterFilter { Connector = "odoo-test", Workflow = "quality-holds", ErrorContains = "quality team" };
            DeadLetter? dead = null;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (dead is null)
            {
                dead = (await Operator.ListDeadLettersAsync(new ListDeadLettersRequest { Filter = filter, PageSize = 500 })).DeadLetters.FirstOrDefault(d => d.Resource == lot.Name);
                Assert.True(dead is not null || DateTime.UtcNow < deadline, "no dead letter within 60 s");
                await Task.Delay(100);
            }

            var attempt = Assert.Single(dead.Attempts);
            Assert.False(attempt.Transient);
            Assert.Contains("odoo.exceptions.ValidationError: No quality team found", attempt.Error);
            Assert.Equal("LotBlocked", dead.EventType);
            Assert.Equal("crack", dead.Data["reason"]);
            Assert.Empty(suite.Odoo.AlertsAboutLot(lotId));
            Assert.Equal(dead, (await Operator.GetDeadLetterAsync(new GetDeadLetterRequest { Name = dead.Name })).DeadLetter);

            // The cause is fixed in Odoo; the operator replays the one dead letter.
            suite.Odoo.RefuseAlerts = null;
            var replayed = await Operator.ReplayDeadLettersAsync(new ReplayDeadLettersRequest { Names = { dead.Name } });

            Assert.Equal([dead.Name], replayed.Names);
            await WaitAsync(() => suite.Odoo.AlertsAboutLot(lotId).Count > 0, "the replayed alert in Odoo");
            var again = await Operator.ReplayDeadLettersAsync(new ReplayDeadLettersRequest { Names = { dead.Name } });
            Assert.Empty(again.Names);
            Assert.Single(suite.Odoo.AlertsFor(dead.EventId));
            var gone = await Assert.ThrowsAsync<RpcException>(() => Operator.GetDeadLetterAsync(new GetDeadLetterRequest { Name = dead.Name }).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, gone.StatusCode);
        }
        finally
        {
            suite.Odoo.RefuseAlerts = null;
        }
    }

    [Fact]
    public async Task Dead_letter_calls_with_bad_input_are_invalid_argument_and_need_the_operator()
    {
        var noReason = await Assert.ThrowsAsync<RpcException>(() => Operator.DiscardDeadLetterAsync(new DiscardDeadLetterRequest { Name = "deadLetters/1" }).ResponseAsync);
        var badName = await Assert.ThrowsAsync<RpcException>(() => Operator.GetDeadLetterAsync(new GetDeadLetterRequest { Name = "letters/x" }).ResponseAsync);
        var both = await Assert.ThrowsAsync<RpcException>(() => Operator.ReplayDeadLettersAsync(new ReplayDeadLettersRequest()).ResponseAsync);
        var missing = await Assert.ThrowsAsync<RpcException>(() => Operator.DiscardDeadLetterAsync(new DiscardDeadLetterRequest { Name = "deadLetters/999999999", Reason = "test" }).ResponseAsync);
        var mes = await Assert.ThrowsAsync<RpcException>(() =>
            new IntegrationService.IntegrationServiceClient(suite.As("mes")).ListDeadLettersAsync(new ListDeadLettersRequest()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, noReason.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, badName.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, both.StatusCode);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, mes.StatusCode);
    }

    private async Task<Manufacturing.Integration.V1.Connector> ConnectorAsync() =>
        (await Operator.ListConnectorsAsync(new ListConnectorsRequest())).Connectors.Single(c => c.Name == "connectors/odoo-test");

    private async Task<string[]> CompletedOrdersAsync(int count)
    {
        var ids = new string[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = Unique("WO");
            suite.Odoo.AddProduction(ids[i], 25);
            var order = (await Erp.ReleaseProductionOrderAsync(Release(ids[i]))).ProductionOrder.Name;
            await CompleteAsync(order, "0010", "25", "0");
            await CompleteAsync(order, "0020", "25", "0");
        }

        return ids;
    }

    private void AssertCompletedOnce(IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            var production = suite.Odoo.Production(id)!;
            Assert.Equal(("done", 1, 1), (production["state"]!.GetValue<string>(), production["marked_done"]!.GetValue<int>(), production["mark_done_calls"]!.GetValue<int>()));
        }
    }

    [Fact]
    public async Task With_odoo_down_for_a_while_the_circuit_opens_the_backlog_grows_and_drains_once_when_it_returns()
    {
        suite.Odoo.FailNext(int.MaxValue);
        string[] ids;
        try
        {
            ids = await CompletedOrdersAsync(5);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            Manufacturing.Integration.V1.Connector connector;
            while ((connector = await ConnectorAsync()) is not { Circuit: "open", Backlog: >= 5 })
            {
                Assert.True(DateTime.UtcNow < deadline, $"the circuit did not open with the backlog held: {connector}");
                await Task.Delay(100);
            }

            Assert.All(ids, id => Assert.NotEqual("done", suite.Odoo.Production(id)!["state"]!.GetValue<string>()));
        }
        finally
        {
            suite.Odoo.FailNext(0);
        }

        await WaitAsync(() => ids.All(id => suite.Odoo.Production(id)!["state"]!.GetValue<string>() == "done"), "the backlog draining");
        AssertCompletedOnce(ids);
    }

    [Fact]
    public async Task The_integration_host_killed_with_deliveries_pending_and_restarted_posts_each_once()
    {
        suite.Odoo.FailNext(int.MaxValue);
        string[] ids;
        try
        {
            ids = await CompletedOrdersAsync(3);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await ConnectorAsync()).Backlog < 3)
            {
                Assert.True(DateTime.UtcNow < deadline, "the deliveries were not queued");
                await Task.Delay(100);
            }

            suite.Host("integration").Kill();
        }
        finally
        {
            suite.Odoo.FailNext(0);
        }

        suite.Host("integration").Start();
        await WaitAsync(() => ids.All(id => suite.Odoo.Production(id)!["state"]!.GetValue<string>() == "done"), "delivery after the restart");
        AssertCompletedOnce(ids);
    }

    [Fact]
    public async Task An_expired_sap_session_gets_a_new_csrf_token_and_the_goods_receipt_is_posted_once()
    {
        var orderId = Unique("WO");
        var order = (await Erp.ReleaseProductionOrderAsync(Release(orderId))).ProductionOrder.Name;
        await CompleteAsync(order, "0010", "25", "0");
        var rejectedBefore = suite.Sap.RejectedPosts;
        suite.Sap.ExpireSessions();

        var version = await CompleteAsync(order, "0020", "25", "0");

        var headerText = SapHeaderText($"production_order/P100/{orderId}/{version}/0");
        await WaitAsync(() => suite.Sap.Documents(headerText).Count > 0, "the goods receipt in SAP after the session expired");
        Assert.Single(suite.Sap.Documents(headerText));
        Assert.True(suite.Sap.RejectedPosts > rejectedBefore, "the expired token was not refused (the test proves nothing)");
    }

    [Fact]
    public async Task Over_odoo_json_rpc_a_completed_order_of_plant_p200_is_marked_done_once()
    {
        var orderId = Unique("WO");
        suite.Odoo.AddProduction(orderId, 25);
        var release = Release(orderId);
        release.Parent = "plants/P200";
        var order = (await new ShopFloorService.ShopFloorServiceClient(suite.As("sap")).ReleaseProductionOrderAsync(release)).ProductionOrder.Name;
        var mes = new ShopFloorService.ShopFloorServiceClient(suite.As("mes:P200"));
        var rpcBefore = suite.Odoo.RpcCalls;

        foreach (var operation in new[] { "0010", "0020" })
        {
            await mes.StartOperationAsync(new StartOperationRequest { ProductionOrder = order, OperationId = operation, Metadata = Metadata() });
            await mes.CompleteOperationAsync(new CompleteOperationRequest
            {
                ProductionOrder = order, OperationId = operation, Metadata = Metadata(),
                GoodQuantity = new Quantity { Value = "25", UnitOfMeasure = "EA" }, ScrapQuantity = new Quantity { Value = "0", UnitOfMeasure = "EA" },
            });
        }

        await WaitAsync(() => suite.Odoo.Production(orderId)?["state"]?.GetValue<string>() == "done", "the order's completion in Odoo over JSON-RPC");
        AssertCompletedOnce([orderId]);
        Assert.True(suite.Odoo.RpcCalls >= rpcBefore + 3, "the completion did not travel over JSON-RPC");
    }

    [Fact]
    public async Task Drift_made_in_odoo_and_sap_is_found_by_reconciliation_with_both_sides_and_resolved_when_they_agree_again()
    {
        var orderId = Unique("WO");
        suite.Odoo.AddProduction(orderId, 25);
        var order = (await Erp.ReleaseProductionOrderAsync(Release(orderId))).ProductionOrder.Name;
        await CompleteAsync(order, "0010", "25", "0");
        var version = await CompleteAsync(order, "0020", "24", "1");
        var headerText = SapHeaderText($"production_order/P100/{orderId}/{version}/0");
        await WaitAsync(() => suite.Odoo.Production(orderId)?["state"]?.GetValue<string>() == "done" && suite.Sap.Documents(headerText).Count > 0,
            "the completion in both ERPs");

        // Behind the connectors' backs: someone corrects the produced quantity in Odoo, and the goods receipt is reversed in SAP.
        suite.Odoo.Edit("mrp.production", orderId, "qty_produced", 20m);
        suite.Sap.Cancel(headerText);

        var odoo = await ReconcileUntilAsync("odoo-test", order, "good_quantity");
        Assert.Equal(("24", "20"), (odoo.Ours, odoo.Theirs));
        Assert.StartsWith("mrp.production/", odoo.ExternalRef, StringComparison.Ordinal);
        Assert.Null(odoo.ResolveTime);
        var sap = await ReconcileUntilAsync("sap-test", order, "good_quantity");
        Assert.Equal(("24", "0"), (sap.Ours, sap.Theirs));
        Assert.StartsWith("material-document/", sap.ExternalRef, StringComparison.Ordinal);
        var connectors = (await Operator.ListConnectorsAsync(new ListConnectorsRequest())).Connectors;
        var odooConnector = Assert.Single(connectors, c => c.Name == "connectors/odoo-test");
        Assert.True(odooConnector.OpenDrifts >= 1, $"open drifts: {odooConnector.OpenDrifts}");
        Assert.NotNull(odooConnector.LastReconciliation);
        Assert.Equal("", odooConnector.LastReconciliation.Error);

        // Seen again, it stays one drift; fixed in Odoo, the next run resolves it (SAP's stays open).
        await Operator.ReconcileConnectorAsync(new ReconcileConnectorRequest { Name = "connectors/odoo-test" });
        Assert.Single(await DriftsAsync("odoo-test", order, includeResolved: true));
        suite.Odoo.Edit("mrp.production", orderId, "qty_produced", 24m);
        var run = (await Operator.ReconcileConnectorAsync(new ReconcileConnectorRequest { Name = "connectors/odoo-test" })).Run;

        Assert.True(run.Resolved >= 1, $"the run resolved {run.Resolved}");
        Assert.Empty(await DriftsAsync("odoo-test", order, includeResolved: false));
        var resolved = Assert.Single(await DriftsAsync("odoo-test", order, includeResolved: true));
        Assert.NotNull(resolved.ResolveTime);
        Assert.Single(await DriftsAsync("sap-test", order, includeResolved: false));
    }

    [Fact]
    public async Task Scrap_on_the_line_is_scrapped_once_on_the_odoo_order_and_scrap_added_in_odoo_by_hand_is_found_as_drift()
    {
        var orderId = Unique("WO");
        suite.Odoo.AddProduction(orderId, 25);
        var order = (await Erp.ReleaseProductionOrderAsync(Release(orderId))).ProductionOrder.Name;
        await CompleteAsync(order, "0010", "23", "2"); // scrap before the order completes: its own delivery
        await WaitAsync(() => suite.Odoo.Scraps(orderId).Count > 0, "the scrap of operation 0010 in Odoo");
        await CompleteAsync(order, "0020", "22", "1");
        await WaitAsync(() => suite.Odoo.Production(orderId)?["state"]?.GetValue<string>() == "done", "the completion in Odoo");

        var scraps = suite.Odoo.Scraps(orderId);
        Assert.Equal([(2m, "done", 1), (1m, "done", 1)],
            scraps.Select(s => (s["scrap_qty"]!.GetValue<decimal>(), s["state"]!.GetValue<string>(), s["validations"]!.GetValue<int>())));
        Assert.Equal($"{orderId} 0010: PAINT_RUN", scraps[0]["origin"]!.GetValue<string>());
        Assert.StartsWith($"production_order/P100/{orderId}/", scraps[0]["x_mfg_event_id"]!.GetValue<string>(), StringComparison.Ordinal);

        suite.Odoo.AddScrap(orderId, 4); // someone scraps more in Odoo by hand
        var drift = await ReconcileUntilAsync("odoo-test", order, "scrap_quantity");

        Assert.Equal(("3", "7"), (drift.Ours, drift.Theirs));
    }

    [Fact]
    public async Task Reconciliation_rpcs_refuse_bad_input_unknown_connectors_and_callers_without_the_right()
    {
        var invalid = await Assert.ThrowsAsync<RpcException>(() => Operator.ReconcileConnectorAsync(new ReconcileConnectorRequest { Name = "odoo-test" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains(invalid.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations, v => v.Field == "name");
        var missing = await Assert.ThrowsAsync<RpcException>(() => Operator.ReconcileConnectorAsync(new ReconcileConnectorRequest { Name = "connectors/nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        var token = await Assert.ThrowsAsync<RpcException>(() => Operator.ListDriftsAsync(new ListDriftsRequest { PageToken = "not-a-token" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, token.StatusCode);
        var denied = await Assert.ThrowsAsync<RpcException>(() =>
            new IntegrationService.IntegrationServiceClient(suite.As("mes")).ListDriftsAsync(new ListDriftsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    // Reconciles the connector until the drift report shows the order's field (the delivery is recorded a moment after the ERP has it).
    private async Task<Manufacturing.Integration.V1.Drift> ReconcileUntilAsync(string connector, string order, string field)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var run = (await Operator.ReconcileConnectorAsync(new ReconcileConnectorRequest { Name = $"connectors/{connector}" })).Run;
            Assert.Equal("", run.Error);
            if ((await DriftsAsync(connector, order, includeResolved: false)).FirstOrDefault(d => d.Field == field) is { } drift)
            {
                return drift;
            }

            Assert.True(DateTime.UtcNow < deadline, $"reconciling {connector} found no {field} drift of {order} within 60 s");
            await Task.Delay(200);
        }
    }

    private async Task<IReadOnlyList<Manufacturing.Integration.V1.Drift>> DriftsAsync(string connector, string order, bool includeResolved) =>
        [.. (await Operator.ListDriftsAsync(new ListDriftsRequest { Connector = connector, IncludeResolved = includeResolved, PageSize = 500 })).Drifts
            .Where(d => d.Resource == order)];

    [Fact]
    public async Task A_supplier_confirmed_date_updates_the_sap_schedule_line_with_its_etag_reading_again_when_someone_changed_it_meanwhile()
    {
        var poId = Unique("45");
        var sapLine = suite.Sap.AddScheduleLine(poId, "10", new DateOnly(2026, 12, 10), 2000);
        sapLine.ChangeBeforeNextPatch = true; // a buyer saves the line in SAP between the adapter's read and its write
        var refusedBefore = suite.Sap.PreconditionFailures;
        var kg = (string value) => new Quantity { Value = value, UnitOfMeasure = "KG" };
        var po = (await new Manufacturing.Procurement.V1.ProcurementService.ProcurementServiceClient(suite.As("sap")).CreatePurchaseOrderAsync(new Manufacturing.Procurement.V1.CreatePurchaseOrderRequest
        {
            Parent = "plants/P200", PurchaseOrderId = poId, Metadata = Metadata(),
            PurchaseOrder = new Manufacturing.Procurement.V1.PurchaseOrder
            {
                Vendor = "V-100200", Currency = "EUR",
                Lines = { new Manufacturing.Procurement.V1.PurchaseOrderLine { LineId = "00010", Material = "000000000000012345", Quantity = kg("2000"), UnitPrice = "1.25",
                    RequestedDeliveryDate = new Google.Type.Date { Year = 2026, Month = 12, Day = 10 } } },
            },
        })).PurchaseOrder;

        await new Manufacturing.Procurement.V1.ProcurementService.ProcurementServiceClient(suite.As("supplier")).ConfirmPurchaseOrderLineAsync(new Manufacturing.Procurement.V1.ConfirmPurchaseOrderLineRequest
        {
            PurchaseOrder = po.Name, LineId = "00010", ConfirmedQuantity = kg("2000"), ConfirmedDeliveryDate = new Google.Type.Date { Year = 2026, Month = 12, Day = 12 }, Metadata = Metadata(),
        });

        await WaitAsync(() => FakeSap.DeliveryDate(sapLine) == new DateOnly(2026, 12, 12), "the confirmed date on the SAP schedule line");
        Assert.Equal(1, sapLine.Patches);
        Assert.Equal(refusedBefore + 1, suite.Sap.PreconditionFailures);
        Assert.Equal("2000", sapLine.Fields["ScheduleLineOrderQuantity"]!.GetValue<string>());

        // Behind the connector's back a buyer moves the date in SAP: reconciliation shows both days.
        lock (sapLine)
        {
            sapLine.Fields["ScheduleLineDeliveryDate"] = $"/Date({new DateTimeOffset(2026, 12, 20, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds()})/";
        }

        var drift = await ReconcileUntilAsync("sap-test", po.Name, "confirmed_dates");
        Assert.Equal(("00010=2026-12-12", "00010=2026-12-20"), (drift.Ours, drift.Theirs));
        Assert.Equal($"purchase-order/{poId}", drift.ExternalRef);
    }

    [Fact]
    public async Task A_receipt_on_a_sap_purchase_order_and_the_lots_move_to_the_line_post_a_101_and_a_311_in_sap_once_each()
    {
        var poId = Unique("45");
        var lotId = Unique("R");
        var kg = (string value) => new Quantity { Value = value, UnitOfMeasure = "KG" };
        var procurement = (string caller) => new Manufacturing.Procurement.V1.ProcurementService.ProcurementServiceClient(suite.As(caller));
        var po = (await procurement("sap").CreatePurchaseOrderAsync(new Manufacturing.Procurement.V1.CreatePurchaseOrderRequest
        {
            Parent = "plants/P200", PurchaseOrderId = poId, Metadata = Metadata(),
            PurchaseOrder = new Manufacturing.Procurement.V1.PurchaseOrder
            {
                Vendor = "V-100200", Currency = "EUR",
                Lines = { new Manufacturing.Procurement.V1.PurchaseOrderLine { LineId = "00010", Material = "000000000000012345", Quantity = kg("2000"), UnitPrice = "1.25",
                    RequestedDeliveryDate = new Google.Type.Date { Year = 2026, Month = 12, Day = 10 } } },
            },
        })).PurchaseOrder;
        Assert.Equal("STEEL-S235", po.Lines[0].Material); // SAP's 12345 is our STEEL-S235 (Codes__sap__12345)

        var receive = new Manufacturing.Procurement.V1.ReceiveGoodsRequest
        {
            PurchaseOrder = po.Name, LineId = "00010", Quantity = kg("1500"), LotId = lotId, Location = "RECV-01", SupplierLot = "S-77", Metadata = Metadata(),
        };
        await procurement("warehouse").ReceiveGoodsAsync(receive);
        await procurement("warehouse").ReceiveGoodsAsync(receive); // the scanner sends it again: one receipt
        var moved = (await new InventoryService.InventoryServiceClient(suite.As("warehouse")).TransferLotAsync(new TransferLotRequest
        {
            Name = $"plants/P200/lots/{lotId}", FromLocation = "RECV-01", ToLocation = "LINE-1", Quantity = kg("300"), Metadata = Metadata(),
        })).Lot;

        var transferText = SapHeaderText($"lot/P200/{lotId}/{moved.Version}/0");
        await WaitAsync(() => suite.Sap.DocumentsFor("PurchaseOrder", poId).Count > 0 && suite.Sap.Documents(transferText).Count > 0, "the goods receipt and the transfer in SAP");
        var receipt = Items(Assert.Single(suite.Sap.DocumentsFor("PurchaseOrder", poId)))[0]!;
        Assert.Equal(["101", "B", "10", "12345", "1020", "0001", "1500", "KG"],
            new[] { "GoodsMovementType", "GoodsMovementRefDocType", "PurchaseOrderItem", "Material", "Plant", "StorageLocation", "QuantityInEntryUnit", "EntryUnit" }
                .Select(f => receipt[f]?.GetValue<string>()));
        var transfer = Items(Assert.Single(suite.Sap.Documents(transferText)))[0]!;
        Assert.Equal(["311", "12345", "1020", "0001", "1020", "0003", "300", "KG"],
            new[] { "GoodsMovementType", "Material", "Plant", "StorageLocation", "IssuingOrReceivingPlant", "IssuingOrReceivingStorageLoc", "QuantityInEntryUnit", "EntryUnit" }
                .Select(f => transfer[f]?.GetValue<string>()));
    }

    private static System.Text.Json.Nodes.JsonArray Items(System.Text.Json.Nodes.JsonObject document) => document["to_MaterialDocumentItem"]!["results"]!.AsArray();

    [Fact]
    public async Task An_odoo_purchase_line_gets_its_confirmed_date_and_a_partial_receipt_validates_with_a_backorder_once()
    {
        var poId = Unique("PO");
        var lineId = suite.Odoo.AddPurchaseLine(poId, "STEEL-S235", 2000, new DateOnly(2026, 12, 10));
        var line = lineId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var kg = (string value) => new Quantity { Value = value, UnitOfMeasure = "KG" };
        var procurement = (string caller) => new Manufacturing.Procurement.V1.ProcurementService.ProcurementServiceClient(suite.As(caller));
        var po = (await procurement("odoo").CreatePurchaseOrderAsync(new Manufacturing.Procurement.V1.CreatePurchaseOrderRequest
        {
            Parent = "plants/P100", PurchaseOrderId = poId, Metadata = Metadata(),
            PurchaseOrder = new Manufacturing.Procurement.V1.PurchaseOrder
            {
                Vendor = "V-100200", Currency = "EUR",
                Lines = { new Manufacturing.Procurement.V1.PurchaseOrderLine { LineId = line, Material = "STEEL-S235", Quantity = kg("2000"), UnitPrice = "1.25",
                    RequestedDeliveryDate = new Google.Type.Date { Year = 2026, Month = 12, Day = 10 } } },
            },
        })).PurchaseOrder;

        await procurement("supplier").ConfirmPurchaseOrderLineAsync(new Manufacturing.Procurement.V1.ConfirmPurchaseOrderLineRequest
        {
            PurchaseOrder = po.Name, LineId = line, ConfirmedQuantity = kg("2000"), ConfirmedDeliveryDate = new Google.Type.Date { Year = 2026, Month = 12, Day = 12 }, Metadata = Metadata(),
        });
        await WaitAsync(() => suite.Odoo.PurchaseLine(lineId)["date_planned"]!.GetValue<string>() == "2026-12-12 00:00:00", "the confirmed date on the Odoo purchase line");

        var lotId = Unique("LOT");
        await procurement("warehouse").ReceiveGoodsAsync(new Manufacturing.Procurement.V1.ReceiveGoodsRequest
        {
            PurchaseOrder = po.Name, LineId = line, Quantity = kg("1500"), LotId = lotId, Location = "RECV-01", SupplierLot = "S-77", Metadata = Metadata(),
        });

        await WaitAsync(() => suite.Odoo.Receipts(poId) is [{ } first, _] && first["state"]!.GetValue<string>() == "done", "the validated receipt and its backorder in Odoo");
        var moveLine = Assert.Single(suite.Odoo.MoveLines(purchaseLine: lineId));
        Assert.Equal((1500m, lotId, true), (moveLine["quantity"]!.GetValue<decimal>(), moveLine["lot_name"]!.GetValue<string>(), moveLine["picked"]!.GetValue<bool>()));
        Assert.StartsWith($"purchase_order/P100/{poId}/", moveLine["x_mfg_event_id"]!.GetValue<string>(), StringComparison.Ordinal);
        var receipts = suite.Odoo.Receipts(poId);
        Assert.Equal(1, receipts[0]["validate_calls"]!.GetValue<int>());
        var backorder = Assert.Single(suite.Odoo.MovesOf(receipts[1]["id"]!.GetValue<long>()));
        Assert.Equal((500m, "assigned"), (backorder["product_uom_qty"]!.GetValue<decimal>(), backorder["state"]!.GetValue<string>()));
        Assert.Equal(1, suite.Odoo.PurchaseLine(lineId)["writes"]!.GetValue<int>());

        // Someone changes the planned date in Odoo afterwards: reconciliation shows our confirmed day and Odoo's.
        suite.Odoo.PurchaseLine(lineId)["date_planned"] = "2026-12-15 00:00:00";
        var drift = await ReconcileUntilAsync("odoo-test", po.Name, "confirmed_dates");
        Assert.Equal(($"{line}=2026-12-12", $"{line}=2026-12-15"), (drift.Ours, drift.Theirs));
    }

    [Fact]
    public async Task A_consumption_from_a_lot_becomes_one_picked_move_line_with_that_lot_on_the_odoo_component_move()
    {
        var orderId = Unique("WO");
        var lotId = Unique("RM");
        suite.Odoo.AddProduction(orderId, 25);
        var move = suite.Odoo.AddComponentMove(orderId, "FRAME-26", 25);
        var odooLot = suite.Odoo.AddLot(lotId, 40, "FRAME-26");
        await new InventoryService.InventoryServiceClient(suite.As("warehouse")).ReceiveLotAsync(new ReceiveLotRequest
        {
            Parent = "plants/P100", LotId = lotId, Material = "FRAME-26", Quantity = new Quantity { Value = "40", UnitOfMeasure = "EA" }, Location = "RECV-01", Metadata = Metadata(),
        });
        var order = (await Erp.ReleaseProductionOrderAsync(Release(orderId))).ProductionOrder.Name;
        var consume = new ConsumeMaterialRequest
        {
            ProductionOrder = order, Component = "FRAME-26", LotId = lotId, Quantity = new Quantity { Value = "5", UnitOfMeasure = "EA" }, Metadata = Metadata(),
        };

        await Mes.ConsumeMaterialAsync(consume);
        await Mes.ConsumeMaterialAsync(consume); // the MES repeats itself: applied once, posted once

        await WaitAsync(() => suite.Odoo.MoveLines(move).Count > 0, "the consumption in Odoo (micro-batch, every 10 s)");
        var moveLine = Assert.Single(suite.Odoo.MoveLines(move));
        Assert.Equal((5m, odooLot, true), (moveLine["quantity"]!.GetValue<decimal>(), moveLine["lot_id"]!.GetValue<long>(), moveLine["picked"]!.GetValue<bool>()));
    }

    // A sample IDoc of docs/samples/idocs with its placeholders filled.
    private static string Idoc(string name, params (string Placeholder, string Value)[] values) =>
        values.Aggregate(File.ReadAllText(Path.Combine(Repository.Root, "docs", "samples", "idocs", name)),
            (xml, v) => xml.Replace($"{{{v.Placeholder}}}", v.Value, StringComparison.Ordinal));

    private async Task<(System.Net.HttpStatusCode Status, System.Text.Json.Nodes.JsonNode? Body)> PostIdocAsync(string caller, string xml)
    {
        using var response = await suite.HttpAs(caller).PostAsync("/integration/v1/idocs", new StringContent(xml, System.Text.Encoding.UTF8, "application/xml"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : System.Text.Json.Nodes.JsonNode.Parse(text));
    }

    [Fact]
    public async Task Sap_idocs_through_the_gateway_create_a_purchase_order_once_and_a_supplier_s_desadv_notifies_its_shipment()
    {
        var poId = Unique("45");
        var docnum = Random.Shared.NextInt64(1_000_000_000, 9_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var orders = Idoc("ORDERS05.xml", ("DOCNUM", docnum), ("PO", poId), ("MESTYP", "ORDERS"), ("UNIT", "KGM"), ("WERKS", "1020"), ("VENDOR", SuiteFixture.Vendor));

        var (status, created) = await PostIdocAsync("sap", orders);
        var (againStatus, again) = await PostIdocAsync("sap", orders); // SAP re-sends the IDoc

        Assert.True(status == System.Net.HttpStatusCode.OK, $"{status}: {created?.ToJsonString()}");
        var name = $"plants/P200/purchaseOrders/{poId}";
        Assert.Equal((docnum, "ORDERS", "CreatePurchaseOrder", name, false), (created!["idocNumber"]!.GetValue<string>(), created["messageType"]!.GetValue<string>(),
            created["commands"]![0]!["command"]!.GetValue<string>(), created["commands"]![0]!["resource"]!.GetValue<string>(),
            created["commands"]![0]!["outcome"]?["duplicate"]?.GetValue<bool>() ?? false));
        Assert.Equal(System.Net.HttpStatusCode.OK, againStatus);
        Assert.True(again!["commands"]![0]!["outcome"]!["duplicate"]!.GetValue<bool>());
        var procurement = new Manufacturing.Procurement.V1.ProcurementService.ProcurementServiceClient(suite.As("sap"));
        var po = (await procurement.GetPurchaseOrderAsync(new Manufacturing.Procurement.V1.GetPurchaseOrderRequest { Name = name })).PurchaseOrder;
        var line = Assert.Single(po.Lines);
        Assert.Equal((SuiteFixture.Vendor, "EUR", "00010", "STEEL-S235", "2000", "KG", "1.25", 10), (po.Vendor, po.Currency, line.LineId, line.Material,
            line.Quantity.Value, line.Quantity.UnitOfMeasure, line.UnitPrice, line.RequestedDeliveryDate.Day));

        // The supplier's shipment notice, as a DESADV: applied with the supplier's identity. SAP may not send one (the supplier owns notices).
        var desadv = Idoc("DESADV.xml", ("DOCNUM", docnum + "1"), ("PO", poId), ("WERKS", "1020"));
        var (sapStatus, sapRefusal) = await PostIdocAsync("sap", desadv);
        var (noticeStatus, notified) = await PostIdocAsync("supplier", desadv);

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, sapStatus);
        Assert.Contains("the owner is supplier", sapRefusal!.ToJsonString(), StringComparison.Ordinal);
        Assert.True(noticeStatus == System.Net.HttpStatusCode.OK, $"{noticeStatus}: {notified?.ToJsonString()}");
        var notice = Assert.Single((await procurement.GetPurchaseOrderAsync(new Manufacturing.Procurement.V1.GetPurchaseOrderRequest { Name = name })).PurchaseOrder.ShipmentNotices);
        Assert.Equal(("0180000123", "00010", "1500", "S-77"), (notice.NoticeId, notice.Lines[0].LineId, notice.Lines[0].Quantity.Value, notice.Lines[0].SupplierLot));
    }

    [Fact]
    public async Task An_idoc_that_cannot_be_taken_is_refused_with_the_segment_and_field_and_changes_nothing()
    {
        var poId = Unique("45");
        var badUnit = Idoc("ORDERS05.xml", ("DOCNUM", "1"), ("PO", poId), ("MESTYP", "ORDERS"), ("UNIT", "XYZ"), ("WERKS", "1020"), ("VENDOR", SuiteFixture.Vendor));
        var unmapped = Idoc("ORDERS05.xml", ("DOCNUM", "2"), ("PO", poId), ("MESTYP", "ORDERS"), ("UNIT", "KGM"), ("WERKS", "9999"), ("VENDOR", SuiteFixture.Vendor));

        foreach (var (xml, field) in new[] { (badUnit, "idoc.E1EDP01[1]/MENEE"), (unmapped, "idoc.E1EDP01[1]/WERKS"), ("<ORDERS05><IDOC>", "idoc.(document)") })
        {
            var (status, body) = await PostIdocAsync("sap", xml);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, status);
            Assert.Contains(field, body!.ToJsonString(), StringComparison.Ordinal);
        }

        // A well-formed order from a caller that does not own purchase orders: procurement refuses it, as it would refuse the caller directly.
        var valid = Idoc("ORDERS05.xml", ("DOCNUM", "3"), ("PO", poId), ("MESTYP", "ORDERS"), ("UNIT", "KGM"), ("WERKS", "1020"), ("VENDOR", SuiteFixture.Vendor));
        var denied = await PostIdocAsync("odoo", valid);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, denied.Status);
        Assert.Contains("the owner is sap", denied.Body!.ToJsonString(), StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<RpcException>(() => new Manufacturing.Procurement.V1.ProcurementService.ProcurementServiceClient(suite.As("sap"))
            .GetPurchaseOrderAsync(new Manufacturing.Procurement.V1.GetPurchaseOrderRequest { Name = $"plants/P200/purchaseOrders/{poId}" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task The_business_event_and_its_deliveries_carry_the_trace_of_the_command_that_caused_it()
    {
        var orderId = Unique("WO");
        var traceId = System.Diagnostics.ActivityTraceId.CreateRandom().ToHexString();
        var headers = new Grpc.Core.Metadata { { "traceparent", $"00-{traceId}-{System.Diagnostics.ActivitySpanId.CreateRandom().ToHexString()}-01" } };

        suite.Odoo.AddProduction(orderId, 25);
        var order = (await Erp.ReleaseProductionOrderAsync(Release(orderId))).ProductionOrder.Name;
        await CompleteAsync(order, "0010", "25", "0");
        await Mes.StartOperationAsync(new StartOperationRequest { ProductionOrder = order, OperationId = "0020", Metadata = Metadata() });
        await Mes.CompleteOperationAsync(new CompleteOperationRequest
        {
            ProductionOrder = order, OperationId = "0020", Metadata = Metadata(),
            GoodQuantity = new Quantity { Value = "25", UnitOfMeasure = "EA" }, ScrapQuantity = new Quantity { Value = "0", UnitOfMeasure = "EA" },
        }, headers);

        // The projector writes the event log a moment after the command returns; the router routes it after that.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string logged = "", delivered = "";
        while (logged.Length == 0 || delivered.Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the completion of {orderId} was not logged and routed with a trace within 60 s (log '{logged}', delivery '{delivered}')");
            await Task.Delay(100);
            await using var connection = new Npgsql.NpgsqlConnection(suite.ConnectionString);
            await connection.OpenAsync();
            await using var query = new Npgsql.NpgsqlCommand("""
                SELECT e.trace_parent, coalesce((SELECT d.trace_parent FROM mfg_deliveries d WHERE d.event_id = e.event_id LIMIT 1), '')
                FROM mfg_integration_events e WHERE e.aggregate_key = @key AND e.event_type = 'OperationCompleted' AND e.data->>'operation_id' = '0020'
                """, connection);
            query.Parameters.AddWithValue("key", $"P100/{orderId}");
            await using var reader = await query.ExecuteReaderAsync();
            if (await reader.ReadAsync())
            {
                (logged, delivered) = (reader.GetString(0), reader.GetString(1));
            }
        }

        Assert.Equal(traceId, logged.Split('-')[1]);
        Assert.Equal(logged, delivered);
    }
}
