using System.Collections.Immutable;
using System.Net;
using System.Text.Json.Nodes;
using Manufacturing.Integration.Connectors;
using Manufacturing.Integration.Connectors.Odoo;
using Manufacturing.Integration.Connectors.Sap;
using Manufacturing.Integration.Domain;

namespace Manufacturing.UnitTests.Integration;

/// <summary>Reconciliation's comparison, and what the Odoo and SAP adapters read back, against scripted ERPs.</summary>
public sealed class ReconciliationTests
{
    private static OurRecord Order(string id, string good, string state = "COMPLETED") =>
        new("production_order", $"P100/{id}", "P100", state, new Dictionary<string, string> { ["good_quantity"] = good, ["unit_of_measure"] = "EA" });

    private static ErpRecord Erp(params (string Field, string Expected, string Actual)[] fields) => new("mrp.production/1",
        fields.ToImmutableDictionary(f => f.Field, f => f.Expected), fields.ToImmutableDictionary(f => f.Field, f => f.Actual));

    [Fact]
    public void Quantities_agree_as_numbers_whatever_their_notation_and_texts_as_text()
    {
        Assert.Empty(Reconciliation.Compare(Order("WO-1", "24"), Erp(("good_quantity", "24", "24.000"), ("done", "yes", "yes"))));
        Assert.Empty(Reconciliation.Compare(Order("WO-1", "24"), Erp(("good_quantity", "24 EA", "24"))));

        var drifts = Reconciliation.Compare(Order("WO-1", "24"), Erp(("good_quantity", "24", "20"), ("done", "yes", "no")));

        Assert.Equal([("done", "yes", "no"), ("good_quantity", "24", "20")], drifts.Select(d => (d.Field, d.Ours, d.Theirs)));
        Assert.All(drifts, d => Assert.Equal(("production_order", "P100/WO-1", "P100", "mrp.production/1"), (d.AggregateType, d.AggregateKey, d.Plant, d.ExternalRef)));
    }

    [Fact]
    public void A_record_the_erp_does_not_have_is_one_drift_on_existence()
    {
        var drift = Assert.Single(Reconciliation.Compare(Order("WO-1", "24") with { ExternalRef = "mrp.production/9" }, null));

        Assert.Equal((Reconciliation.Exists, "yes", "no", "mrp.production/9"), (drift.Field, drift.Ours, drift.Theirs, drift.ExternalRef));
    }

    [Fact]
    public void A_field_the_erp_left_empty_differs_from_a_number()
    {
        Assert.Equal("good_quantity", Assert.Single(Reconciliation.Compare(Order("WO-1", "24"), Erp(("good_quantity", "24", "")))).Field);
        Assert.Equal("24", Reconciliation.Text(24.000m));
        Assert.Equal("0.5", Reconciliation.Text(0.50m));
    }

    private static readonly ConnectorOptions OdooOptions = new() { Name = "odoo", Kind = "odoo", Protocol = "json2", BaseUrl = "http://127.0.0.1:1", Secret = "k", Plants = ["P100"] };

    private sealed class ScriptedOdoo(Func<string, JsonObject, JsonNode?> answer) : IOdooClient
    {
        public List<(string Model, string Method, JsonObject Arguments)> Calls { get; } = [];

        public Task<JsonNode?> CallAsync(string model, string method, JsonObject arguments, CancellationToken cancellationToken)
        {
            Calls.Add((model, method, arguments));
            return Task.FromResult(answer(model, arguments));
        }
    }

    [Fact]
    public async Task Odoo_orders_are_read_by_name_in_pages_and_compared_on_done_produced_and_scrapped_quantity()
    {
        var ours = Enumerable.Range(1, 250).Select(i => Order($"WO-{i}", "24")).ToList();
        ours[3] = ours[3] with { Fields = new Dictionary<string, string>(ours[3].Fields) { ["scrap_quantity"] = "2" } };
        ours[4] = ours[4] with { Fields = new Dictionary<string, string>(ours[4].Fields) { ["scrap_quantity"] = "1" } };
        var odoo = new ScriptedOdoo((model, arguments) => model == "stock.scrap"
            ? new JsonArray( // WO-4 scrapped 2 in two records; WO-5 none done
                new JsonObject { ["production_id"] = new JsonArray(4, "WO-4"), ["scrap_qty"] = 1.5 },
                new JsonObject { ["production_id"] = new JsonArray(4, "WO-4"), ["scrap_qty"] = 0.5 })
            : new JsonArray([.. arguments["domain"]![0]![2]!.AsArray()
                .Select(n => n!.GetValue<string>())
                .Where(name => name != "WO-3")
                .Select(name => (JsonNode)new JsonObject
                {
                    ["id"] = int.Parse(name[3..], System.Globalization.CultureInfo.InvariantCulture), ["name"] = name,
                    ["state"] = name == "WO-2" ? "progress" : "done", ["qty_produced"] = name == "WO-1" ? 20.0 : 24.0,
                })]));

        var theirs = await new OdooAdapter(odoo, OdooOptions).ReadAsync(ours, CancellationToken.None);

        var orders = odoo.Calls.Where(c => c.Model == "mrp.production").ToList();
        Assert.Equal([200, 50], orders.Select(c => c.Arguments["domain"]![0]![2]!.AsArray().Count));
        Assert.All(orders, c => Assert.Equal(("search_read", "in"), (c.Method, c.Arguments["domain"]![0]![1]!.GetValue<string>())));
        var scraps = odoo.Calls.Where(c => c.Model == "stock.scrap").ToList();
        Assert.Equal([200, 50], scraps.Select(c => c.Arguments["domain"]![0]![2]!.AsArray().Count));
        Assert.All(scraps, c => Assert.Equal("[\"state\",\"=\",\"done\"]", c.Arguments["domain"]![1]!.ToJsonString()));
        Assert.Equal(249, theirs.Count);
        var drifts = ours.SelectMany(o => Reconciliation.Compare(o, theirs.GetValueOrDefault(o.AggregateKey))).ToList();
        Assert.Equal([("P100/WO-1", "good_quantity", "24", "20"), ("P100/WO-2", "done", "yes", "no"), ("P100/WO-3", "exists", "yes", "no"),
            ("P100/WO-5", "scrap_quantity", "1", "0")],
            drifts.Select(d => (d.AggregateKey, d.Field, d.Ours, d.Theirs)));
        Assert.Equal("mrp.production/1", theirs["P100/WO-1"].ExternalRef);
    }

