using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Manufacturing.Migrator;

/// <summary>One embedded migration: <c>Migrations/NNNN_name.sql</c>.</summary>
public sealed partial class Migration
{
    private const string ResourcePrefix = "Migrations/";

    internal static readonly Lazy<IReadOnlyList<Migration>> Embedded = new(LoadEmbedded);

    private Migration(int version, string name, string sql)
    {
        Version = version;
        Name = name;
        Sql = sql;
        Checksum = ComputeChecksum(sql);
    }

    /// <summary>The number before the underscore (NNNN).</summary>
    public int Version { get; }

    /// <summary>The name after the underscore, as recorded in <c>mfg_schema_migrations.name</c>.</summary>
    public string Name { get; }

    /// <summary><c>NNNN_name</c>.</summary>
    public string FullName => $"{Version:D4}_{Name}";

    /// <summary><c>Migrations/NNNN_name.sql</c>.</summary>
    public string FileName => $"{ResourcePrefix}{FullName}.sql";

    /// <summary>The SQL text, with line endings normalised to LF.</summary>
    public string Sql { get; }

    /// <summary>Lower-case hex SHA-256 of <see cref="Sql"/> (UTF-8, LF line endings).</summary>
    public string Checksum { get; }

    /// <summary>
    /// SHA-256 over the text with CRLF/CR normalised to LF, so a checkout with Windows line endings
    /// does not look like a tampered migration.
    /// </summary>
    public static string ComputeChecksum(string sql) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(NormaliseLineEndings(sql))));

    private static string NormaliseLineEndings(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    private static IReadOnlyList<Migration> LoadEmbedded()
    {
        var assembly = typeof(Migration).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var match = FileNamePattern().Match(resource[ResourcePrefix.Length..]);
            if (!match.Success)
            {
                throw new MigrationException($"Embedded migration '{resource}' is not named NNNN_name.sql (lower case, digits and underscores).");
            }

            migrations.Add(new Migration(
                int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture),
                match.Groups["name"].Value,
                NormaliseLineEndings(Read(assembly, resource))));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new MigrationException(
                    $"Embedded migrations must be numbered 0001, 0002, ... without gaps or duplicates; found {migrations[i].FileName} at position {i + 1}.");
            }
        }

        return migrations;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new MigrationException($"Embedded migration '{resource}' cannot be read.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^(?<version>\d{4})_(?<name>[a-z0-9_]+)\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex FileNamePattern();
}
