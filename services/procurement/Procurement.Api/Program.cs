using Manufacturing.Grains;
using Manufacturing.ServiceDefaults;

// The procurement host joins the cluster with its own storage provider; its grains and gRPC contract
// arrive with the domain-model and connector issues. It already serves health and reflection.
var builder = WebApplication.CreateBuilder(args);
builder.AddManufacturingDefaults("procurement");
builder.AddManufacturingSilo(StorageNames.Procurement);

var app = builder.Build();
app.MapManufacturingEndpoints();
app.Run();
