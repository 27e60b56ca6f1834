using System.Net;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.Procurement.V1;
using Manufacturing.ShopFloor.V1;
using Manufacturing.TokenTool;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>
/// Attacks through the real gateway and directly against a service: each is refused with the exact
/// status and reason, and nothing it tried to change changed.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class SecurityTests(SuiteFixture suite)
{
    /// <summary>What the attacks aim at: a P100 order, a P200 order and a P200 purchase order of vendor V-100200.</summary>
    private sealed record World(ProductionOrder P100Order, ProductionOrder P200Order, PurchaseOrder P200PurchaseOrder);

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static World? _world;

    private async Task<World> ArrangeAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_world is not null)
            {
                return _world;
            }

            var p100 = (await new ShopFloorService.ShopFloorServiceClient(suite.As("odoo")).ReleaseProductionOrderAsync(Release(Unique("WO")))).ProductionOrder;
            var release = Release(Unique("WO"));
            release.Parent = "plants/P200";
            var p200 = (await new ShopFloorService.ShopFloorServiceClient(suite.As("sap")).ReleaseProductionOrderAsync(release)).ProductionOrder;
            var po = (await new ProcurementService.ProcurementServiceClient(suite.As("sap")).CreatePurchaseOrderAsync(new CreatePurchaseOrderRequest
            {
                Parent = "plants/P200",
                PurchaseOrderId = Unique("45"),
                PurchaseOrder = new PurchaseOrder
                {
                    Vendor = SuiteFixture.Vendor,
                    Currency = "EUR",
                    Lines = { new PurchaseOrderLine { LineId = "00010", Material = "STEEL-S235", Quantity = Kg("100"), UnitPrice = "1.25", RequestedDeliveryDate = new Google.Type.Date { Year = 2026, Month = 12, Day = 10 } } },
                },
                Metadata = Metadata(),
            })).PurchaseOrder;
            return _world = new World(p100, p200, po);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static Manufacturing.Common.V1.Quantity Kg(string value) => new() { Value = value, UnitOfMeasure = "KG" };

    private ShopFloorService.ShopFloorServiceClient ShopFloor(CallInvoker invoker) => new(invoker);

    private CallInvoker WithToken(string token) => SuiteFixture.Bearer(suite.Gateway, token);

    private string Mint(TokenRequest request) => suite.Tokens.Mint(request);

    private static string Base64Url(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Payload(string client, string scope = "read write") =>
        $$"""{"iss":"{{DevelopmentKeys.Issuer}}","aud":"{{DevelopmentKeys.Audience}}","client_id":"{{client}}","scope":"{{scope}}","exp":{{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}},"nbf":{{DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds()}}}""";

    /// <summary>Starting an operation on an order: the write most attacks try.</summary>
    private static StartOperationRequest Start(ProductionOrder order) => new() { ProductionOrder = order.Name, OperationId = "0010", Metadata = Metadata() };

    public static TheoryData<string> GrpcAttacks() =>
    [
        "no token", "expired token", "token not yet valid", "wrong issuer", "wrong audience", "bad signature", "alg none", "tampered payload",
        "garbage token", "basic credentials", "unknown client", "controlplane client", "read scope writes", "write scope reads",
        "resolve without review scope", "sre sends a command", "mes crosses plant in body", "mes releases into another plant",
        "edge consumes in another plant", "spoofed source header", "odoo changes sap purchase order", "supplier confirms another vendors order",
        "supplier reads another vendors order", "supplier lists purchase orders", "supplier calls shop floor", "oversized message",
        "direct to service without token", "direct to service with bad signature", "direct to service crossing plant",
    ];

    [Theory]
    [MemberData(nameof(GrpcAttacks))]
    public async Task Grpc_attack_is_refused_and_changes_nothing(string attack)
    {
        var world = await ArrangeAsync();
        var otherVendorPo = await OtherVendorPurchaseOrderAsync();
        var before = await ReadAllAsync(world, otherVendorPo);
        var (call, expected, reason) = Attack(attack, world, otherVendorPo);
        var started = DateTime.UtcNow;

        var error = await Assert.ThrowsAsync<RpcException>(call);

        Assert.Equal(expected, error.StatusCode);
        if (reason is not null)
        {
            Assert.Equal(reason, error.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
        }

        Assert.Equal(before, await ReadAllAsync(world, otherVendorPo));
        await AssertAuditedAsync(started, expected);
    }

    /// <summary>Waits (at most 15 s) for the refusal's record in the audit trail, read as sre through the gateway.</summary>
    private async Task AssertAuditedAsync(DateTime since, StatusCode status)
    {
        var name = string.Concat(status.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? $"_{c}" : $"{char.ToUpperInvariant(c)}"));
        var audit = new Manufacturing.Governance.V1.AuditService.AuditServiceClient(suite.As("sre", "read"));
        var found = await Eventually(() => audit.ListAuditRecordsAsync(new Manufacturing.Governance.V1.ListAuditRecordsRequest
        {
            StartTime = Timestamp.FromDateTime(since), PageSize = 500,
        }).ResponseAsync, r => r.Records.Any(a => a.Outcome == "REFUSED" && a.Status == name));
        Assert.Contains(found.Records, a => a.Outcome == "REFUSED" && a.Status == name && a.Reason.Length > 0 && a.Rpc.Length > 0);
    }

    private (Func<Task> Call, StatusCode Expected, string? Reason) Attack(string attack, World world, PurchaseOrder otherVendorPo)
    {
        var start = Start(world.P100Order);
        Func<Task> StartWith(CallInvoker invoker) => () => ShopFloor(invoker).StartOperationAsync(start).ResponseAsync;
        var direct = GrpcChannel.ForAddress(suite.HostGrpc("shop-floor"));
        var valid = suite.Token("mes");
        var signature = valid.Split('.')[2];
        return attack switch
        {
            "no token" => (StartWith(suite.Gateway.CreateCallInvoker()), StatusCode.Unauthenticated, "UNAUTHENTICATED"),
            "expired token" => (StartWith(WithToken(Mint(new TokenRequest { Client = "mes:P100", NotBefore = DateTimeOffset.UtcNow.AddHours(-3), Lifetime = TimeSpan.FromHours(1) }))), StatusCode.Unauthenticated, "UNAUTHENTICATED"),
            "token not yet valid" => (StartWith(WithToken(Mint(new TokenRequest { Client = "mes:P100", NotBefore = DateTimeOffset.UtcNow.AddHours(1) }))), StatusCode.Unauthenticated, "UNAUTHENTICATED"),
            "wrong issuer" => (StartWith(WithToken(Mint(new TokenRequest { Client = "mes:P100", Issuer = "https://evil.example" }))), StatusCode.Unauthenticated, "UNAUTHENTICATED"),
            "wrong audience" => (StartWith(WithToken(Mint(new TokenRequest { Client = "mes:P100", Audience = "another-api" }))), StatusCode.Unauthenticated, "UNAUTHENTICATED"),
            "bad signature" => (StartWith(WithToken(ForeignKey().Mint(new TokenRequest { Client = "mes:P100" }))), StatusCode.Unauthenticated, "UNAUTHENTICATED"),
            "alg none" => (StartWith(WithToken($"{Base64Url("""{"alg":"none","typ":"JWT"}""")}.{Base64Url(Payload("mes:P100"))}.")), StatusCode.Unauthenticated, "UNAUTHENTICATED"),
            "tampered payload" => (StartWith(WithToken($"{valid.Split('.')[0]}.{Base64Url(Payload("sap"))}.{signature}")), StatusCode.Unauthenticated, "UNAUTHENTICATED"),
            "garbage token" => (StartWith(WithToken("not-a-jwt")), StatusCode.Unauthenticated, "UNAUTHENTICATED"),
            "basic credentials" => (StartWith(suite.Gateway.Intercept(m => { m.Add("authorization", "Basic b2RvbzpvZG9v"); return m; })), StatusCode.Unauthenticated, "UNAUTHENTICATED"),
            "unknown client" => (StartWith(suite.As("excel")), StatusCode.PermissionDenied, "NOT_PERMITTED"),
            "controlplane client" => (StartWith(suite.As("controlplane")), StatusCode.PermissionDenied, "NOT_PERMITTED"),
            "read scope writes" => (StartWith(suite.As("mes", "read")), StatusCode.PermissionDenied, "SCOPE_MISSING"),
            "write scope reads" => (() => ShopFloor(suite.As("mes", "write")).GetProductionOrderAsync(new GetProductionOrderRequest { Name = world.P100Order.Name }).ResponseAsync,
                StatusCode.PermissionDenied, "SCOPE_MISSING"),
            "resolve without review scope" => (() => ShopFloor(suite.As("odoo")).ResolveProductionOrderExceptionAsync(new ResolveProductionOrderExceptionRequest
            {
                Name = $"{world.P100Order.Name}/exceptions/1", Resolution = Manufacturing.Common.V1.ExceptionResolution.Approve, Reviewer = "odoo", Metadata = Metadata(),
            }).ResponseAsync, StatusCode.PermissionDenied, "SCOPE_MISSING"),
            "sre sends a command" => (StartWith(suite.As("sre", "read", "write", "admin")), StatusCode.PermissionDenied, "NOT_PERMITTED"),
            "mes crosses plant in body" => (() => ShopFloor(suite.As("mes")).StartOperationAsync(Start(world.P200Order)).ResponseAsync, StatusCode.PermissionDenied, "OTHER_PLANT"),
            "mes releases into another plant" => (() =>
            {
                var release = Release(Unique("WO"));
                release.Parent = "plants/P200";
                return ShopFloor(suite.As("mes")).ReleaseProductionOrderAsync(release).ResponseAsync;
            }, StatusCode.PermissionDenied, "OTHER_PLANT"),
            "edge consumes in another plant" => (() => ShopFloor(suite.As("edge:P100")).ConsumeMaterialAsync(new ConsumeMaterialRequest
            {
                ProductionOrder = world.P200Order.Name, Component = "FRAME-26", LotId = "LOT-1", Quantity = Kg("1"), Metadata = Metadata(),
            }).ResponseAsync, StatusCode.PermissionDenied, "OTHER_PLANT"),
            "spoofed source header" => (() => new ProcurementService.ProcurementServiceClient(suite.As("odoo")).ChangePurchaseOrderAsync(
                ChangeLine(world.P200PurchaseOrder), new Metadata { { "x-mfg-source-system", "sap" }, { "x-mfg-client", "sap" } }).ResponseAsync,
                StatusCode.PermissionDenied, "NOT_PERMITTED"),
            "odoo changes sap purchase order" => (() => new ProcurementService.ProcurementServiceClient(suite.As("odoo")).ChangePurchaseOrderAsync(ChangeLine(world.P200PurchaseOrder)).ResponseAsync,
                StatusCode.PermissionDenied, "NOT_PERMITTED"),
            "supplier confirms another vendors order" => (() => new ProcurementService.ProcurementServiceClient(suite.As("supplier:V-999999")).ConfirmPurchaseOrderLineAsync(new ConfirmPurchaseOrderLineRequest
            {
                PurchaseOrder = world.P200PurchaseOrder.Name, LineId = "00010", ConfirmedQuantity = Kg("100"),
                ConfirmedDeliveryDate = new Google.Type.Date { Year = 2026, Month = 12, Day = 10 }, Metadata = Metadata(),
            }).ResponseAsync, StatusCode.PermissionDenied, "NOT_PERMITTED"),
            "supplier reads another vendors order" => (() => new ProcurementService.ProcurementServiceClient(suite.As("supplier")).GetPurchaseOrderAsync(
                new GetPurchaseOrderRequest { Name = otherVendorPo.Name }).ResponseAsync, StatusCode.PermissionDenied, "NOT_PERMITTED"),
            "supplier lists purchase orders" => (() => new ProcurementService.ProcurementServiceClient(suite.As("supplier")).ListPurchaseOrdersAsync(
                new ListPurchaseOrdersRequest { Parent = "plants/P200" }).ResponseAsync, StatusCode.PermissionDenied, "NOT_PERMITTED"),
            "supplier calls shop floor" => (() => ShopFloor(suite.As("supplier")).GetProductionOrderAsync(new GetProductionOrderRequest { Name = world.P200Order.Name }).ResponseAsync,
                StatusCode.PermissionDenied, "SCOPE_MISSING"),
            "oversized message" => (() =>
            {
                var release = Release(Unique("WO"));
                release.ProductionOrder.Product = new string('X', 2 * 1024 * 1024);
                return ShopFloor(suite.As("odoo")).ReleaseProductionOrderAsync(release).ResponseAsync;
            }, StatusCode.ResourceExhausted, null),
            "direct to service without token" => (StartWith(direct.CreateCallInvoker()), StatusCode.Unauthenticated, "UNAUTHENTICATED"),
            "direct to service with bad signature" => (StartWith(SuiteFixture.Bearer(direct, ForeignKey().Mint(new TokenRequest { Client = "mes:P100" }))), StatusCode.Unauthenticated, "UNAUTHENTICATED"),
            "direct to service crossing plant" => (() => ShopFloor(SuiteFixture.Bearer(direct, suite.Token("mes"))).StartOperationAsync(Start(world.P200Order)).ResponseAsync,
                StatusCode.PermissionDenied, "OTHER_PLANT"),
            _ => throw new ArgumentOutOfRangeException(nameof(attack), attack, "no such attack"),
        };
    }

    private static TokenMinter ForeignKey() => TokenMinter.CreateRandom();

    private static ChangePurchaseOrderRequest ChangeLine(PurchaseOrder order) => new()
    {
        Name = order.Name,
        Lines = { new PurchaseOrderLine { LineId = "00010", Material = "STEEL-S235", Quantity = Kg("90"), UnitPrice = "0.01", RequestedDeliveryDate = new Google.Type.Date { Year = 2026, Month = 12, Day = 10 } } },
        Metadata = Metadata(),
    };

    private static PurchaseOrder? _otherVendorPo;

    private async Task<PurchaseOrder> OtherVendorPurchaseOrderAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _otherVendorPo ??= (await new ProcurementService.ProcurementServiceClient(suite.As("sap")).CreatePurchaseOrderAsync(new CreatePurchaseOrderRequest
            {
                Parent = "plants/P200",
                PurchaseOrderId = Unique("46"),
                PurchaseOrder = new PurchaseOrder
                {
                    Vendor = "V-555555",
                    Currency = "EUR",
                    Lines = { new PurchaseOrderLine { LineId = "00010", Material = "STEEL-S235", Quantity = Kg("5"), UnitPrice = "9.75", RequestedDeliveryDate = new Google.Type.Date { Year = 2026, Month = 12, Day = 10 } } },
                },
                Metadata = Metadata(),
            })).PurchaseOrder;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The versions of everything an attack could touch, read by privileged callers.</summary>
    private async Task<string> ReadAllAsync(World world, PurchaseOrder otherVendorPo)
    {
        var shopFloor = ShopFloor(suite.As("sre", "read"));
        var procurement = new ProcurementService.ProcurementServiceClient(suite.As("sre", "read"));
        var p100 = (await shopFloor.GetProductionOrderAsync(new GetProductionOrderRequest { Name = world.P100Order.Name })).ProductionOrder;
        var p200 = (await shopFloor.GetProductionOrderAsync(new GetProductionOrderRequest { Name = world.P200Order.Name })).ProductionOrder;
        var po = (await procurement.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = world.P200PurchaseOrder.Name })).PurchaseOrder;
        var other = (await procurement.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = otherVendorPo.Name })).PurchaseOrder;
        var p200Orders = await shopFloor.ListProductionOrdersAsync(new ListProductionOrdersRequest { Parent = "plants/P200", PageSize = 500 });
        return $"{p100.Version}/{p100.State}|{p200.Version}/{p200.State}|{po.Version}|{other.Version}|{p200Orders.ProductionOrders.Count(o => o.Product.Length > 64)}";
    }

    public static TheoryData<string, string, HttpStatusCode, string> RestAttacks() => new()
    {
        { "no token", "", HttpStatusCode.Unauthorized, "UNAUTHENTICATED" },
        { "read scope posts", "read", HttpStatusCode.Forbidden, "SCOPE_MISSING" },
        { "mes reads another plant in the path", "mes", HttpStatusCode.Forbidden, "OTHER_PLANT" },
        { "oversized body", "odoo", HttpStatusCode.RequestEntityTooLarge, "TOO_LARGE" },
    };

    [Theory]
    [MemberData(nameof(RestAttacks))]
    public async Task Rest_attack_is_refused_with_the_http_status_and_a_google_rpc_body(string attack, string who, HttpStatusCode expected, string reason)
    {
        var world = await ArrangeAsync();
        var before = await ReadAllAsync(world, await OtherVendorPurchaseOrderAsync());
        var started = DateTime.UtcNow;
        using var http = new HttpClient { BaseAddress = suite.GatewayHttp.BaseAddress };
        if (who.Length > 0)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", who == "read" ? suite.Token("mes", "read") : suite.Token(who));
        }

        using var response = attack switch
        {
            "mes reads another plant in the path" => await http.GetAsync($"/shop-floor/v1/{world.P200Order.Name}"),
            "oversized body" => await http.PostAsync("/shop-floor/v1/plants/P100/productionOrders:release",
                new StringContent($$$"""{"productionOrderId":"WO-BIG","productionOrder":{"product":"{{{new string('X', 2 * 1024 * 1024)}}}"}}""", Encoding.UTF8, "application/json")),
            _ => await http.PostAsync($"/shop-floor/v1/{world.P100Order.Name}:startOperation",
                new StringContent($$$"""{"operationId":"0010","metadata":{"messageId":"{{{Unique("m")}}}","occurredAt":"2026-11-23T08:00:00Z"}}""", Encoding.UTF8, "application/json")),
        };

        Assert.Equal(expected, response.StatusCode);
        var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(reason, body.GetProperty("details")[0].GetProperty("reason").GetString());
        if (expected == HttpStatusCode.Unauthorized)
        {
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        }

        Assert.Equal(before, await ReadAllAsync(world, await OtherVendorPurchaseOrderAsync()));
        await AssertAuditedAsync(started, expected switch
        {
            HttpStatusCode.Unauthorized => StatusCode.Unauthenticated,
            HttpStatusCode.Forbidden => StatusCode.PermissionDenied,
            _ => StatusCode.ResourceExhausted,
        });
    }

    [Fact]
    public async Task A_flood_beyond_the_rate_limit_gets_resource_exhausted_with_retry_after()
    {
        // The suite gives edge clients a bucket of 5 calls per minute; at most 20 calls are made.
        var started = DateTime.UtcNow;
        var client = ShopFloor(suite.As("edge:P777", "read"));
        RpcException? limited = null;
        for (var i = 0; i < 20 && limited is null; i++)
        {
            try
            {
                await client.GetProductionOrderAsync(new GetProductionOrderRequest { Name = $"plants/P777/productionOrders/WO-{i}" });
            }
            catch (RpcException e)
            {
                limited = e.StatusCode == StatusCode.NotFound ? null : e;
            }
        }

        Assert.NotNull(limited);
        Assert.Equal(StatusCode.ResourceExhausted, limited.StatusCode);
        var status = limited.GetRpcStatus()!;
        Assert.Equal("RATE_LIMITED", status.GetDetail<ErrorInfo>().Reason);
        Assert.True(status.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan() > TimeSpan.Zero);
        Assert.NotNull(limited.Trailers.GetValue("retry-after"));
        await AssertAuditedAsync(started, StatusCode.ResourceExhausted);
    }

    /// <summary>Opens a plant event stream and waits until the service answers an empty message on it (the stream is admitted end to end).</summary>
    private static async Task<AsyncDuplexStreamingCall<StreamPlantEventsRequest, StreamPlantEventsResponse>> OpenStreamAsync(
        ShopFloorService.ShopFloorServiceClient client, string plant, CancellationToken cancellationToken)
    {
        var call = client.StreamPlantEvents(cancellationToken: cancellationToken);
        try
        {
            await call.RequestStream.WriteAsync(new StreamPlantEventsRequest { Source = $"plants/{plant}/sources/flood" }, cancellationToken);
        }
        catch (RpcException)
        {
            // A refused call may be closed before the message is written; its status is read below.
        }
        catch (InvalidOperationException)
        {
            // Likewise (the call has already completed).
        }

        try
        {
            Assert.True(await call.ResponseStream.MoveNext(cancellationToken));
            return call;
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    [Fact]
    public async Task A_stream_flood_beyond_the_plant_limit_gets_resource_exhausted_and_leaves_other_plants_alone()
    {
        // The suite allows 3 open streams per plant; at most 5 streams are opened, within 60 s.
        var started = DateTime.UtcNow;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var flooder = ShopFloor(suite.As("mes:P778"));
        var open = new List<AsyncDuplexStreamingCall<StreamPlantEventsRequest, StreamPlantEventsResponse>>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                open.Add(await OpenStreamAsync(flooder, "P778", deadline.Token));
            }

            var refused = await Assert.ThrowsAsync<RpcException>(() => OpenStreamAsync(flooder, "P778", deadline.Token));
            Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
            Assert.Equal("TOO_MANY_STREAMS", refused.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
            Assert.NotNull(refused.Trailers.GetValue("retry-after"));

            // Another plant is not affected by P778's streams.
            using (await OpenStreamAsync(ShopFloor(suite.As("mes")), "P100", deadline.Token))
            {
            }

            // Closing one of P778's streams frees its slot (once the gateway has seen it end).
            await open[0].RequestStream.CompleteAsync();
            while (await open[0].ResponseStream.MoveNext(deadline.Token))
            {
            }

            open[0].Dispose();
            open.RemoveAt(0);
            var admitted = await Eventually(async () =>
            {
                try
                {
                    open.Add(await OpenStreamAsync(flooder, "P778", deadline.Token));
                    return true;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    return false;
                }
            }, ok => ok);
            Assert.True(admitted);
            await AssertAuditedAsync(started, StatusCode.ResourceExhausted);
        }
        finally
        {
            foreach (var call in open)
            {
                call.Dispose();
            }
        }
    }

    [Fact]
    public async Task Accepted_commands_are_audited_with_identity_source_and_message_id_and_readable_by_reviewers_only()
    {
        var request = Release(Unique("WO"));
        await ShopFloor(suite.As("odoo")).ReleaseProductionOrderAsync(request);
        var name = $"plants/P100/productionOrders/{request.ProductionOrderId}";

        var reviewer = new Manufacturing.Governance.V1.AuditService.AuditServiceClient(suite.As("reviewer"));
        var records = await Eventually(() => reviewer.ListAuditRecordsAsync(new Manufacturing.Governance.V1.ListAuditRecordsRequest { Resource = name }).ResponseAsync,
            r => r.Records.Count > 0);
        var denied = await Assert.ThrowsAsync<RpcException>(() => new Manufacturing.Governance.V1.AuditService.AuditServiceClient(suite.As("mes"))
            .ListAuditRecordsAsync(new Manufacturing.Governance.V1.ListAuditRecordsRequest { Resource = name }).ResponseAsync);

        var record = Assert.Single(records.Records);
        Assert.Equal(("shop-floor", "odoo", "odoo", request.Metadata.MessageId, "ACCEPTED", "OK"),
            (record.Component, record.Identity, record.SourceSystem, record.MessageId, record.Outcome, record.Status));
        Assert.Equal("/manufacturing.shop_floor.v1.ShopFloorService/ReleaseProductionOrder", record.Rpc);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [Fact]
    public async Task The_audit_table_refuses_updates_and_deletes()
    {
        await using var connection = new Npgsql.NpgsqlConnection(suite.ConnectionString);
        await connection.OpenAsync();

        foreach (var sql in new[] { "UPDATE mfg_audit_records SET outcome = 'ACCEPTED'", "DELETE FROM mfg_audit_records", "TRUNCATE mfg_audit_records" })
        {
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
        }
    }
}
