using Manufacturing.Grains;
using Manufacturing.Inventory.Api.Grpc;
using Manufacturing.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddManufacturingDefaults("inventory");
builder.AddManufacturingSilo(StorageNames.Inventory);
builder.Services.AddSingleton<LotTracer>();

var app = builder.Build();
app.MapManufacturingEndpoints();
app.MapGrpcService<InventoryGrpcService>();
app.Run();