    [Fact]
    public async Task Odoo_lots_are_compared_on_quantity_on_hand()
    {
        var lot = new OurRecord("lot", "P100/LOT-9", "P100", "BLOCKED", new Dictionary<string, string> { ["quantity"] = "10", ["unit_of_measure"] = "EA" });
        var odoo = new ScriptedOdoo((model, _) => model == "stock.lot" ? new JsonArray(new JsonObject { ["id"] = 5, ["name"] = "LOT-9", ["product_qty"] = 7.5 }) : null);

        var theirs = await new OdooAdapter(odoo, OdooOptions).ReadAsync([lot], CancellationToken.None);

        var drift = Assert.Single(Reconciliation.Compare(lot, theirs["P100/LOT-9"]));
        Assert.Equal(("quantity", "10", "7.5", "stock.lot/5"), (drift.Field, drift.Ours, drift.Theirs, drift.ExternalRef));
    }

    private sealed class Script(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<Uri> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.RequestUri!);
            return Task.FromResult(answer(request));
        }
    }

    [Fact]
    public async Task Sap_counts_the_goods_receipts_of_each_order_that_were_not_cancelled()
    {
        var options = new ConnectorOptions
        {
            Name = "sap", Kind = "sap", Protocol = "odata", BaseUrl = "http://127.0.0.1:1", Login = "U", Secret = "p", Plants = ["P100"], SapPlants = new() { ["P100"] = "1010" },
        };
        var http = new Script(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("""
                {"d": {"results": [
                  {"MaterialDocument": "4900000001", "MaterialDocumentYear": "2026", "ManufacturingOrder": "1000001", "QuantityInEntryUnit": "24", "GoodsMovementIsCancelled": false},
                  {"MaterialDocument": "4900000002", "MaterialDocumentYear": "2026", "ManufacturingOrder": "1000002", "QuantityInEntryUnit": "24", "GoodsMovementIsCancelled": true},
                  {"MaterialDocument": "4900000003", "MaterialDocumentYear": "2026", "ManufacturingOrder": "1000002", "QuantityInEntryUnit": "20", "GoodsMovementIsCancelled": false}
                ]}}
                """, System.Text.Encoding.UTF8, "application/json"),
        });
        var ours = new[] { Order("1000001", "24"), Order("1000002", "24"), Order("1000003", "24") };

        var theirs = await new SapAdapter(new SapODataClient(new HttpClient(http), options), options).ReadAsync(ours, CancellationToken.None);

        var query = Uri.UnescapeDataString(Assert.Single(http.Requests).Query);
        Assert.Contains("$filter=(ManufacturingOrder eq '1000001' or ManufacturingOrder eq '1000002' or ManufacturingOrder eq '1000003') and GoodsMovementType eq '101'", query);
        var drifts = ours.SelectMany(o => Reconciliation.Compare(o, theirs.GetValueOrDefault(o.AggregateKey))).ToList();
        Assert.Equal([("P100/1000002", "good_quantity", "24", "20"), ("P100/1000003", "exists", "yes", "no")], drifts.Select(d => (d.AggregateKey, d.Field, d.Ours, d.Theirs)));
        Assert.Equal("material-document/2026/4900000003", theirs["P100/1000002"].ExternalRef);
    }

    [Fact]
    public async Task Confirmed_dates_are_compared_per_line_with_odoo_planned_dates_and_a_line_odoo_lost_shows_as_missing()
    {
        var odoo = new ScriptedOdoo((model, _) => model == "purchase.order.line"
            ? new JsonArray(new JsonObject { ["id"] = 17, ["date_planned"] = "2026-12-15 00:00:00" })
            : throw new InvalidOperationException(model));
        var ours = new OurRecord("purchase_order", "P100/PO-1", "P100", "CONFIRMED",
            new Dictionary<string, string> { ["confirmed_dates"] = "18=2026-12-20 17=2026-12-12" });

        var theirs = (await new OdooAdapter(odoo, OdooOptions).ReadAsync([ours], CancellationToken.None))["P100/PO-1"];
        var drift = Assert.Single(Reconciliation.Compare(ours, theirs));

        Assert.Equal(("confirmed_dates", "17=2026-12-12 18=2026-12-20", "17=2026-12-15 18=missing"), (drift.Field, drift.Ours, drift.Theirs));
        Assert.Equal("""[["id","in",[17,18]]]""", odoo.Calls.Single().Arguments["domain"]!.ToJsonString());
        Assert.Empty(Reconciliation.Compare(ours with { Fields = new Dictionary<string, string>() },
            (await new OdooAdapter(odoo, OdooOptions).ReadAsync([ours with { Fields = new Dictionary<string, string>() }], CancellationToken.None))["P100/PO-1"]));
    }
}
