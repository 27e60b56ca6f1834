using System.Text.Json;
using Manufacturing.Gateway.Security;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Security;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Manufacturing.Gateway;

/// <summary>
/// The gateway is configuration plus these few lines: YARP routes gRPC by service name and REST by
/// path prefix (see appsettings.json, <c>ReverseProxy</c>) to the domain hosts over HTTP/2, with active
/// health checks on every destination; <see cref="GatewayGuard"/> governs every proxied request.
/// </summary>
internal static class GatewayExtensions
{
    public static WebApplicationBuilder AddManufacturingGateway(this WebApplicationBuilder builder)
    {
        builder.AddManufacturingTelemetry("gateway");
        builder.Services.AddSingleton(new ServiceIdentity("gateway"));
        builder.AddManufacturingAuthentication();
        builder.AddManufacturingAudit();
        builder.Services.AddSingleton<GatewayLimits>();
        if (ClientCertificateSettings.Read(builder.Configuration) is { } certificates)
        {
            var key = builder.Configuration["Gateway:ForwardingKeyFile"];
            if (string.IsNullOrWhiteSpace(key) || string.IsNullOrWhiteSpace(builder.Configuration["Authentication:Gateway:SigningKeyFile"]))
            {
                throw new InvalidOperationException(
                    "Client certificates are configured (Authentication__ClientCertificates__CaFile) but Gateway__ForwardingKeyFile (the gateway's private key, PEM) " +
                    "and Authentication__Gateway__SigningKeyFile (its public key, also given to every service) are not both set. See docs/security.md.");
            }

            builder.Services.AddSingleton(certificates);
            builder.Services.AddSingleton(sp => new ForwardingTokens(key, sp.GetRequiredService<AuthenticationSettings>().Audience));

            // Ask TLS clients for a certificate; the guard validates it (so a bad one gets a clear, audited answer).
            builder.WebHost.ConfigureKestrel(o => o.ConfigureHttpsDefaults(https =>
            {
                https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate;
                https.ClientCertificateValidation = (_, _, _) => true;
            }));
        }

        builder.Services.AddSingleton<GatewayGuard>();
        builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        return builder;
    }

    /// <summary>
    /// <c>GET /healthz</c>: 200 only when every cluster (domain host) has a destination that passed its
    /// last active health check, otherwise 503; the body names each service's state either way.
    /// <c>GET /</c>: where to find what.
    /// </summary>
    public static WebApplication MapGatewayEndpoints(this WebApplication app)
    {
        app.MapGet("/healthz", (IProxyStateLookup proxy) =>
        {
            var services = proxy.GetClusters().OrderBy(c => c.ClusterId).ToDictionary(
                c => c.ClusterId,
                c =>
                {
                    var destinations = c.Destinations.Values.ToDictionary(d => d.DestinationId, d => d.Health.Active.ToString());
                    var healthy = c.Destinations.Values.Any(d => d.Health.Active == DestinationHealth.Healthy);
                    return new ServiceHealth(healthy ? "Healthy" : "Unhealthy", destinations);
                });
            var allHealthy = services.Count > 0 && services.Values.All(s => s.Status == "Healthy");
            var body = new GatewayHealth(allHealthy ? "Healthy" : "Unhealthy", services,
                services.Where(s => s.Value.Status != "Healthy").Select(s => s.Key).ToArray());
            return Results.Json(body, JsonOptions, statusCode: allHealthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/alive", () => Results.Ok());
        app.MapGet("/", (IConfiguration configuration) => Results.Json(new
        {
            service = "manufacturing gateway",
            health = "/healthz",
            rest = configuration.GetSection("ReverseProxy:Routes").GetChildren()
                .Select(r => r["Match:Path"]).Where(p => p is not null && !p.StartsWith("/manufacturing.", StringComparison.Ordinal)).ToArray(),
            grpcServices = configuration.GetSection("ReverseProxy:Routes").GetChildren()
                .Select(r => r["Match:Path"]).Where(p => p is not null && p.StartsWith("/manufacturing.", StringComparison.Ordinal))
                .Select(p => p!.Split('/')[1]).ToArray(),
            contracts = "protos/manufacturing/*/v1 in the repository",
        }, JsonOptions));
        return app;
    }

    /// <summary>The proxy, with the governance guard first in its pipeline.</summary>
    public static WebApplication MapGovernedProxy(this WebApplication app)
    {
        var guard = app.Services.GetRequiredService<GatewayGuard>();
        app.MapReverseProxy(pipeline =>
        {
            pipeline.Use((context, next) => guard.InvokeAsync(context, () => next()));
            pipeline.UseSessionAffinity();
            pipeline.UseLoadBalancing();
            pipeline.UsePassiveHealthChecks();
        });
        return app;
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private sealed record ServiceHealth(string Status, Dictionary<string, string> Destinations);

    private sealed record GatewayHealth(string Status, Dictionary<string, ServiceHealth> Services, string[] Unhealthy);
}
