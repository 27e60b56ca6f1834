using Manufacturing.TokenTool;

// Development tokens for the manufacturing suite. See docs/security.md.
//   keygen [--dir DIR]                       make the RS256 key pair (RSA 2048; once, kept)
//   mint --client NAME [--scope "read write"] [--lifetime 1h] [--dir DIR] [--issuer I] [--audience A]
//   public-key [--dir DIR]                   print the public key's path
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 1; i + 1 < args.Length; i += 2)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal))
    {
        return Usage($"expected an option, got '{args[i]}'");
    }

    options[args[i][2..]] = args[i + 1];
}

if (args.Length > 1 && args.Length % 2 == 0)
{
    return Usage($"option '{args[^1]}' has no value");
}

var directory = options.GetValueOrDefault("dir") ?? DevelopmentKeys.DefaultDirectory;
switch (args.FirstOrDefault())
{
    case "keygen":
    {
        var (privateKey, publicKey) = DevelopmentKeys.Ensure(directory);
        Console.WriteLine($"private key: {privateKey}");
        Console.WriteLine($"public key:  {publicKey}");
        return 0;
    }

    case "public-key":
        Console.WriteLine(DevelopmentKeys.Ensure(directory).PublicKey);
        return 0;

    case "mint":
    {
        if (!options.TryGetValue("client", out var client) || client.Length == 0)
        {
            return Usage("mint needs --client (sap, odoo, sre, supplier:{vendor}, mes:{plant}, edge:{plant}, service:{name})");
        }

        var lifetime = TimeSpan.FromHours(1);
        if (options.TryGetValue("lifetime", out var text) && !TryLifetime(text, out lifetime))
        {
            return Usage($"--lifetime '{text}' is not a duration such as 30m, 1h or 3600s");
        }

        var (privateKey, _) = DevelopmentKeys.Ensure(directory);
        using var minter = new TokenMinter(File.ReadAllText(privateKey));
        Console.WriteLine(minter.Mint(new TokenRequest
        {
            Client = client,
            Scopes = (options.GetValueOrDefault("scope") ?? "read write").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Lifetime = lifetime,
            Issuer = options.GetValueOrDefault("issuer") ?? DevelopmentKeys.Issuer,
            Audience = options.GetValueOrDefault("audience") ?? DevelopmentKeys.Audience,
        }));
        return 0;
    }

    default:
        return Usage(args.Length == 0 ? "no command" : $"unknown command '{args[0]}'");
}

static bool TryLifetime(string text, out TimeSpan lifetime)
{
    lifetime = default;
    if (text.Length < 2 || !int.TryParse(text[..^1], out var n) || n <= 0)
    {
        return false;
    }

    lifetime = text[^1] switch { 's' => TimeSpan.FromSeconds(n), 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), _ => TimeSpan.Zero };
    return lifetime > TimeSpan.Zero;
}

static int Usage(string problem)
{
    Console.Error.WriteLine($"error: {problem}");
    Console.Error.WriteLine("usage: Manufacturing.TokenTool keygen [--dir DIR]");
    Console.Error.WriteLine("       Manufacturing.TokenTool mint --client NAME [--scope \"read write\"] [--lifetime 1h] [--dir DIR] [--issuer I] [--audience A]");
    Console.Error.WriteLine("       Manufacturing.TokenTool public-key [--dir DIR]");
    return 2;
}
