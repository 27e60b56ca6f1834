using Manufacturing.Grains;
using Manufacturing.ServiceDefaults;
using Manufacturing.ShopFloor.Api.Grpc;
using Manufacturing.ShopFloor.Api.Mapping;
using Manufacturing.ShopFloor.Api.Streaming;

var builder = WebApplication.CreateBuilder(args);
builder.AddManufacturingDefaults("shop-floor");
builder.AddManufacturingSilo(StorageNames.ShopFloor);
builder.Services.AddSingleton(builder.Configuration.GetSection("ShopFloor:Streaming").Get<PlantStreamingOptions>() ?? new PlantStreamingOptions());
builder.Services.AddSingleton<PlantEventIngestion>();
builder.Services.AddSingleton(WorkCenterMapping.Settings(builder.Configuration));

var app = builder.Build();
app.MapManufacturingEndpoints();
app.MapGrpcService<ShopFloorGrpcService>();
app.Run();
