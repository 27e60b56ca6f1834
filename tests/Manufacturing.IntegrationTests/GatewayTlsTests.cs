using System.Net;
using Grpc.Net.Client;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.ShopFloor.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>With a certificate configured, the gateway serves REST (HTTP/1.1) and gRPC (HTTP/2) on one TLS port, chosen by ALPN.</summary>
[Collection(SuiteCollection.Name)]
public sealed class GatewayTlsTests(SuiteFixture suite)
{
    [Fact]
    public async Task One_tls_port_serves_rest_over_http1_and_grpc_over_http2()
    {
        var directory = Directory.CreateTempSubdirectory("mfg-tls-");
        var certificatePath = Path.Combine(directory.FullName, "gateway.pfx");
        await TestCertificates.WriteServerPfxAsync(certificatePath);

        var tlsPort = Ports.Next();
        suite.StartGateway(new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Rest__Url"] = $"http://127.0.0.1:{Ports.Next()}",
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{Ports.Next()}",
            ["Kestrel__Endpoints__Tls__Url"] = $"https://127.0.0.1:{tlsPort}",
            ["Kestrel__Endpoints__Tls__Protocols"] = "Http1AndHttp2",
            ["Kestrel__Endpoints__Tls__Certificate__Path"] = certificatePath,
            ["Kestrel__Endpoints__Tls__Certificate__Password"] = "test",
        });
        var address = new Uri($"https://127.0.0.1:{tlsPort}");
        HttpClientHandler TrustingHandler() => new() { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        await suite.WaitUntilHealthyAsync(new Uri(address, "/healthz"), TimeSpan.FromSeconds(60), TrustingHandler());

        using var rest = new HttpClient(TrustingHandler()) { BaseAddress = address };
        using var restResponse = await rest.GetAsync("/healthz");
        Assert.Equal(new Version(1, 1), restResponse.Version);
        Assert.Equal(HttpStatusCode.OK, restResponse.StatusCode);

        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = TrustingHandler() });
        var client = new ShopFloorService.ShopFloorServiceClient(SuiteFixture.Bearer(channel, suite.Token("odoo")));
        var released = await client.ReleaseProductionOrderAsync(Release(Unique("WO")));
        var read = await client.GetProductionOrderAsync(new GetProductionOrderRequest { Name = released.ProductionOrder.Name });
        Assert.Equal(released.ProductionOrder, read.ProductionOrder);
        directory.Delete(recursive: true);
    }
}
