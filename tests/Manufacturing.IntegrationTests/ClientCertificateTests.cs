using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.ShopFloor.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>
/// Edge agents may authenticate with a client certificate instead of a token: a certificate from the
/// plant CA whose subject is <c>CN=edge:P100</c> is that identity, fenced to P100, through the gateway
/// and on to the services (which get the gateway's signed word for it).
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class ClientCertificateTests(SuiteFixture suite) : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("mfg-mtls-");
    private readonly List<IDisposable> _disposables = [];

    private X509Certificate2 Track(X509Certificate2 certificate)
    {
        _disposables.Add(certificate);
        return certificate;
    }

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddHours(2));
    }

    private static X509Certificate2 Client(string subject, X509Certificate2? issuer)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        if (issuer is null)
        {
            return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        }

        using var signed = request.Create(issuer, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1), RandomNumberGenerator.GetBytes(8));
        return signed.CopyWithPrivateKey(key);
    }

    private async Task<Uri> StartGatewayAsync(X509Certificate2 authority)
    {
        var caFile = Path.Combine(_directory.FullName, "plant-ca.pem");
        await File.WriteAllTextAsync(caFile, authority.ExportCertificatePem());
        var serverCertificate = Path.Combine(_directory.FullName, "gateway.pfx");
        await TestCertificates.WriteServerPfxAsync(serverCertificate);

        var port = Ports.Next();
        suite.StartGateway(new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Rest__Url"] = $"http://127.0.0.1:{Ports.Next()}",
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{Ports.Next()}",
            ["Kestrel__Endpoints__Tls__Url"] = $"https://127.0.0.1:{port}",
            ["Kestrel__Endpoints__Tls__Protocols"] = "Http1AndHttp2",
            ["Kestrel__Endpoints__Tls__Certificate__Path"] = serverCertificate,
            ["Kestrel__Endpoints__Tls__Certificate__Password"] = "test",
            ["Authentication__ClientCertificates__CaFile"] = caFile,
            ["Gateway__ForwardingKeyFile"] = suite.ForwardingKey.PrivateKey,
        });
        var address = new Uri($"https://127.0.0.1:{port}");
        await suite.WaitUntilHealthyAsync(new Uri(address, "/healthz"), TimeSpan.FromSeconds(60), Handler(null));
        return address;
    }

    private SocketsHttpHandler Handler(X509Certificate2? certificate)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate!,
            },
        };
        _disposables.Add(handler);
        return handler;
    }

    private ShopFloorService.ShopFloorServiceClient Client(Uri address, X509Certificate2? certificate)
    {
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = Handler(certificate), DisposeHttpClient = true });
        _disposables.Add(channel);
        return new ShopFloorService.ShopFloorServiceClient(channel);
    }

    [Fact]
    public async Task A_plant_certificate_is_its_edge_identity_fenced_to_its_plant_and_others_are_refused()
    {
        var authority = Track(Authority("Plant CA"));
        var address = await StartGatewayAsync(authority);
        var p100 = (await new ShopFloorService.ShopFloorServiceClient(suite.As("odoo")).ReleaseProductionOrderAsync(Release(Unique("WO")))).ProductionOrder;
        var release = Release(Unique("WO"));
        release.Parent = "plants/P200";
        var p200 = (await new ShopFloorService.ShopFloorServiceClient(suite.As("sap")).ReleaseProductionOrderAsync(release)).ProductionOrder;

        var edge = Client(address, Track(Client("edge:P100", authority)));
        var started = await edge.StartOperationAsync(new StartOperationRequest { ProductionOrder = p100.Name, OperationId = "0010", Metadata = Metadata() });
        var otherPlant = await Assert.ThrowsAsync<RpcException>(() => edge.StartOperationAsync(new StartOperationRequest { ProductionOrder = p200.Name, OperationId = "0010", Metadata = Metadata() }).ResponseAsync);
        var rogue = await Assert.ThrowsAsync<RpcException>(() => Client(address, Track(Client("edge:P100", issuer: null)))
            .GetProductionOrderAsync(new GetProductionOrderRequest { Name = p100.Name }).ResponseAsync);
        var notEdge = await Assert.ThrowsAsync<RpcException>(() => Client(address, Track(Client("sap", authority)))
            .GetProductionOrderAsync(new GetProductionOrderRequest { Name = p100.Name }).ResponseAsync);
        var none = await Assert.ThrowsAsync<RpcException>(() => Client(address, null)
            .GetProductionOrderAsync(new GetProductionOrderRequest { Name = p100.Name }).ResponseAsync);

        Assert.Equal(ProductionOrderState.InProgress, started.ProductionOrder.State);
        Assert.Equal((StatusCode.PermissionDenied, "OTHER_PLANT"), (otherPlant.StatusCode, otherPlant.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason));
        Assert.Equal(StatusCode.Unauthenticated, rogue.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, notEdge.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        var read = (await new ShopFloorService.ShopFloorServiceClient(suite.As("sap")).GetProductionOrderAsync(new GetProductionOrderRequest { Name = p200.Name })).ProductionOrder;
        Assert.Equal(ProductionOrderState.Released, read.State);
    }

    public void Dispose()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        _directory.Delete(recursive: true);
    }
}
