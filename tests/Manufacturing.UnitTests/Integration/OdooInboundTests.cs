using System.Text.Json.Nodes;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Integration.Connectors;
using Manufacturing.Integration.Connectors.Odoo;

namespace Manufacturing.UnitTests.Integration;

/// <summary>Polling Odoo: the cursor's arithmetic, and what the reader asks Odoo and makes of its answers.</summary>
public sealed class OdooInboundTests
{
    private static readonly TimeSpan Lag = TimeSpan.FromSeconds(60);

    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static InboundVersion V(string writeDate, string hash = "A") => new() { WriteDate = writeDate, Hash = hash };

    [Fact]
    public void The_cursor_reads_again_from_the_lag_before_the_newest_change_and_skips_the_versions_it_applied()
    {
        var cursor = new InboundCursor();
        Assert.Equal("1970-01-01 00:00:00", cursor.Floor(Lag, null));
        Assert.Equal("2026-11-01 00:00:00", cursor.Floor(Lag, new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero)));

        cursor = cursor.Applied(7, V("2026-11-24 10:00:00"), Lag).Applied(8, V("2026-11-24 10:00:30"), Lag);
        Assert.Equal(("2026-11-24 10:00:30", "2026-11-24 09:59:30"), (cursor.High, cursor.Floor(Lag, null)));

        Assert.False(cursor.IsNew(7, V("2026-11-24 10:00:00")));      // read again within the lag: not applied twice
        Assert.True(cursor.IsNew(7, V("2026-11-24 10:00:00", "B")));  // changed again within the same second
        Assert.True(cursor.IsNew(7, V("2026-11-24 10:00:05")));
        Assert.True(cursor.IsNew(9, V("2026-11-24 09:59:40")));       // committed late, dated before the newest: still new

