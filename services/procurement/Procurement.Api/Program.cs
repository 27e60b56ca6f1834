using Manufacturing.Grains;
using Manufacturing.Procurement.Api.Grpc;
using Manufacturing.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddManufacturingDefaults("procurement");
builder.AddManufacturingSilo(StorageNames.Procurement);

var app = builder.Build();
app.MapManufacturingEndpoints();
app.MapGrpcService<ProcurementGrpcService>();
app.Run();
