using Manufacturing.Grains;
using Manufacturing.Integration.Api.Grpc;
using Manufacturing.ServiceDefaults;

// The integration host joins the cluster with its own storage provider; its connector grains arrive
// with the connector issue. It serves the audit trail (manufacturing.governance.v1.AuditService).
var builder = WebApplication.CreateBuilder(args);
builder.AddManufacturingDefaults("integration");
builder.AddManufacturingSilo(StorageNames.Integration);

var app = builder.Build();
app.MapManufacturingEndpoints();
app.MapGrpcService<AuditGrpcService>();
app.Run();