        // Versions that fall out of the lag are forgotten; the cursor never moves back.
        cursor = cursor.Applied(9, V("2026-11-24 10:02:00"), Lag).Applied(10, V("2026-11-24 09:59:00"), Lag);
        Assert.Equal("2026-11-24 10:02:00", cursor.High);
        Assert.Equal([9], cursor.Seen.Keys);
    }

    /// <summary>Answers search_read from canned records per model, and records every call.</summary>
    private sealed class ScriptedOdoo(Dictionary<string, JsonArray> records) : IOdooClient
    {
        public List<(string Model, JsonObject Arguments)> Calls { get; } = [];

        public Task<JsonNode?> CallAsync(string model, string method, JsonObject arguments, CancellationToken cancellationToken)
        {
            Calls.Add((model, (JsonObject)arguments.DeepClone()));
            var all = records.GetValueOrDefault(model) ?? [];
            var ids = arguments["domain"]!.AsArray().OfType<JsonArray>().FirstOrDefault(t => t[0]!.GetValue<string>() == "id" && t[1]!.GetValue<string>() == "in")?[2]!.AsArray()
                .Select(i => long.Parse(i!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
            return Task.FromResult<JsonNode?>(new JsonArray([.. all.Where(r => ids is null || ids.Contains(long.Parse(r!["id"]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)))
                .Select(r => r!.DeepClone())]));
        }
    }

    private static readonly ConnectorOptions Options = new()
    {
        Name = "odoo-in", Kind = "odoo", Protocol = "json2", BaseUrl = "http://127.0.0.1:1", Secret = "k", Plants = ["P300"],
        Inbound = new OdooInboundOptions { Enabled = true, Token = "t", PageSize = 2, Units = new() { ["Dozens"] = "DZ" } },
    };

    private static ScriptedOdoo Odoo() => new(new Dictionary<string, JsonArray>
    {
        ["mrp.production"] = [
            new JsonObject
            {
                ["id"] = 41, ["name"] = "MO-41", ["state"] = "confirmed", ["write_date"] = "2026-11-24 10:00:00", ["product_id"] = new JsonArray(501, "[FURN_8888] Bike"),
                ["product_qty"] = 4, ["product_uom_id"] = new JsonArray(1, "Units"), ["date_start"] = "2026-12-01 06:00:00", ["date_finished"] = "2026-12-01 14:00:00",
                ["move_raw_ids"] = new JsonArray(61, 62), ["workorder_ids"] = new JsonArray(72, 71),
            },
            new JsonObject
            {
                ["id"] = 42, ["name"] = "MO-42", ["state"] = "confirmed", ["write_date"] = "2026-11-24 10:00:00", ["product_id"] = new JsonArray(503, "Frame"),
                ["product_qty"] = 3, ["product_uom_id"] = new JsonArray(9, "Boxes"), ["date_start"] = false, ["date_finished"] = false,
                ["move_raw_ids"] = new JsonArray(), ["workorder_ids"] = new JsonArray(),
            },
        ],
        ["stock.move"] = [
            new JsonObject { ["id"] = 61, ["product_id"] = new JsonArray(502, "Steel"), ["product_uom_qty"] = 10, ["product_uom"] = new JsonArray(2, "kg"), ["state"] = "confirmed" },
            new JsonObject { ["id"] = 62, ["product_id"] = new JsonArray(502, "Steel"), ["product_uom_qty"] = 1, ["product_uom"] = new JsonArray(2, "kg"), ["state"] = "cancel" },
        ],
        ["mrp.workorder"] = [
            new JsonObject { ["id"] = 71, ["name"] = "Weld", ["workcenter_id"] = new JsonArray(81, "Welding") },
            new JsonObject { ["id"] = 72, ["name"] = "Paint", ["workcenter_id"] = new JsonArray(82, "Painting") },
        ],
        ["mrp.workcenter"] = [new JsonObject { ["id"] = 81, ["code"] = "WC-WELD" }, new JsonObject { ["id"] = 82, ["code"] = "WC-PAINT" }],
        ["product.product"] = [
            new JsonObject { ["id"] = 501, ["default_code"] = "FURN_8888" }, new JsonObject { ["id"] = 502, ["default_code"] = "STEEL-S235" },
            new JsonObject { ["id"] = 503, ["default_code"] = false },
        ],
    });

    [Fact]
    public async Task Manufacturing_orders_become_orders_here_in_our_codes_and_what_cannot_be_mapped_says_why()
    {
        var odoo = Odoo();
        var reader = new OdooInboundReader(odoo, Options, new CodeMap([(SourceSystem.Odoo, "FURN_8888", "BIKE-26")]));

        var changes = await reader.ReadAsync("mrp.production", "2026-11-24 09:59:00", null, CancellationToken.None);

        var bike = changes[0];
        Assert.Equal(("MO-41", "", "BIKE-26", 4m, "EA"), (bike.Name, bike.Problem, bike.Production!.Product, bike.Production.Quantity, bike.Production.Unit));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero), bike.Production.Start);
        Assert.Equal([new InboundComponent("STEEL-S235", 2.5m, "KG")], bike.Production.Components); // per unit; the cancelled move left out
        Assert.Equal([new InboundOperation("0010", "WC-WELD", "Weld"), new InboundOperation("0020", "WC-PAINT", "Paint")], bike.Production.Operations);

        var frame = changes[1];
        Assert.Contains("Frame has no Internal Reference", frame.Problem, StringComparison.Ordinal);
        Assert.Contains("'Boxes' is not mapped (Integration__Connectors__odoo-in__Inbound__Units__Boxes=<unit code>)", frame.Problem, StringComparison.Ordinal);
        Assert.Contains("no work orders", frame.Problem, StringComparison.Ordinal);

        var query = odoo.Calls[0].Arguments;
        Assert.Equal("""[["state","in",["confirmed","progress","to_close","cancel"]],["write_date",">=","2026-11-24 09:59:00"]]""", query["domain"]!.ToJsonString(Relaxed));
        Assert.Equal(("write_date asc, id asc", 2), (query["order"]!.GetValue<string>(), query["limit"]!.GetValue<int>()));
        Assert.NotEqual(bike.Hash, bike with { Production = bike.Production with { Quantity = 5 } } is var changed ? changed.Hash : "");
    }

    [Fact]
    public async Task The_next_page_starts_strictly_after_the_last_record_read_even_within_one_second()
    {
        var odoo = Odoo();

        await new OdooInboundReader(odoo, Options).ReadAsync("purchase.order", "2026-11-24 09:59:00", ("2026-11-24 10:00:00", 42), CancellationToken.None);

        Assert.Equal("""[["state","in",["purchase","done"]],"|",["write_date",">","2026-11-24 10:00:00"],"&",["write_date","=","2026-11-24 10:00:00"],["id",">",42]]""",
            odoo.Calls[0].Arguments["domain"]!.ToJsonString(Relaxed));
    }

    public static TheoryData<ConnectorOptions, string> Misconfigured => new()
    {
        { Options with { Kind = "sap", Protocol = "odata", Login = "U", SapPlants = new() { ["P300"] = "1030" } }, "only Odoo connectors poll" },
        { Options with { Plants = ["P300", "P400"] }, "Inbound__Plant must name the plant" },
        { Options with { Inbound = Options.Inbound with { Plant = "P999" } }, "Inbound__Plant must name the plant" },
        { Options with { Inbound = Options.Inbound with { Token = null, TokenFile = null } }, "Inbound__TokenFile must name the file" },
        { Options with { Inbound = Options.Inbound with { Interval = TimeSpan.Zero } }, "Interval 00:00:01..01:00:00" },
        { Options with { Inbound = Options.Inbound with { PageSize = 0 } }, "PageSize 1..500" },
    };

    [Theory]
    [MemberData(nameof(Misconfigured))]
    public void Polling_settings_that_cannot_work_stop_the_host_naming_the_setting(ConnectorOptions options, string message)
    {
        var failed = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.Contains(message, failed.Message, StringComparison.Ordinal);
        Assert.StartsWith("Integration__Connectors__odoo-in", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_connector_serving_one_plant_polls_for_it_and_the_token_file_is_read_for_every_poll()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, " first \n");
            var options = Options with { Inbound = Options.Inbound with { Token = null, TokenFile = file } };
            options.Validate();
            Assert.Equal(("P300", "first"), (options.Inbound.PlantFor(options.Plants), options.Inbound.ReadToken()));

            File.WriteAllText(file, "rotated");
            Assert.Equal("rotated", options.Inbound.ReadToken());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
