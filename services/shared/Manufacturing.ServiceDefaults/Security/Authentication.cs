using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace Manufacturing.ServiceDefaults.Security;

/// <summary>
/// How tokens are validated, from configuration section <c>Authentication</c>: either an OIDC
/// <c>Authority</c> (discovery gives issuer and signing keys: Keycloak, Entra ID, any standard issuer)
/// or an explicit <c>Issuer</c> with a <c>SigningKeyFile</c> (PEM public key, EC or RSA); always an
/// <c>Audience</c>. Outside Development a host with neither refuses to start; in Development it
/// falls back to the development issuer and the key that <c>tools/Manufacturing.TokenTool</c> makes.
/// </summary>
public sealed class AuthenticationSettings
{
    /// <summary>The development issuer (the token tool's default).</summary>
    public const string DevelopmentIssuer = "mfg-dev";

    /// <summary>The audience when none is configured.</summary>
    public const string DefaultAudience = "manufacturing";

    /// <summary>Where the token tool keeps the development key pair by default.</summary>
    public static string DevelopmentKeyDirectory =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "manufacturing");

    /// <summary>The development public key's default path.</summary>
    public static string DevelopmentPublicKeyPath => Path.Combine(DevelopmentKeyDirectory, "dev-signing-key.pub.pem");

    /// <summary>The OIDC authority (discovery at <c>{Authority}/.well-known/openid-configuration</c>), if used.</summary>
    public string? Authority { get; init; }

    /// <summary>The expected issuer (with <see cref="SigningKeyFile"/>).</summary>
    public string? Issuer { get; init; }

    /// <summary>A PEM file with the issuer's public key (with <see cref="Issuer"/>).</summary>
    public string? SigningKeyFile { get; init; }

    /// <summary>The expected audience.</summary>
    public string Audience { get; init; } = DefaultAudience;

    /// <summary>Issuer client ids mapped to client names (<c>Authentication:Clients:{id}=mes:P100</c>), for issuers that name clients by GUID.</summary>
    public IReadOnlyDictionary<string, string> Clients { get; init; } = new Dictionary<string, string>();

    /// <summary>Accepted clock difference.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The gateway's public key (<c>Authentication:Gateway:SigningKeyFile</c>), when the gateway
    /// forwards callers it authenticated by client certificate: its tokens (issuer
    /// <see cref="ForwardingTokens.Issuer"/>) are then trusted too.
    /// </summary>
    public string? GatewayKeyFile { get; init; }

    /// <summary>Reads and checks the settings; throws with what to configure when there are none outside Development.</summary>
    public static AuthenticationSettings Read(IConfiguration configuration, IHostEnvironment environment)
    {
        var section = configuration.GetSection("Authentication");
        var settings = new AuthenticationSettings
        {
            Authority = Blank(section["Authority"]),
            Issuer = Blank(section["Issuer"]),
            SigningKeyFile = Blank(section["SigningKeyFile"]),
            Audience = Blank(section["Audience"]) ?? DefaultAudience,
            Clients = section.GetSection("Clients").GetChildren().Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!),
            ClockSkew = TimeSpan.TryParse(section["ClockSkew"], System.Globalization.CultureInfo.InvariantCulture, out var skew) ? skew : TimeSpan.FromSeconds(30),
            GatewayKeyFile = Blank(section["Gateway:SigningKeyFile"]),
        };

        if (settings.GatewayKeyFile is { } gatewayKey && !File.Exists(gatewayKey))
        {
            throw new InvalidOperationException($"Authentication__Gateway__SigningKeyFile '{gatewayKey}' does not exist.");
        }

        if (settings.Authority is not null)
        {
            return settings;
        }

        if (settings.Issuer is null)
        {
            if (!environment.IsDevelopment())
            {
                throw new InvalidOperationException(
                    "No token issuer is configured. Set Authentication__Authority (OIDC discovery: Keycloak, Entra ID, …) or " +
                    "Authentication__Issuer with Authentication__SigningKeyFile (a PEM public key), and Authentication__Audience. " +
                    "See docs/security.md. Hosts refuse to start without one outside Development.");
            }

            settings = new AuthenticationSettings
            {
                Issuer = DevelopmentIssuer,
                SigningKeyFile = settings.SigningKeyFile ?? DevelopmentPublicKeyPath,
                Audience = settings.Audience,
                Clients = settings.Clients,
                ClockSkew = settings.ClockSkew,
                GatewayKeyFile = settings.GatewayKeyFile,
            };
        }

        if (settings.SigningKeyFile is null || !File.Exists(settings.SigningKeyFile))
        {
            throw new InvalidOperationException(
                $"Authentication__Issuer is '{settings.Issuer}' but the signing key file '{settings.SigningKeyFile ?? "(not set)"}' does not exist. " +
                "Set Authentication__SigningKeyFile to the issuer's PEM public key (for development: dotnet run --project tools/Manufacturing.TokenTool -- keygen).");
        }

        return settings;
    }

    /// <summary>The issuer's public key from <see cref="SigningKeyFile"/>.</summary>
    public SecurityKey LoadSigningKey() => LoadPublicKey(SigningKeyFile!);

    /// <summary>A PEM public key (EC or RSA); refuses a private key.</summary>
    public static SecurityKey LoadPublicKey(string file)
    {
        var pem = File.ReadAllText(file);
        if (pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{file} holds a private key; hosts need only the issuer's public key.");
        }

        try
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return new ECDsaSecurityKey(ec) { KeyId = KeyId(pem) };
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa) { KeyId = KeyId(pem) };
        }
    }

    /// <summary>A stable key id for a PEM public key (the token tool writes it in the token header).</summary>
    public static string KeyId(string publicKeyPem) =>
        Convert.ToHexString(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(publicKeyPem.Trim())))[..16].ToLowerInvariant();

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>Authenticates a request's bearer token and turns it into a <see cref="CallerIdentity"/>.</summary>
public sealed class Authenticator(AuthenticationSettings settings)
{
    /// <summary>The outcome: an identity, or why there is none (unauthenticated) or why it is refused (not a known client).</summary>
    public readonly record struct Outcome(CallerIdentity? Identity, string? Unauthenticated, string? Denied);

