using Manufacturing.Grains;
using Manufacturing.Quality.Api.Grpc;
using Manufacturing.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddManufacturingDefaults("quality");
builder.AddManufacturingSilo(StorageNames.Quality);

var app = builder.Build();
app.MapManufacturingEndpoints();
app.MapGrpcService<QualityGrpcService>();
app.Run();
