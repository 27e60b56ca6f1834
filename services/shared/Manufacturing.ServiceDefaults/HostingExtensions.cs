using System.Text.Json;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.AspNetCore.HealthChecks;
using Manufacturing.ServiceDefaults.Grpc;
using Manufacturing.ServiceDefaults.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Manufacturing.ServiceDefaults;

/// <summary>The wiring every manufacturing host shares, so that each Program.cs lists only what the host is.</summary>
public static class HostingExtensions
{
    /// <summary>The <c>grpc.health.v1</c> service name a liveness probe asks for: serving while the process serves gRPC.</summary>
    public const string LivenessService = "liveness";

    /// <summary>
    /// Telemetry (OpenTelemetry traces, metrics and logs; OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// is set), token validation and the caller checks (<see cref="CallerInterceptor"/>), gRPC with
    /// JSON transcoding (messages up to <c>Grpc:MaxReceiveMessageBytes</c>, 1 MiB by default), gRPC
    /// health and reflection, and error mapping. Kestrel's
    /// endpoints come from configuration (<c>Kestrel:Endpoints</c>): an HTTP/2 cleartext port for gRPC
    /// and an HTTP/1.1 port for REST and health.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="serviceName">The deployable's name as in k8s/, tye.yaml and run.sh (for example <c>shop-floor</c>).</param>
    public static WebApplicationBuilder AddManufacturingDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        var identity = new ServiceIdentity(serviceName);
        builder.Services.AddSingleton(identity);
        builder.AddManufacturingTelemetry(serviceName);
        builder.AddManufacturingAuthentication();
        builder.AddManufacturingAudit();

        builder.Services.AddGrpc(o =>
        {
            // Outermost first: the caller checks see (and audit) the errors ExceptionInterceptor mapped.
            o.Interceptors.Add<CallerInterceptor>();
            o.Interceptors.Add<ExceptionInterceptor>();
            o.EnableDetailedErrors = false;
            o.MaxReceiveMessageSize = builder.Configuration.GetValue("Grpc:MaxReceiveMessageBytes", 1024 * 1024);
        }).AddJsonTranscoding(o =>
        {
            // REST callers get the same google.rpc error details as gRPC callers; transcoding can only
            // write an Any whose type it knows.
            o.TypeRegistry = TypeRegistry.FromMessages(ErrorInfo.Descriptor, BadRequest.Descriptor, ResourceInfo.Descriptor, PreconditionFailure.Descriptor);
        });
        builder.Services.AddGrpcHealthChecks(o =>
        {
            // grpc.health.v1 service "" (and GET /healthz): every check, the silo active and PostgreSQL
            // answering: readiness. Service "liveness": only the "process" check, which answers as long as
            // the process serves gRPC: the liveness probe, so that a database outage makes silos unready
            // but never restarts them. (A service mapped to no check at all would answer UNKNOWN.)
            o.Services.Map(LivenessService, (HealthCheckMapContext check) => check.Tags.Contains(LivenessService));
        }).AddCheck("process", () => HealthCheckResult.Healthy("the process serves gRPC"), tags: [LivenessService]);
        builder.Services.AddGrpcReflection();
        return builder;
    }

    /// <summary>
    /// What every process of the suite (hosts and gateway) shares: single-line console logs with scopes
    /// (the correlation id), no Server header, and OpenTelemetry: ASP.NET Core, gRPC client, HttpClient,
    /// Orleans activities and meters, exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
    /// </summary>
    public static WebApplicationBuilder AddManufacturingTelemetry(this WebApplicationBuilder builder, string serviceName)
    {
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.IncludeScopes = true;
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = true;
            o.IncludeScopes = true;
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path))
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation()
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Yarp.ReverseProxy", "Manufacturing.Integration"))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddMeter("Microsoft.Orleans", "Manufacturing.Grains", "Manufacturing.Integration", "System.Net.Http", "Yarp.ReverseProxy"));

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// The endpoints every host serves: correlation ids, <c>grpc.health.v1</c>, reflection (so grpcurl
    /// works), <c>GET /healthz</c> (200 when every check is healthy, with a JSON body naming each check),
    /// <c>GET /alive</c> (the process answers) and <c>GET /placement</c> (this silo's plants and how many
    /// plant-affine activations of each plant it holds: counts only, no keys).
    /// </summary>
    public static WebApplication MapManufacturingEndpoints(this WebApplication app)
    {
        app.UseCorrelationIds();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = WriteHealth });
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = _ => false });
        app.MapGet("/placement", (IServiceProvider services) => services.GetService<Manufacturing.Grains.Placement.PlantPlacementOptions>() is { } options
            && services.GetService<Manufacturing.Grains.Placement.PlantActivations>() is { } activations
                ? Results.Json(new
                {
                    silo = services.GetService<Orleans.Runtime.ILocalSiloDetails>()?.SiloAddress.ToString(),
                    host = options.Host,
                    plants = options.Plants.Order(StringComparer.Ordinal).ToArray(),
                    activations = activations.Snapshot()
                        .GroupBy(g => Manufacturing.Grains.Placement.PlantPlacement.PlantOf(g.Key.ToString() ?? "") ?? "")
                        .OrderBy(g => g.Key, StringComparer.Ordinal)
                        .ToDictionary(g => g.Key, g => g.Count()),
                })
                : Results.NotFound());
        return app;
    }

    /// <summary>Takes the caller's <c>x-correlation-id</c> or makes one, and puts it on the request, the response, the logs and grain calls.</summary>
    public static IApplicationBuilder UseCorrelationIds(this IApplicationBuilder app) => app.UseMiddleware<Correlation.Middleware>();

    private static bool IsProbe(PathString path) => path.StartsWithSegments("/healthz") || path.StartsWithSegments("/alive") || path.StartsWithSegments("/placement");

    private static Task WriteHealth(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
