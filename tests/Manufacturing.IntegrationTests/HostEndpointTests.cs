using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Manufacturing.IntegrationTests.Support;

namespace Manufacturing.IntegrationTests;

/// <summary>What every host serves besides its domain contract: gRPC health and reflection.</summary>
[Collection(SuiteCollection.Name)]
public sealed class HostEndpointTests(SuiteFixture suite)
{
    [Theory]
    [InlineData("inventory")]
    [InlineData("procurement")]
    [InlineData("quality")]
    [InlineData("shop-floor")]
    [InlineData("integration")]
    public async Task Every_host_reports_serving_over_grpc_health(string host)
    {
        using var channel = GrpcChannel.ForAddress(suite.HostGrpc(host));

        var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Host_health_covers_the_silo_and_postgresql()
    {
        using var http = new HttpClient { BaseAddress = suite.HostRest("inventory") };

        using var response = await http.GetAsync("/healthz");
        var checks = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("checks");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", checks.GetProperty("orleans-silo").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("postgresql").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Reflection_lists_the_hosts_contract_so_grpcurl_works()
    {
        using var channel = GrpcChannel.ForAddress(suite.HostGrpc("shop-floor"));
        using var call = new ServerReflection.ServerReflectionClient(SuiteFixture.Bearer(channel, suite.Token("sre", "read"))).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(10));

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("manufacturing.shop_floor.v1.ShopFloorService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
