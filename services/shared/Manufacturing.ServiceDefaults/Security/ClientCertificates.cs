using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Manufacturing.ServiceDefaults.Security;

/// <summary>
/// Client-certificate authentication at the gateway, the alternative to tokens for edge agents and
/// plant MES (<c>Authentication:ClientCertificates</c>). A certificate is accepted when it chains
/// to the configured CA (and only to it) and is valid for client authentication; its subject's
/// common name is the client (<c>CN=edge:P100</c>), which must be an <c>edge:</c> or <c>mes:</c>
/// identity. It gets the configured scopes.
/// </summary>
public sealed class ClientCertificateSettings
{
    private readonly X509Certificate2Collection _authorities;

    private ClientCertificateSettings(X509Certificate2Collection authorities, IReadOnlyList<string> scopes)
    {
        _authorities = authorities;
        Scopes = scopes;
    }

    /// <summary>The scopes a certificate identity gets.</summary>
    public IReadOnlyList<string> Scopes { get; }

    /// <summary>The settings, or null when client certificates are not configured (<c>Authentication:ClientCertificates:CaFile</c> unset).</summary>
    public static ClientCertificateSettings? Read(IConfiguration configuration)
    {
        var section = configuration.GetSection("Authentication:ClientCertificates");
        if (string.IsNullOrWhiteSpace(section["CaFile"]))
        {
            return null;
        }

        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(section["CaFile"]!);
        if (authorities.Count == 0)
        {
            throw new InvalidOperationException($"Authentication__ClientCertificates__CaFile '{section["CaFile"]}' holds no certificate.");
        }

        var scopes = (section["Scopes"] ?? "read write").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new ClientCertificateSettings(authorities, scopes);
    }

    /// <summary>True when <paramref name="certificate"/> chains to the configured CA and may authenticate a client.</summary>
    public bool Validate(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2")); // client authentication
        return chain.Build(certificate);
    }

    /// <summary>The identity a validated certificate carries; null when its common name is no edge or MES client.</summary>
    public CallerIdentity? IdentityOf(X509Certificate2 certificate) =>
        CallerIdentity.Parse(certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false), Scopes) is { Kind: ClientKind.Edge or ClientKind.Mes } identity
            ? identity
            : null;
}

/// <summary>
/// The gateway's own short-lived tokens for callers it authenticated by client certificate, so that
/// the services (which see no certificate behind the gateway) still validate a signed identity.
/// Signed with <c>Gateway:ForwardingKeyFile</c> (an RSA private key for RS256, or EC for ES256; RSA is
/// about three times cheaper for the services to verify); the services trust its public half through
/// <c>Authentication:Gateway:SigningKeyFile</c>.
/// </summary>
public sealed class ForwardingTokens : IDisposable
{
    /// <summary>The issuer of the gateway's tokens.</summary>
    public const string Issuer = "mfg-gateway";

    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private readonly AsymmetricAlgorithm _key;
    private readonly SigningCredentials _credentials;
    private readonly string _audience;

    // One token per client, reused until a minute before it expires: signing is the expensive part
    // (an RSA signature per call would cost more than the call), and the identity does not change.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Token, DateTime Renew)> _issued = new(StringComparer.Ordinal);

    /// <summary>A minter with the PEM private key (RSA or EC) at <paramref name="privateKeyFile"/>.</summary>
    public ForwardingTokens(string privateKeyFile, string audience)
    {
        var pem = File.ReadAllText(privateKeyFile);
        var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(pem);
            _key = ec;
            _credentials = new SigningCredentials(new ECDsaSecurityKey(ec), SecurityAlgorithms.EcdsaSha256);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            ec.Dispose();
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            _key = rsa;
            _credentials = new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256);
        }

        _audience = audience;
    }

    /// <summary>A token for <paramref name="caller"/> valid for at least another minute (five when new).</summary>
    public string Mint(CallerIdentity caller)
    {
        var now = DateTime.UtcNow;
        var key = $"{caller.Client} {string.Join(' ', caller.Scopes.Order(StringComparer.Ordinal))}";
        if (_issued.TryGetValue(key, out var issued) && now < issued.Renew)
        {
            return issued.Token;
        }

        var token = Sign(caller, now);
        _issued[key] = (token, now + Lifetime - TimeSpan.FromMinutes(1));
        return token;
    }

    private string Sign(CallerIdentity caller, DateTime now)
    {
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = _audience,
            NotBefore = now,
            IssuedAt = now,
            Expires = now + Lifetime,
            SigningCredentials = _credentials,
            Claims = new Dictionary<string, object>
            {
                ["client_id"] = caller.Client,
                ["scope"] = string.Join(' ', caller.Scopes),
                ["amr"] = "mtls",
            },
        });
    }

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
