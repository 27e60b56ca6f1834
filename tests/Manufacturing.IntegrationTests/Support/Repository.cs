namespace Manufacturing.IntegrationTests.Support;

/// <summary>Where the repository and the hosts' build outputs are.</summary>
public static class Repository
{
    /// <summary>The repository root (the folder holding Microservices.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration of this test assembly (Debug or Release); the hosts are built the same way.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The built assembly of a host project, for example <c>services/shop-floor/ShopFloor.Api</c>.</summary>
    public static string HostAssembly(string projectDirectory, string? assemblyName = null)
    {
        var name = assemblyName ?? Path.GetFileName(projectDirectory);
        var path = Path.Combine(Root, projectDirectory, "bin", Configuration, "net10.0", name + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built; run ./test.sh (it builds Microservices.sln first).");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Microservices.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Microservices.sln not found above " + AppContext.BaseDirectory);
    }
}
