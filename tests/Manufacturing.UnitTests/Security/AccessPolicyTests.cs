using System.Security.Claims;
using Manufacturing.Domain;
using Manufacturing.ServiceDefaults.Security;
using Manufacturing.ShopFloor.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace Manufacturing.UnitTests.Security;

public sealed class AccessPolicyTests
{
    [Theory]
    [InlineData("sap", ClientKind.Sap, SourceSystem.Sap, null)]
    [InlineData("odoo", ClientKind.Odoo, SourceSystem.Odoo, null)]
    [InlineData("mes:P100", ClientKind.Mes, SourceSystem.Mes, "P100")]
    [InlineData("edge:P200", ClientKind.Edge, SourceSystem.Mes, "P200")]
    [InlineData("supplier:V-100200", ClientKind.Supplier, SourceSystem.Supplier, null)]
    [InlineData("service:quality", ClientKind.Service, SourceSystem.Quality, null)]
    [InlineData("service:warehouse", ClientKind.Service, SourceSystem.Warehouse, null)]
    [InlineData("service:buyer-portal", ClientKind.Service, SourceSystem.Unspecified, null)]
    [InlineData("sre", ClientKind.Sre, SourceSystem.Unspecified, null)]
    public void Client_names_map_to_kind_source_and_plant(string client, ClientKind kind, SourceSystem source, string? plant)
    {
        var identity = CallerIdentity.Parse(client, ["read", "write", "superuser"])!;

        Assert.Equal((kind, source, plant), (identity.Kind, identity.Source, identity.Plant));
        Assert.Equal(["read", "write"], identity.Scopes.Order());
    }

    [Theory]
    [InlineData("")]
    [InlineData("excel")]
    [InlineData("controlplane")]
    [InlineData("reviewer")]
    [InlineData("mes")]
    [InlineData("mes:")]
    [InlineData("mes:P100/../P200")]
    [InlineData("SAP")]
    [InlineData("service:Quality")]
    [InlineData("sap ")]
    public void Anything_else_is_no_client(string client) => Assert.Null(CallerIdentity.Parse(client, ["read"]));

    [Fact]
    public void A_principal_names_its_client_by_client_id_or_a_mapped_issuer_id_and_scopes_by_scope_scp_or_roles()
    {
        var keycloak = new ClaimsPrincipal(new ClaimsIdentity([new Claim("client_id", "mes:P100"), new Claim("scope", "profile read write")]));
        var entra = new ClaimsPrincipal(new ClaimsIdentity([new Claim("azp", "3f2a-guid"), new Claim("roles", "read"), new Claim("roles", "review")]));

        var mes = CallerIdentity.FromPrincipal(keycloak, new Dictionary<string, string>())!;
        var portal = CallerIdentity.FromPrincipal(entra, new Dictionary<string, string> { ["3f2a-guid"] = "service:buyer-portal" })!;

        Assert.Equal(("mes:P100", 2), (mes.Client, mes.Scopes.Count));
        Assert.Equal("service:buyer-portal", portal.Client);
        Assert.True(portal.Has(Scopes.Review));
        Assert.Null(CallerIdentity.FromPrincipal(entra, new Dictionary<string, string>()));
    }

    [Theory]
    [InlineData("/grpc.health.v1.Health/Check", Access.Anonymous)]
    [InlineData("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", Access.Authenticated)]
    [InlineData("/manufacturing.shop_floor.v1.ShopFloorService/GetProductionOrder", Access.Read)]
    [InlineData("/manufacturing.shop_floor.v1.ShopFloorService/ListProductionOrderExceptions", Access.Read)]
    [InlineData("/manufacturing.inventory.v1.InventoryService/TraceLot", Access.Read)]
    [InlineData("/manufacturing.shop_floor.v1.ShopFloorService/StartOperation", Access.Write)]
    [InlineData("/manufacturing.procurement.v1.ProcurementService/ResolvePurchaseOrderException", Access.Review)]
    [InlineData("/manufacturing.governance.v1.AuditService/ListAuditRecords", Access.Audit)]
    [InlineData("/manufacturing.integration.v1.IntegrationService/ListDrifts", Access.Audit)]
    [InlineData("/manufacturing.integration.v1.IntegrationService/ReconcileConnector", Access.Audit)]
    [InlineData("/manufacturing.integration.v1.IntegrationService/ReceiveIdoc", Access.Write)]
    [InlineData("/manufacturing.integration.v1.IntegrationService/NotifyConnector", Access.Anonymous)]
    [InlineData("/manufacturing.integration.v1.IntegrationService/PollConnector", Access.Audit)]
    public void Rpcs_need_what_their_name_says(string method, Access access) => Assert.Equal(access, AccessPolicy.ForRpc(method));

    [Theory]
    [InlineData("GET", "/shop-floor/v1/plants/P100/productionOrders/WO-1", Access.Read)]
    [InlineData("POST", "/shop-floor/v1/plants/P100/productionOrders:release", Access.Write)]
    [InlineData("POST", "/procurement/v1/plants/P200/purchaseOrders/45/exceptions/1:resolve", Access.Review)]
    [InlineData("DELETE", "/inventory/v1/plants/P100/lots/L-1", Access.Write)]
    [InlineData("GET", "/governance/v1/auditRecords", Access.Audit)]
    [InlineData("POST", "/integration/v1/idocs", Access.Write)]
    [InlineData("GET", "/integration/v1/idocs", Access.Audit)]
    [InlineData("POST", "/integration/v1/connectors/odoo-main:reconcile", Access.Audit)]
    [InlineData("POST", "/integration/v1/connectors/odoo-main:poll", Access.Audit)]
    [InlineData("POST", "/integration/v1/connectors/odoo-main:notify", Access.Anonymous)]
    [InlineData("GET", "/integration/v1/connectors/odoo-main:notify", Access.Audit)]
    [InlineData("POST", "/integration/v1/connectors/a/b:notify", Access.Audit)]
    [InlineData("POST", "/integration/v1/connectors/:notify", Access.Audit)]
    public void Rest_calls_need_what_their_method_and_path_say(string method, string path, Access access) =>
        Assert.Equal(access, AccessPolicy.ForRest(method, path));

