using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Manufacturing.IntegrationTests.Support;

/// <summary>A minimal web app on a free loopback port, for the ERP test doubles (not started yet: map its endpoints first).</summary>
public static class LoopbackApp
{
    /// <summary>The app and the address it will listen on.</summary>
    public static (WebApplication App, Uri Address) Create()
    {
        var builder = WebApplication.CreateSlimBuilder();
        var port = Ports.Next();
        // Nothing from the test folder's appsettings.json (the gateway's is copied there, with its ports).
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = $"http://127.0.0.1:{port}" });
        builder.Logging.ClearProviders();
        return (builder.Build(), new Uri($"http://127.0.0.1:{port}"));
    }
}
