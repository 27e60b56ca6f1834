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

/// <summary>
/// The development key pair: RSA 2048 for RS256 (the default of Keycloak and Entra ID, and about three
/// times cheaper to verify than ES256, which every host does for every call; see docs/benchmarks.md),
/// PEM files in a directory of the user's.
/// </summary>
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
            using var key = RSA.Create(2048);
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

/// <summary>Mints client-credentials JWTs signed with an RSA (RS256) or EC (ES256) private key.</summary>
public sealed class TokenMinter : IDisposable
{
    private readonly AsymmetricAlgorithm _key;
    private readonly SigningCredentials _credentials;

    /// <summary>A minter for the PEM private key <paramref name="privateKeyPem"/> (RSA or EC); the key id is derived from its public key.</summary>
    public TokenMinter(string privateKeyPem)
    {
        string publicPem;
        SecurityKey securityKey;
        string algorithm;
        if (IsEc(privateKeyPem))
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(privateKeyPem);
            (_key, publicPem, securityKey, algorithm) = (ec, ec.ExportSubjectPublicKeyInfoPem(), new ECDsaSecurityKey(ec), SecurityAlgorithms.EcdsaSha256);
        }
        else
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(privateKeyPem);
            (_key, publicPem, securityKey, algorithm) = (rsa, rsa.ExportSubjectPublicKeyInfoPem(), new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256);
        }

        KeyId = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(publicPem.Trim())))[..16].ToLowerInvariant();
        securityKey.KeyId = KeyId;
        _credentials = new SigningCredentials(securityKey, algorithm);
        PublicKeyPem = publicPem;
    }

    private static bool IsEc(string pem)
    {
        using var probe = ECDsa.Create();
        try
        {
            probe.ImportFromPem(pem);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The key id written in each token's header.</summary>
    public string KeyId { get; }

    /// <summary>The public key, for the hosts' <c>Authentication__SigningKeyFile</c>.</summary>
    public string PublicKeyPem { get; }

    /// <summary>A minter with a new random RSA key (for tests).</summary>
    public static TokenMinter CreateRandom()
    {
        using var key = RSA.Create(2048);
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
