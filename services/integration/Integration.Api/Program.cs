using Manufacturing.Grains;
using Manufacturing.Integration.Api;
using Manufacturing.Integration.Api.Grpc;
using Manufacturing.ServiceDefaults;

// The integration host: delivers the domains' business events to the ERPs through the configured
// connectors (Integration__Connectors__*), keeps dead letters for replay, and serves the audit trail.
var builder = WebApplication.CreateBuilder(args);
builder.AddManufacturingDefaults("integration");
builder.AddManufacturingSilo(StorageNames.Integration);
builder.AddIntegrationDelivery();

var app = builder.Build();
app.MapManufacturingEndpoints();
app.MapGrpcService<AuditGrpcService>();
app.MapGrpcService<IntegrationGrpcService>();
app.Run();
