using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Manufacturing.TokenTool;

/// <summary>What a minted token says.</summary>
public sealed record TokenRequest
{
    /// <summary>The client name (<c>sap</c>, <c>mes:P100</c>, <c>supplier:V-100200</c>, …), written as <c>client_id</c>.</summary>
    public required string Client { get; init; }

    /// <summary>The scopes, written space-separated as <c>scope</c>.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = ["read", "write"];

    /// <summary>The issuer.</summary>
    public string Issuer { get; init; } = DevelopmentKeys.Issuer;

    /// <summary>The audience.</summary>
    public string Audience { get; init; } = DevelopmentKeys.Audience;

    /// <summary>How long the token is valid from <see cref="NotBefore"/>.</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>When the token becomes valid (now when null).</summary>
    public DateTimeOffset? NotBefore { get; init; }
}

/// <summary>The development key pair: ES256, PEM files in a directory of the user's.</summary>
public static class DevelopmentKeys
{
    /// <summary>The development issuer; hosts in Development trust it without configuration.</summary>
    public const string Issuer = "mfg-dev";

    /// <summary>The suite's audience.</summary>
    public const string Audience = "manufacturing";

    /// <summary>The default key directory (the hosts' Development default reads the public key from here).</summary>
    public static string DefaultDirectory => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "manufacturing");

    /// <summary>The private key's file name.</summary>
    public const string PrivateKeyFile = "dev-signing-key.pem";

    /// <summary>The public key's file name.</summary>
    public const string PublicKeyFile = "dev-signing-key.pub.pem";

    /// <summary>Makes the key pair in <paramref name="directory"/> unless it exists; returns the two paths.</summary>
    public static (string PrivateKey, string PublicKey) Ensure(string directory)
    {
        Directory.CreateDirectory(directory);
        var privatePath = Path.Combine(directory, PrivateKeyFile);
        var publicPath = Path.Combine(directory, PublicKeyFile);
        if (!File.Exists(privatePath) || !File.Exists(publicPath))
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var temporary = privatePath + ".tmp";
            File.WriteAllText(temporary, key.ExportPkcs8PrivateKeyPem());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.WriteAllText(publicPath, key.ExportSubjectPublicKeyInfoPem());
            File.Move(temporary, privatePath, overwrite: true);
        }

        return (privatePath, publicPath);
    }
}

/// <summary>Mints client-credentials JWTs signed with an EC private key (ES256).</summary>
public sealed class TokenMinter : IDisposable
{
    private readonly ECDsa _key;
    private readonly SigningCredentials _credentials;

    /// <summary>A minter for the PEM private key <paramref name="privateKeyPem"/>; the key id is derived from its public key.</summary>
    public TokenMinter(string privateKeyPem)
    {
        _key = ECDsa.Create();
        _key.ImportFromPem(privateKeyPem);
        var publicPem = _key.ExportSubjectPublicKeyInfoPem();
        KeyId = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(publicPem.Trim())))[..16].ToLowerInvariant();
        _credentials = new SigningCredentials(new ECDsaSecurityKey(_key) { KeyId = KeyId }, SecurityAlgorithms.EcdsaSha256);
        PublicKeyPem = publicPem;
    }

    /// <summary>The key id written in each token's header.</summary>
    public string KeyId { get; }

    /// <summary>The public key, for the hosts' <c>Authentication__SigningKeyFile</c>.</summary>
    public string PublicKeyPem { get; }

    /// <summary>A minter with a new random key (for tests).</summary>
    public static TokenMinter CreateRandom()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new TokenMinter(key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Mints a token.</summary>
    public string Mint(TokenRequest request)
    {
        var notBefore = request.NotBefore ?? DateTimeOffset.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = request.Issuer,
            Audience = request.Audience,
            NotBefore = notBefore.UtcDateTime,
            IssuedAt = notBefore.UtcDateTime,
            Expires = (notBefore + request.Lifetime).UtcDateTime,
            SigningCredentials = _credentials,
            Claims = new Dictionary<string, object>
            {
                ["client_id"] = request.Client,
                ["sub"] = request.Client,
                ["scope"] = string.Join(' ', request.Scopes),
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
