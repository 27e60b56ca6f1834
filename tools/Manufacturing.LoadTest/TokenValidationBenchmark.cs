using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Manufacturing.LoadTest;

/// <summary>
/// <c>token-validation [--seconds 3] [--rounds 5]</c>: what validating one bearer token costs, as every
/// host and the gateway do it for every call (signature, issuer, audience, lifetime), for ES256 and
/// RS256 keys side by side, alternating rounds; prints validations per second and µs per
/// validation per round and the medians. In-process, one thread, bounded in time.
/// </summary>
internal static class TokenValidationBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int seconds = 3, rounds = 5;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seconds": seconds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}");
                    return 2;
            }
        }

        if (seconds is < 1 or > 60 || rounds is < 1 or > 50)
        {
            Console.Error.WriteLine("usage: token-validation [--seconds 1..60] [--rounds 1..50]");
            return 2;
        }

        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsa = RSA.Create(2048);
        var targets = new (string Name, SecurityKey Key, string Algorithm)[]
        {
            ("ES256", new ECDsaSecurityKey(ec), SecurityAlgorithms.EcdsaSha256),
            ("RS256", new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256),
        };
        var handler = new JsonWebTokenHandler();
        var prepared = targets.Select(t => (t.Name, Token: Mint(handler, t.Key, t.Algorithm), Parameters: Parameters(t.Key))).ToList();
        foreach (var (name, token, parameters) in prepared)
        {
            if (!(await handler.ValidateTokenAsync(token, parameters)).IsValid)
            {
                Console.Error.WriteLine($"{name}: the token does not validate");
                return 1;
            }
        }

        Console.WriteLine($"Token validation (signature, issuer, audience, lifetime), one thread, {seconds} s per key type per round, {rounds} rounds, {Environment.ProcessorCount} cores");
        var results = prepared.ToDictionary(p => p.Name, _ => new List<double>());
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var (name, token, parameters) in prepared)
            {
                var count = 0;
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed.TotalSeconds < seconds)
                {
                    await handler.ValidateTokenAsync(token, parameters);
                    count++;
                }

                var perSecond = count / clock.Elapsed.TotalSeconds;
                results[name].Add(perSecond);
                Console.WriteLine($"round {round} {name}  {perSecond,9:F0} validations/s  {1_000_000 / perSecond,7:F1} µs each");
            }
        }

        Console.WriteLine();
        Console.WriteLine("| key | validations/s (median) | µs per validation (median) |");
        Console.WriteLine("|---|---|---|");
        foreach (var (name, values) in results)
        {
            var median = values.Order().ElementAt(values.Count / 2);
            Console.WriteLine($"| {name} | {median:F0} | {1_000_000 / median:F1} |");
        }

        return 0;
    }

    private static string Mint(JsonWebTokenHandler handler, SecurityKey key, string algorithm) => handler.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "mfg-bench",
        Audience = "manufacturing",
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(key, algorithm),
        Claims = new Dictionary<string, object> { ["client_id"] = "odoo", ["scope"] = "read write" },
    });

    private static TokenValidationParameters Parameters(SecurityKey key) => new()
    {
        ValidIssuer = "mfg-bench",
        ValidAudience = "manufacturing",
        IssuerSigningKey = key,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ValidateIssuerSigningKey = true,
    };
}
