using System.Reflection;
using System.Text.RegularExpressions;
using Google.Api;
using Google.Protobuf.Reflection;

namespace Manufacturing.UnitTests.Shared;

/// <summary>
/// The conventions of protos/ (buf STANDARD naming, HTTP annotations, documented fields), checked on
/// the compiled descriptors and the source files, because buf itself cannot be installed here.
/// </summary>
public sealed partial class ContractStyleTests
{
    private static readonly FileDescriptor[] Files = typeof(Manufacturing.Common.V1.Quantity).Assembly.GetTypes()
        .Where(t => t.Name.EndsWith("Reflection", StringComparison.Ordinal))
        .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null))
        .OfType<FileDescriptor>()
        .Where(f => f.Package.StartsWith("manufacturing.", StringComparison.Ordinal))
        .ToArray();

    [Fact]
    public void Every_domain_has_its_contracts()
    {
        var packages = Files.Select(f => f.Package).ToHashSet();
        foreach (var domain in new[] { "common", "inventory", "procurement", "quality", "shop_floor", "integration" })
        {
            Assert.Contains($"manufacturing.{domain}.v1", packages);
        }
    }

    [Fact]
    public void Package_matches_folder_and_is_versioned()
    {
        foreach (var file in Files)
        {
            Assert.Equal(file.Package.Replace('.', '/'), Path.GetDirectoryName(file.Name)!.Replace('\\', '/'));
            Assert.Matches(@"\.v\d+$", file.Package);
            Assert.Matches("^[a-z0-9_]+\\.proto$", Path.GetFileName(file.Name));
        }
    }

    [Fact]
    public void Services_use_request_and_response_messages_named_for_each_rpc_and_http_annotations()
    {
        foreach (var service in Files.SelectMany(f => f.Services))
        {
            Assert.EndsWith("Service", service.Name);
            Assert.Equal(ToSnake(service.Name) + ".proto", Path.GetFileName(service.File.Name));
            foreach (var method in service.Methods)
            {
                Assert.Equal(method.Name + "Request", method.InputType.Name);
                Assert.Equal(method.Name + "Response", method.OutputType.Name);
                // JSON transcoding maps unary and server-streaming RPCs only: a client stream has no REST form.
                Assert.True(method.IsClientStreaming || method.GetOptions()?.GetExtension(AnnotationsExtensions.Http) is not null,
                    $"{method.FullName} has no google.api.http annotation");
            }
        }
    }

    [Fact]
    public void Enums_are_prefixed_with_their_name_and_start_with_unspecified()
    {
        foreach (var @enum in Files.SelectMany(f => f.EnumTypes.Concat(f.MessageTypes.SelectMany(m => m.EnumTypes))))
        {
            var prefix = ToSnake(@enum.Name).ToUpperInvariant() + "_";
            Assert.Equal(prefix + "UNSPECIFIED", @enum.Values.Single(v => v.Number == 0).Name);
            Assert.All(@enum.Values, v => Assert.StartsWith(prefix, v.Name));
        }
    }

    [Fact]
    public void Every_field_enum_value_message_and_rpc_has_a_comment()
    {
        var root = ProtosRoot();
        var undocumented = new List<string>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(root, "manufacturing"), "*.proto", SearchOption.AllDirectories))
        {
            var lines = File.ReadAllLines(path);
            for (var i = 0; i < lines.Length; i++)
            {
                if (!Declaration().IsMatch(lines[i]))
                {
                    continue;
                }

                var previous = i - 1;
                while (previous >= 0 && lines[previous].Trim().Length == 0)
                {
                    previous--;
                }

                if (previous < 0 || !lines[previous].TrimStart().StartsWith("//", StringComparison.Ordinal))
                {
                    undocumented.Add($"{Path.GetRelativePath(root, path)}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }

        Assert.True(undocumented.Count == 0, "Undocumented declarations:\n" + string.Join("\n", undocumented));
    }

    private static string ToSnake(string pascal) => PascalBoundary().Replace(pascal, "$1_$2").ToLowerInvariant();

    private static string ProtosRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "protos", "manufacturing")))
            {
                return Path.Combine(dir.FullName, "protos");
            }
        }

        throw new InvalidOperationException("protos/ not found above " + AppContext.BaseDirectory);
    }

    // A field, an enum value, a message, an enum, a service or an rpc.
    [GeneratedRegex(@"^\s*((repeated\s+)?[\w.]+\s+\w+\s*=\s*\d+\s*;|[A-Z0-9_]+\s*=\s*\d+\s*;|message\s+\w+|enum\s+\w+|service\s+\w+|rpc\s+\w+)")]
    private static partial Regex Declaration();

    [GeneratedRegex("([a-z0-9])([A-Z])")]
    private static partial Regex PascalBoundary();
}
