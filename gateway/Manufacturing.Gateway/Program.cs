using Manufacturing.Gateway;
using Manufacturing.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddManufacturingGateway();

var app = builder.Build();
app.UseCorrelationIds();
app.MapGatewayEndpoints();
app.MapGovernedProxy();
app.Run();