    [Fact]
    public void Scopes_and_the_supplier_fence_decide_who_may_call()
    {
        var readOnly = CallerIdentity.Parse("odoo", ["read"])!;
        var reviewer = CallerIdentity.Parse("service:buyer-portal", ["read", "review"])!;
        var sre = CallerIdentity.Parse("sre", ["read"])!;
        var supplier = CallerIdentity.Parse("supplier:V-1", ["read", "write"])!;

        Assert.Null(AccessPolicy.Refusal(readOnly, Access.Read));
        Assert.Contains("'write'", AccessPolicy.Refusal(readOnly, Access.Write), StringComparison.Ordinal);
        Assert.Contains("'review'", AccessPolicy.Refusal(readOnly, Access.Review), StringComparison.Ordinal);
        Assert.Null(AccessPolicy.Refusal(reviewer, Access.Review));
        Assert.Null(AccessPolicy.Refusal(reviewer, Access.Audit));
        Assert.Null(AccessPolicy.Refusal(sre, Access.Audit));
        Assert.NotNull(AccessPolicy.Refusal(readOnly, Access.Audit));
        Assert.Null(AccessPolicy.Refusal(supplier, Access.Write, "/manufacturing.procurement.v1.ProcurementService/ConfirmPurchaseOrderLine"));
        Assert.Null(AccessPolicy.Refusal(supplier, Access.Read, "/procurement/v1/plants/P200/purchaseOrders/45"));
        Assert.Contains("only the procurement service", AccessPolicy.Refusal(supplier, Access.Read, "/manufacturing.inventory.v1.InventoryService/GetLot"), StringComparison.Ordinal);
        Assert.NotNull(AccessPolicy.Refusal(supplier, Access.Read, "/shop-floor/v1/plants/P200/productionOrders/WO-1"));
        Assert.Null(AccessPolicy.Refusal(supplier, Access.Write, "/integration/v1/idocs"));
        Assert.Null(AccessPolicy.Refusal(supplier, Access.Write, "/manufacturing.integration.v1.IntegrationService/ReceiveIdoc"));
        Assert.NotNull(AccessPolicy.Refusal(supplier, Access.Audit, "/manufacturing.integration.v1.IntegrationService/ListDrifts"));
    }

    [Fact]
    public void A_fenced_caller_may_name_only_its_plant_in_a_path_or_anywhere_in_a_message()
    {
        var mes = CallerIdentity.Parse("mes:P100", ["read", "write"])!;
        var sap = CallerIdentity.Parse("sap", ["read", "write"])!;
        var release = new ReleaseProductionOrderRequest { Parent = "plants/P100", ProductionOrder = new ProductionOrder { Name = "plants/P200/productionOrders/X" } };
        var own = new StartOperationRequest { ProductionOrder = "plants/P100/productionOrders/WO-1" };
        var none = new StartOperationRequest { ProductionOrder = "" };
        var consumptions = new ProductionOrder { Name = "plants/P100/productionOrders/WO-1" };
        consumptions.Consumptions.Add(new MaterialConsumption { Lot = "plants/P300/lots/L-1" });

        Assert.Null(Tenancy.PathRefusal(mes, "/shop-floor/v1/plants/P100/productionOrders/WO-1"));
        Assert.Contains("plants/P200", Tenancy.PathRefusal(mes, "/shop-floor/v1/plants/P200/productionOrders/WO-1"), StringComparison.Ordinal);
        Assert.Null(Tenancy.MessageRefusal(mes, own));
        Assert.Contains("'production_order.name' names plants/P200", Tenancy.MessageRefusal(mes, release), StringComparison.Ordinal);
        Assert.Contains("names no plant", Tenancy.MessageRefusal(mes, none), StringComparison.Ordinal);
        Assert.Contains("'consumptions.lot' names plants/P300", Tenancy.MessageRefusal(mes, consumptions), StringComparison.Ordinal);
        Assert.Null(Tenancy.MessageRefusal(sap, release));
        Assert.Null(Tenancy.PathRefusal(sap, "/shop-floor/v1/plants/P200/productionOrders/WO-1"));
    }

    [Fact]
    public void Outside_development_a_host_without_an_issuer_refuses_to_start_and_says_what_to_set()
    {
        var empty = new ConfigurationBuilder().Build();

        var production = Assert.Throws<InvalidOperationException>(() => AuthenticationSettings.Read(empty, new Environment("Production")));
        var missingKey = Assert.Throws<InvalidOperationException>(() => AuthenticationSettings.Read(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Authentication:Issuer"] = "mfg-dev", ["Authentication:SigningKeyFile"] = "/nonexistent.pem" }).Build(),
            new Environment("Production")));
        var oidc = AuthenticationSettings.Read(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Authentication:Authority"] = "https://keycloak.example/realms/plant" }).Build(),
            new Environment("Production"));

        Assert.Contains("Authentication__Authority", production.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent.pem", missingKey.Message, StringComparison.Ordinal);
        Assert.Equal(("https://keycloak.example/realms/plant", "manufacturing"), (oidc.Authority, oidc.Audience));
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "test";

        public string ContentRootPath { get; set; } = "/";

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
