using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Manufacturing.IntegrationTests.Support;

/// <summary>Certificates the TLS tests make for themselves.</summary>
public static class TestCertificates
{
    /// <summary>Writes a self-signed server certificate for 127.0.0.1 (PFX, password <c>test</c>), valid for an hour.</summary>
    public static async Task WriteServerPfxAsync(string path)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "test"));
    }
}