    /// <summary>Validates the request's token.</summary>
    public async Task<Outcome> AuthenticateAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (!result.Succeeded)
        {
            return new Outcome(null, Explain(result), null);
        }

        return CallerIdentity.FromPrincipal(result.Principal, settings.Clients) is { } identity
            ? new Outcome(identity, null, null)
            : new Outcome(null, null, $"The token's client is not one of {CallerIdentity.ClientNames} (map issuer client ids with Authentication__Clients__<id>).");
    }

    private static string Explain(AuthenticateResult result) => result.Failure switch
    {
        null => "A bearer token is required (Authorization: Bearer <token>).",
        SecurityTokenExpiredException => "The bearer token has expired.",
        SecurityTokenNotYetValidException => "The bearer token is not valid yet.",
        SecurityTokenInvalidIssuerException => "The bearer token's issuer is not trusted.",
        SecurityTokenInvalidAudienceException => "The bearer token is not for this audience.",
        SecurityTokenInvalidAlgorithmException => "The bearer token's signing algorithm is not accepted.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The bearer token's signature does not verify.",
        SecurityTokenNoExpirationException => "The bearer token has no expiry.",
        _ => "The bearer token is not valid.",
    };
}

/// <summary>Registers token validation.</summary>
public static class AuthenticationSetup
{
    /// <summary>Algorithms accepted for token signatures (never <c>none</c>, never symmetric).</summary>
    public static readonly string[] Algorithms =
    [
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
    ];

    /// <summary>JwtBearer validation from <see cref="AuthenticationSettings"/>, and the <see cref="Authenticator"/>.</summary>
    public static WebApplicationBuilder AddManufacturingAuthentication(this WebApplicationBuilder builder)
    {
        var settings = AuthenticationSettings.Read(builder.Configuration, builder.Environment);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<Authenticator>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.Audience = settings.Audience;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidateIssuer = true,
                ValidateAudience = true,
                ValidAudience = settings.Audience,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ValidateIssuerSigningKey = true,
                ValidAlgorithms = Algorithms,
                ClockSkew = settings.ClockSkew,
            };
            var issuers = new List<string>();
            var keys = new List<SecurityKey>();
            if (settings.Authority is not null)
            {
                // Discovery adds the issuer and its keys to these.
                o.Authority = settings.Authority;
                o.RequireHttpsMetadata = !builder.Environment.IsDevelopment();
            }
            else
            {
                issuers.Add(settings.Issuer!);
                keys.Add(settings.LoadSigningKey());
            }

            if (settings.GatewayKeyFile is { } gatewayKey)
            {
                issuers.Add(ForwardingTokens.Issuer);
                keys.Add(AuthenticationSettings.LoadPublicKey(gatewayKey));
            }

            if (issuers.Count > 0)
            {
                o.TokenValidationParameters.ValidIssuers = issuers;
                o.TokenValidationParameters.IssuerSigningKeys = keys;
            }
        });
        return builder;
    }
}
