using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Manufacturing.IntegrationTests.Support;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>The gateway's REST side: JSON transcoding through YARP, health, correlation ids.</summary>
[Collection(SuiteCollection.Name)]
public sealed class GatewayRestTests(SuiteFixture suite)
{
    private static string ReleaseJson(string orderId, string messageId) => $$$"""
        {
          "productionOrderId": "{{{orderId}}}",
          "productionOrder": {
            "product": "BIKE-26", "quantity": {"value": "25", "unitOfMeasure": "EA"},
            "components": [{"material": "FRAME-26", "quantityPerUnit": {"value": "1", "unitOfMeasure": "EA"}}],
            "operations": [{"operationId": "0010", "workCenter": "ASSEMBLY-1"}],
            "plannedStartTime": "2026-12-01T06:00:00Z", "plannedEndTime": "2026-12-01T14:00:00Z"},
          "metadata": {"messageId": "{{{messageId}}}", "occurredAt": "2026-11-23T08:00:00Z"}
        }
        """;

    [Fact]
    public async Task Release_and_read_back_over_rest_through_the_gateway()
    {
        var id = Unique("WO");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/shop-floor/v1/plants/P100/productionOrders:release")
        {
            Content = new StringContent(ReleaseJson(id, Unique("erp")), System.Text.Encoding.UTF8, "application/json"),
        };
        var odoo = suite.HttpAs("odoo");
        using var release = await odoo.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, release.StatusCode);

        var order = await odoo.GetFromJsonAsync<JsonElement>($"/shop-floor/v1/plants/P100/productionOrders/{id}");
        Assert.Equal($"plants/P100/productionOrders/{id}", order.GetProperty("productionOrder").GetProperty("name").GetString());
        Assert.Equal("PRODUCTION_ORDER_STATE_RELEASED", order.GetProperty("productionOrder").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Rest_errors_carry_the_status_and_google_rpc_details()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/shop-floor/v1/plants/P100/productionOrders:release")
        {
            Content = new StringContent("""{"productionOrderId": "WO-X", "productionOrder": {"product": "B"}, "metadata": {"messageId": "m"}}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        using var response = await suite.HttpAs("odoo").SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, body.GetProperty("code").GetInt32());
        var details = body.GetProperty("details").EnumerateArray().ToList();
        Assert.Contains(details, d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.ErrorInfo" &&
                                      d.GetProperty("reason").GetString() == "INVALID_FIELDS");
        var badRequest = details.Single(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.BadRequest");
        Assert.Contains(badRequest.GetProperty("fieldViolations").EnumerateArray(), v => v.GetProperty("field").GetString() == "production_order.quantity");
    }

    [Fact]
    public async Task Unknown_resource_over_rest_is_404_with_details()
    {
        using var response = await suite.HttpAs("warehouse").GetAsync($"/inventory/v1/plants/P100/lots/{Unique("LOT")}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(5, body.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Gateway_health_names_every_domain_service()
    {
        using var response = await suite.GatewayHttp.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var services = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("services");
        foreach (var (name, _) in SuiteFixture.DomainHosts)
        {
            Assert.Equal("Healthy", services.GetProperty(name).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Correlation_id_is_kept_when_given_and_generated_when_absent()
    {
        using var given = new HttpRequestMessage(HttpMethod.Get, $"/shop-floor/v1/plants/P100/productionOrders/{Unique("WO")}");
        given.Headers.Add("x-correlation-id", "plant-P100-req-42");
        var odoo = suite.HttpAs("odoo");
        using var withId = await odoo.SendAsync(given);
        using var withoutId = await odoo.GetAsync($"/shop-floor/v1/plants/P100/productionOrders/{Unique("WO")}");

        Assert.Equal("plant-P100-req-42", Assert.Single(withId.Headers.GetValues("x-correlation-id")));
        var generated = Assert.Single(withoutId.Headers.GetValues("x-correlation-id"));
        Assert.Equal(32, generated.Length);
    }
}
