using Manufacturing.Grains;
using Manufacturing.ServiceDefaults;

// The integration host joins the cluster with its own storage provider; its grains and gRPC contract
// arrive with the domain-model and connector issues. It already serves health and reflection.
var builder = WebApplication.CreateBuilder(args);
builder.AddManufacturingDefaults("integration");
builder.AddManufacturingSilo(StorageNames.Integration);

var app = builder.Build();
app.MapManufacturingEndpoints();
app.Run();
