using Manufacturing.Grains;
using Manufacturing.ServiceDefaults;
using Manufacturing.ShopFloor.Api.Grpc;

var builder = WebApplication.CreateBuilder(args);
builder.AddManufacturingDefaults("shop-floor");
builder.AddManufacturingSilo(StorageNames.ShopFloor);

var app = builder.Build();
app.MapManufacturingEndpoints();
app.MapGrpcService<ShopFloorGrpcService>();
app.Run();
