using Manufacturing.Grains;
using Manufacturing.Procurement.Api.Grpc;
using Manufacturing.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddManufacturingDefaults("procurement");
builder.AddManufacturingSilo(StorageNames.Procurement);
builder.Services.AddSingleton<Manufacturing.Procurement.Grains.ProcurementPolicy>();

var app = builder.Build();
app.MapManufacturingEndpoints();
app.MapGrpcService<ProcurementGrpcService>();
app.Run();
