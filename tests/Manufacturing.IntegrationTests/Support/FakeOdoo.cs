using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Manufacturing.IntegrationTests.Support;

/// <summary>
/// A test double that speaks Odoo 19's JSON-2 API as a real HTTP server on loopback:
/// <c>POST /json/2/{model}/{method}</c> with <c>Authorization: bearer {key}</c> and named arguments,
/// errors as a status with <c>{name, message, arguments, context, debug}</c> (401 for a bad key, 404
/// for an unknown model or method, 422 for a validation error, 503 when made unavailable). It keeps
/// <c>mrp.production</c>, <c>stock.lot</c> and <c>quality.alert</c> records in memory and counts
/// every call, so the tests can prove what the connector posted, and how often. Marking an order
/// done sets its <c>qty_produced</c> to <c>qty_producing</c>, as Odoo's finished moves do; a test
/// can then edit a record behind the connector's back (<see cref="Edit"/>) to make drift.
/// </summary>
public sealed class FakeOdoo : IAsyncDisposable
{
    /// <summary>The API key the fake accepts.</summary>
    public const string ApiKey = "fake-odoo-api-key";

    /// <summary>The database and bot login JSON-RPC callers must name.</summary>
    public const string Database = "fake", Login = "mfg-bot";

    private const long BotUid = 2;

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<long, JsonObject> _productions = new();
    private readonly ConcurrentDictionary<long, JsonObject> _alerts = new();
    private readonly ConcurrentDictionary<long, JsonObject> _lots = new();
    private readonly ConcurrentDictionary<long, JsonObject> _moves = new();
    private readonly ConcurrentDictionary<long, JsonObject> _moveLines = new();
    private readonly ConcurrentDictionary<long, JsonObject> _purchaseLines = new();
    private readonly ConcurrentDictionary<long, JsonObject> _pickings = new();
    private readonly ConcurrentDictionary<string, long> _products = new(StringComparer.Ordinal);

    // Models only the inbound poll reads: work orders and centers, vendors, purchase orders, products by id.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<long, JsonObject>> _records = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private long _nextId = 100;
    private int _unavailable;

    private FakeOdoo(WebApplication app) => _app = app;

    /// <summary>Where it listens.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>While set, quality alerts are refused with a 422 ValidationError carrying this message (a business error).</summary>
    public string? RefuseAlerts { get; set; }

    /// <summary>Starts the fake on a free loopback port.</summary>
    public static async Task<FakeOdoo> StartAsync()
    {
        var (app, address) = LoopbackApp.Create();
        var fake = new FakeOdoo(app) { Address = address };
        app.MapPost("/json/2/{model}/{method}", fake.HandleAsync);
        app.MapPost("/jsonrpc", (Delegate)fake.HandleRpcAsync);
        await app.StartAsync();

        // It answers before anyone relies on it: a call without a key is refused with 401.
        using var probe = new HttpClient();
        using var answer = await probe.PostAsync(new Uri(fake.Address, "/json/2/res.users/context_get"), new StringContent("{}"));
        return answer.StatusCode == System.Net.HttpStatusCode.Unauthorized
            ? fake
            : throw new InvalidOperationException($"The fake Odoo at {fake.Address} answered {answer.StatusCode} instead of 401 (listening on {string.Join(", ", app.Urls)}).");
    }

    /// <summary>How many times <c>{model}.{method}</c> was called.</summary>
    public int Calls(string model, string method) => _calls.GetValueOrDefault($"{model}.{method}");

    /// <summary>Adds a confirmed manufacturing order named <paramref name="name"/> making <paramref name="product"/>, with two work orders; returns its id.</summary>
    public long AddProduction(string name, decimal quantity, string product = "BIKE-26")
    {
        var id = Interlocked.Increment(ref _nextId);
        _productions[id] = new JsonObject
        {
            ["id"] = id, ["name"] = name, ["state"] = "confirmed", ["qty_producing"] = 0m, ["qty_produced"] = 0m, ["product_qty"] = quantity, ["product_id"] = Product(product),
            ["marked_done"] = 0, ["mark_done_calls"] = 0,
        };
        AddWorkOrder(name, "WELD-1");
        AddWorkOrder(name, "ASSEMBLY-1");
        return id;
    }

    // A work order of the MO named production, ready, nobody working on it.
    private long AddWorkOrder(string production, string center)
    {
        var centerId = Records("mrp.workcenter").Values.FirstOrDefault(c => c["code"]!.GetValue<string>() == center)?["id"]!.GetValue<long>()
            ?? Add("mrp.workcenter", new JsonObject { ["code"] = center, ["name"] = $"Work center {center}" });
        return Add("mrp.workorder", new JsonObject
        {
            ["name"] = $"Step at {center}", ["workcenter_id"] = new JsonArray(centerId, $"Work center {center}"), ["production_id.name"] = production,
            ["state"] = "ready", ["is_user_working"] = false, ["starts"] = 0, ["pauses"] = 0,
        });
    }

    /// <summary>The work orders of the MO named <paramref name="production"/>, in id order.</summary>
    public IReadOnlyList<JsonObject> WorkOrders(string production) =>
        [.. Records("mrp.workorder").Values.Where(w => w["production_id.name"]?.GetValue<string>() == production).OrderBy(w => w["id"]!.GetValue<long>())];

    /// <summary>Odoo's <c>write_date</c> for now (UTC, whole seconds).</summary>
    public static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    private ConcurrentDictionary<long, JsonObject> Records(string model) => _records.GetOrAdd(model, _ => new());

    private long Add(string model, JsonObject record)
    {
        var id = Interlocked.Increment(ref _nextId);
        record["id"] = id;
        Records(model)[id] = record;
        return id;
    }

    /// <summary>
    /// Adds a manufacturing order as a planner confirms it in Odoo, for the inbound poll: product,
    /// quantity in <paramref name="uom"/>, planned dates, component moves (per order, not per unit)
    /// and one work order per work center code; stamped with <c>write_date</c> now (or
    /// <paramref name="writeDate"/>, for a transaction that committed late). Returns its id.
    /// </summary>
    public long AddManufacturingOrder(string name, string product, decimal quantity, DateTime start, DateTime end, (string Code, decimal Quantity)[] components,
        string[] workCenters, string uom = "Units", string? writeDate = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var moves = new JsonArray();
        foreach (var (code, amount) in components)
        {
            var move = AddComponentMove(name, code, amount);
            _moves[move]["product_uom"] = new JsonArray(1, "kg");
            moves.Add(move);
        }

        var workOrders = new JsonArray();
        foreach (var center in workCenters)
        {
            workOrders.Add(AddWorkOrder(name, center));
        }

        _productions[id] = new JsonObject
        {
            ["id"] = id, ["name"] = name, ["state"] = "confirmed", ["qty_producing"] = 0m, ["qty_produced"] = 0m, ["product_qty"] = quantity,
            ["marked_done"] = 0, ["mark_done_calls"] = 0, ["write_date"] = writeDate ?? Now(), ["product_id"] = Product(product),
            ["product_uom_id"] = new JsonArray(2, uom), ["date_start"] = Odoo(start), ["date_finished"] = Odoo(end),
            ["move_raw_ids"] = moves, ["workorder_ids"] = workOrders,
        };
        return id;
    }

    /// <summary>
    /// Adds a confirmed purchase order (state <c>purchase</c>) of the vendor with Reference
    /// <paramref name="vendorRef"/> ("" for a vendor without one), with its lines in kg; returns the
    /// ids of the lines.
    /// </summary>
    public long[] AddPurchaseOrder(string name, string vendorRef, (string Product, decimal Quantity, decimal Price, DateOnly Planned)[] lines)
    {
        var partner = Add("res.partner", new JsonObject { ["ref"] = vendorRef.Length > 0 ? vendorRef : false, ["name"] = $"Vendor {vendorRef}" });
        var lineIds = lines.Select(l =>
        {
            var line = AddPurchaseLine(name, l.Product, l.Quantity, l.Planned);
            _purchaseLines[line]["product_uom"] = new JsonArray(1, "kg");
            _purchaseLines[line]["price_unit"] = l.Price;
            _purchaseLines[line]["display_type"] = false;
            return line;
        }).ToArray();
        Add("purchase.order", new JsonObject
        {
            ["name"] = name, ["state"] = "purchase", ["write_date"] = Now(), ["partner_id"] = new JsonArray(partner, $"Vendor {vendorRef}"),
            ["currency_id"] = new JsonArray(1, "EUR"), ["order_line"] = new JsonArray([.. lineIds.Select(l => (JsonNode)l)]),
        });
        return lineIds;
    }

    /// <summary>Changes a purchase order line through its order's form: the line changes and the order gets a new <c>write_date</c>.</summary>
    public void EditPurchaseLine(long lineId, string field, JsonNode? value)
    {
        var line = _purchaseLines[lineId];
        var order = Records("purchase.order").Values.Single(o => o["order_line"]!.AsArray().Any(l => l!.GetValue<long>() == lineId));
        lock (order)
        {
            line[field] = value;
            order["write_date"] = Now();
        }
    }

    /// <summary>Gives the vendor of the purchase order named <paramref name="purchaseOrder"/> its Reference (which alone does not change the order).</summary>
    public void SetVendorReference(string purchaseOrder, string reference)
    {
        var order = Records("purchase.order").Values.Single(o => o["name"]!.GetValue<string>() == purchaseOrder);
        Records("res.partner")[order["partner_id"]![0]!.GetValue<long>()]["ref"] = reference;
    }

    private const string NoReference = "no-reference:";

    /// <summary>A product without an Internal Reference: its many2one display name is <paramref name="displayName"/>.</summary>
    public string ProductWithoutReference(string displayName)
    {
        var id = Interlocked.Increment(ref _nextId);
        _products[NoReference + displayName] = id;
        return NoReference + displayName;
    }

    private static string Odoo(DateTime at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Adds a lot named <paramref name="name"/> of <paramref name="product"/> with <paramref name="quantity"/> on hand; returns its id.</summary>
    public long AddLot(string name, decimal quantity, string product = "FRAME-26")
    {
        var id = Interlocked.Increment(ref _nextId);
        _lots[id] = new JsonObject { ["id"] = id, ["name"] = name, ["product_id"] = Product(product), ["product_qty"] = quantity };
        return id;
    }

    // A product as a many2one value: [id, "[code] code"], one id per code.
    private JsonArray Product(string code) => new(_products.GetOrAdd(code, _ => Interlocked.Increment(ref _nextId)),
        code.StartsWith(NoReference, StringComparison.Ordinal) ? code[NoReference.Length..] : $"[{code}] {code}");

    // product.product as the poll reads it: id and default_code (false for a product without reference).
    private IEnumerable<JsonObject> ProductRecords() => _products.Select(p => new JsonObject
    {
        ["id"] = p.Value, ["default_code"] = p.Key.StartsWith(NoReference, StringComparison.Ordinal) ? false : p.Key,
    });

    /// <summary>Adds an open component move of <paramref name="component"/> to the manufacturing order named <paramref name="production"/>; returns its id.</summary>
    public long AddComponentMove(string production, string component, decimal quantity)
    {
        var id = Interlocked.Increment(ref _nextId);
        _moves[id] = new JsonObject
        {
            ["id"] = id, ["raw_material_production_id.name"] = production, ["product_id.default_code"] = component, ["product_id"] = Product(component),
            ["location_id"] = new JsonArray(8, "WH/Stock"), ["location_dest_id"] = new JsonArray(15, "Virtual Locations/Production"),
            ["picking_id"] = false, ["state"] = "confirmed", ["product_uom_qty"] = quantity,
        };
        return id;
    }

    /// <summary>
    /// Adds a purchase order line of <paramref name="product"/> to the purchase order named
    /// <paramref name="purchaseOrder"/>, with its incoming receipt (a <c>stock.picking</c> and its move);
    /// returns the line's id.
    /// </summary>
    public long AddPurchaseLine(string purchaseOrder, string product, decimal quantity, DateOnly planned)
    {
        var line = Interlocked.Increment(ref _nextId);
        _purchaseLines[line] = new JsonObject
        {
            ["id"] = line, ["order_id.name"] = purchaseOrder, ["product_id"] = Product(product), ["product_qty"] = quantity,
            ["date_planned"] = $"{planned:yyyy-MM-dd} 00:00:00",
        };
        AddReceiptMove(purchaseOrder, line, product, quantity);
        return line;
    }

    private long AddReceiptMove(string purchaseOrder, long line, string product, decimal quantity)
    {
        var picking = Interlocked.Increment(ref _nextId);
        _pickings[picking] = new JsonObject { ["id"] = picking, ["name"] = $"WH/IN/{picking:00000}", ["origin"] = purchaseOrder, ["state"] = "assigned" };
        var move = Interlocked.Increment(ref _nextId);
        _moves[move] = new JsonObject
        {
            ["id"] = move, ["purchase_line_id"] = line, ["purchase_line_id.order_id.name"] = purchaseOrder, ["picking_id"] = new JsonArray(picking, $"WH/IN/{picking:00000}"),
            ["picking_id.picking_type_code"] = "incoming", ["product_id"] = Product(product), ["location_id"] = new JsonArray(4, "Partners/Vendors"),
            ["location_dest_id"] = new JsonArray(8, "WH/Stock"), ["state"] = "assigned", ["product_uom_qty"] = quantity,
        };
        return picking;
    }

    /// <summary>The purchase order line <paramref name="id"/>.</summary>
    public JsonObject PurchaseLine(long id) => _purchaseLines[id];

    /// <summary>The move lines on move <paramref name="move"/>, or on the moves of purchase line <paramref name="purchaseLine"/>.</summary>
    public IReadOnlyList<JsonObject> MoveLines(long? move = null, long? purchaseLine = null) =>
        [.. _moveLines.Values.Where(l => move is { } m ? l["move_id"]!.GetValue<long>() == m
            : _moves.TryGetValue(l["move_id"]!.GetValue<long>(), out var mv) && mv["purchase_line_id"]?.GetValue<long>() == purchaseLine)];

    /// <summary>The receipts (pickings) of the purchase order named <paramref name="purchaseOrder"/>, oldest first.</summary>
    public IReadOnlyList<JsonObject> Receipts(string purchaseOrder) =>
        [.. _pickings.Values.Where(p => p["origin"]!.GetValue<string>() == purchaseOrder).OrderBy(p => p["id"]!.GetValue<long>())];

    /// <summary>The moves of picking <paramref name="picking"/>.</summary>
    public IReadOnlyList<JsonObject> MovesOf(long picking) =>
        [.. _moves.Values.Where(m => m["picking_id"] is JsonArray p && p[0]!.GetValue<long>() == picking)];

    /// <summary>Changes <paramref name="field"/> of the <paramref name="model"/> record named <paramref name="name"/>, as a user in Odoo would.</summary>
    public void Edit(string model, string name, string field, JsonNode? value)
    {
        var records = model switch { "stock.lot" => _lots, "purchase.order.line" => _purchaseLines, "purchase.order" => Records("purchase.order"), _ => _productions };
        var record = records.Values.Single(r => r["name"]?.GetValue<string>() == name);
        lock (record)
        {
            record[field] = value;
            if (record.ContainsKey("write_date"))
            {
                record["write_date"] = Now(); // Odoo stamps every write
            }
        }
    }

    /// <summary>The manufacturing order named <paramref name="name"/>, or null.</summary>
    public JsonObject? Production(string name) => _productions.Values.FirstOrDefault(p => p["name"]!.GetValue<string>() == name);

    /// <summary>The scrap records on the manufacturing order named <paramref name="production"/>.</summary>
    public IReadOnlyList<JsonObject> Scraps(string production) =>
        [.. Records("stock.scrap").Values.Where(s => s["production_id.name"]?.GetValue<string>() == production).OrderBy(s => s["id"]!.GetValue<long>())];

    /// <summary>A scrap someone records by hand in Odoo on the manufacturing order named <paramref name="production"/> (done at once).</summary>
    public long AddScrap(string production, decimal quantity) =>
        Add("stock.scrap", new JsonObject
        {
            ["production_id"] = new JsonArray(Production(production)!["id"]!.GetValue<long>(), production), ["production_id.name"] = production,
            ["scrap_qty"] = quantity, ["state"] = "done", ["validations"] = 1,
        });

    /// <summary>The quality alerts carrying <paramref name="eventId"/> in the reference field.</summary>
    public IReadOnlyList<JsonObject> AlertsFor(string eventId) =>
        [.. _alerts.Values.Where(a => a["x_mfg_event_id"]?.GetValue<string>() == eventId)];

    /// <summary>Every quality alert about lot <paramref name="lotId"/> (by its title).</summary>
    public IReadOnlyList<JsonObject> AlertsAboutLot(string lotId) =>
        [.. _alerts.Values.Where(a => a["title"]?.GetValue<string>() == $"Lot {lotId} blocked")];

    /// <summary>Makes the next <paramref name="calls"/> calls fail with 503 (Odoo down or restarting); 0 brings it back.</summary>
    public void FailNext(int calls) => Volatile.Write(ref _unavailable, calls);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task<IResult> HandleAsync(string model, string method, HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.Equals($"bearer {ApiKey}", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.WWWAuthenticate = "bearer";
            return Error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey");
        }

        if (Interlocked.Decrement(ref _unavailable) >= 0)
        {
            return Error(503, "werkzeug.exceptions.ServiceUnavailable", "Service Unavailable");
        }

        Interlocked.Exchange(ref _unavailable, 0);
        JsonObject body;
        try
        {
            body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        }
        catch (Exception)
        {
            return Error(400, "werkzeug.exceptions.BadRequest", "The body is not JSON.");
        }

        var answer = Invoke(model, method, body);
        return answer.ErrorName is null ? Json(answer.Result) : Error(answer.Status, answer.ErrorName, answer.ErrorMessage!);
    }

    /// <summary>
    /// Odoo 16–18's JSON-RPC: <c>common.login</c> (a wrong login or key answers <c>false</c>, not an
    /// error) and <c>object.execute_kw(db, uid, key, model, method, args, kwargs)</c>, every answer
    /// HTTP 200, errors as <c>{"error": {"code": 200, "message": "Odoo Server Error", "data": {…}}}</c>.
    /// </summary>
    private async Task<IResult> HandleRpcAsync(HttpContext context)
    {
        var call = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        var id = call["id"]?.DeepClone();
        var service = call["params"]?["service"]?.GetValue<string>();
        var method = call["params"]?["method"]?.GetValue<string>();
        var args = call["params"]?["args"] as JsonArray ?? [];
        if (Interlocked.Decrement(ref _unavailable) >= 0)
        {
            return Error(503, "werkzeug.exceptions.ServiceUnavailable", "Service Unavailable");
        }

        Interlocked.Exchange(ref _unavailable, 0);
        Interlocked.Increment(ref _rpcCalls);
        if ((service, method) == ("common", "login"))
        {
            var valid = args.Count == 3 && args[0]?.GetValue<string>() == Database && args[1]?.GetValue<string>() == Login && args[2]?.GetValue<string>() == ApiKey;
            return Rpc(id, valid ? JsonValue.Create(BotUid) : JsonValue.Create(false));
        }

        if ((service, method) != ("object", "execute_kw") || args.Count < 6)
        {
            return RpcError(id, 404, "werkzeug.exceptions.NotFound", $"{service}.{method} is not served");
        }

        if (args[0]?.GetValue<string>() != Database || args[1]?.GetValue<long>() != BotUid || args[2]?.GetValue<string>() != ApiKey)
        {
            return RpcError(id, 200, "odoo.exceptions.AccessDenied", "Access Denied");
        }

        var model = args[3]!.GetValue<string>();
        var modelMethod = args[4]!.GetValue<string>();
        var positional = args[5] as JsonArray ?? [];
        var named = (JsonObject)(args.Count > 6 && args[6] is JsonObject kwargs ? kwargs.DeepClone() : new JsonObject());
        if (modelMethod == "create" && positional.Count > 0)
        {
            named["vals_list"] = positional[0]!.DeepClone();
        }
        else if (positional.Count > 0)
        {
            named["ids"] = positional[0]!.DeepClone();
        }

        var answer = Invoke(model, modelMethod, named);
        return answer.ErrorName is null ? Rpc(id, modelMethod == "create" && answer.Result is JsonArray { Count: 1 } one ? one[0]!.DeepClone() : answer.Result)
            : RpcError(id, 200, answer.ErrorName, answer.ErrorMessage!);
    }

    /// <summary>JSON-RPC calls served (logins included).</summary>
    public int RpcCalls => _rpcCalls;

    private int _rpcCalls;

    private sealed record Answer(int Status, JsonNode? Result, string? ErrorName = null, string? ErrorMessage = null);

    private static Answer Ok(JsonNode? result) => new(200, result);

    private static Answer Fail(int status, string name, string message) => new(status, null, name, message);

    private Answer Invoke(string model, string method, JsonObject body)
    {
        _calls.AddOrUpdate($"{model}.{method}", 1, (_, n) => n + 1);
        return (model, method) switch
        {
            ("mrp.production", "search_read") => Ok(Search(_productions.Values, body)),
            ("mrp.production", "write") => Write(body),
            ("mrp.production", "button_mark_done") => MarkDone(body),
            ("stock.lot", "search_read") => Ok(Search(_lots.Values, body)),
            ("stock.move", "search_read") => Ok(Search(_moves.Values, body)),
            ("stock.move.line", "search_read") => Ok(Search(_moveLines.Values, body)),
            ("stock.move.line", "create") => CreateMoveLines(body),
            ("stock.picking", "button_validate") => Validate(body),
            ("purchase.order.line", "search_read") => Ok(Search(_purchaseLines.Values, body)),
            ("purchase.order.line", "write") => WritePurchaseLines(body),
            ("quality.alert", "search_read") => Ok(Search(_alerts.Values, body)),
            ("quality.alert", "create") => CreateAlert(body),
            ("product.product", "search_read") => Ok(Search(ProductRecords(), body)),
            ("mrp.workorder" or "mrp.workcenter" or "res.partner" or "purchase.order", "search_read") => Ok(Search(Records(model).Values, body)),
            ("mrp.workorder", "button_start" or "button_pending") => Work(body, method == "button_start"),
            ("stock.scrap", "search_read") => Ok(Search(Records(model).Values, body)),
            ("stock.scrap", "create") => CreateScraps(body),
            ("stock.scrap", "action_validate") => ValidateScraps(body),
            _ => Fail(404, "werkzeug.exceptions.NotFound", $"the model '{model}' has no method '{method}'"),
        };
    }

    private static IResult Rpc(JsonNode? id, JsonNode? result) =>
        Results.Content(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["result"] = result }.ToJsonString(), "application/json");

    private static IResult RpcError(JsonNode? id, int code, string name, string message) => Results.Content(new JsonObject
    {
        ["jsonrpc"] = "2.0",
        ["id"] = id,
        ["error"] = new JsonObject
        {
            ["code"] = code,
            ["message"] = code == 404 ? "404: Not Found" : "Odoo Server Error",
            ["data"] = new JsonObject { ["name"] = name, ["message"] = message, ["arguments"] = new JsonArray(message), ["context"] = new JsonObject(), ["debug"] = "Traceback …" },
        },
    }.ToJsonString(), "application/json");

    // Odoo domains: terms [field, op, value] with =, in, not in (a many2one compared by its id) and >, >=, <, <= (numbers as numbers,
    // text as text; an empty field never compares), combined in prefix notation with "&", "|" and "!" and AND-ed at the top level;
    // dotted paths (order_id.name) are kept on the fake's records as they are. Sorted by "order" (field asc|desc, …), cut at "limit";
    // answers the fields asked for.
    private static JsonArray Search(IEnumerable<JsonObject> records, JsonObject body)
    {
        var items = body["domain"]!.AsArray().ToList();
        var position = 0;
        Func<JsonObject, bool> Next()
        {
            var item = items[position++];
            if (item is JsonValue text && text.GetValue<string>() is var op && op is "&" or "|" or "!")
            {
                var first = Next();
                if (op == "!")
                {
                    return r => !first(r);
                }

                var second = Next();
                return op == "&" ? r => first(r) && second(r) : r => first(r) || second(r);
            }

            return Term(item!.AsArray());
        }

        var terms = new List<Func<JsonObject, bool>>();
        while (position < items.Count)
        {
            terms.Add(Next());
        }

        var selected = records.Where(r => terms.All(t => t(r)));
        if (body["order"]?.GetValue<string>() is { Length: > 0 } order)
        {
            IOrderedEnumerable<JsonObject>? sorted = null;
            foreach (var key in order.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = key.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var descending = parts.Length > 1 && parts[1].Equals("desc", StringComparison.OrdinalIgnoreCase);
                Func<JsonObject, JsonNode?> field = r => Plain(r[parts[0]]);
                sorted = sorted is null
                    ? descending ? selected.OrderByDescending(field, Comparer) : selected.OrderBy(field, Comparer)
                    : descending ? sorted.ThenByDescending(field, Comparer) : sorted.ThenBy(field, Comparer);
            }

            selected = sorted ?? selected;
        }

        var fields = body["fields"] is JsonArray asked ? asked.Select(f => f!.GetValue<string>()).Append("id").ToHashSet() : null;
        var limit = body["limit"]?.GetValue<int>() ?? int.MaxValue;
        return [.. selected.Take(limit)
            .Select(r => (JsonNode)new JsonObject([.. ((JsonObject)r.DeepClone()).Where(f => fields is null || fields.Contains(f.Key))
                .Select(f => KeyValuePair.Create(f.Key, f.Value?.DeepClone()))]))];
    }

    private static Func<JsonObject, bool> Term(JsonArray term)
    {
        var (field, op) = (term[0]!.GetValue<string>(), term[1]!.GetValue<string>());
        switch (op)
        {
            case "=" or "in" or "not in":
                var values = term[2] is JsonArray list ? list.Select(v => v!.ToJsonString()).ToHashSet() : [term[2]!.ToJsonString()];
                return r => values.Contains(Plain(r[field])?.ToJsonString() ?? "false") != (op == "not in");
            case ">" or ">=" or "<" or "<=":
                var bound = term[2];
                return r =>
                {
                    var value = Plain(r[field]);
                    if (value is null || (value is JsonValue v && v.TryGetValue<bool>(out _)))
                    {
                        return false;
                    }

                    var compared = Comparer.Compare(value, bound);
                    return op switch { ">" => compared > 0, ">=" => compared >= 0, "<" => compared < 0, _ => compared <= 0 };
                };
            default:
                throw new InvalidOperationException($"The fake does not search with {op}.");
        }
    }

    // A many2one as its id; anything else as it is.
    private static JsonNode? Plain(JsonNode? value) => value is JsonArray { Count: 2 } many2one ? many2one[0] : value;

    private static readonly Comparer<JsonNode?> Comparer = Comparer<JsonNode?>.Create((a, b) =>
        Number(a) is { } m && Number(b) is { } n ? m.CompareTo(n)
        : string.CompareOrdinal(a is JsonValue s && s.TryGetValue<string>(out var left) ? left : a?.ToJsonString(), b is JsonValue t && t.TryGetValue<string>(out var right) ? right : b?.ToJsonString()));

    // Numbers kept in memory (long, int, decimal) and numbers parsed from a request alike.
    private static decimal? Number(JsonNode? node) => node is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.Number
        ? decimal.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)
        : null;

    // button_start starts the timer of the bot user on the work order (state progress), button_pending stops it.
    private Answer Work(JsonObject body, bool start)
    {
        foreach (var id in body["ids"]!.AsArray().Select(i => i!.GetValue<long>()))
        {
            if (!Records("mrp.workorder").TryGetValue(id, out var workOrder))
            {
                return Fail(404, "odoo.exceptions.MissingError", $"Record does not exist or has been deleted. (Record: mrp.workorder({id},))");
            }

            lock (workOrder)
            {
                workOrder["is_user_working"] = start;
                workOrder["state"] = "progress";
                workOrder[start ? "starts" : "pauses"] = workOrder[start ? "starts" : "pauses"]!.GetValue<int>() + 1;
            }
        }

        return Ok(true);
    }

    private Answer Write(JsonObject body)
    {
        foreach (var id in body["ids"]!.AsArray().Select(i => i!.GetValue<long>()))
        {
            if (!_productions.TryGetValue(id, out var production))
            {
                return Fail(404, "odoo.exceptions.MissingError", $"Record does not exist or has been deleted. (Record: mrp.production({id},))");
            }

            lock (production)
            {
                foreach (var (field, value) in body["vals"]!.AsObject())
                {
                    production[field] = value?.DeepClone();
                }
            }
        }

        return Ok(JsonValue.Create(true));
    }

    private Answer MarkDone(JsonObject body)
    {
        foreach (var id in body["ids"]!.AsArray().Select(i => i!.GetValue<long>()))
        {
            var production = _productions[id];
            lock (production)
            {
                production["mark_done_calls"] = production["mark_done_calls"]!.GetValue<int>() + 1;
                if (production["state"]!.GetValue<string>() == "done")
                {
                    return Fail(422, "odoo.exceptions.UserError", "The production order is already done.");
                }

                production["state"] = "done";
                production["qty_produced"] = production["qty_producing"]!.DeepClone();
                production["marked_done"] = production["marked_done"]!.GetValue<int>() + 1;
            }
        }

        return Ok(JsonValue.Create(true));
    }

    private Answer CreateMoveLines(JsonObject body)
    {
        var ids = new JsonArray();
        foreach (var values in body["vals_list"]!.AsArray())
        {
            var line = (JsonObject)values!.DeepClone();
            var moveId = line["move_id"]?.GetValue<long>() ?? 0;
            if (!_moves.TryGetValue(moveId, out var move))
            {
                return Fail(422, "odoo.exceptions.ValidationError", "A move line needs its move.");
            }

            if (line["location_id"] is null || line["location_dest_id"] is null)
            {
                return Fail(422, "odoo.exceptions.ValidationError", "The operation cannot be created: missing required fields location_id, location_dest_id.");
            }

            var id = Interlocked.Increment(ref _nextId);
            line["id"] = id;
            line["state"] = move["state"]!.DeepClone();
            line["picking_id"] = move["picking_id"]!.DeepClone();
            _moveLines[id] = line;
            ids.Add(id);
        }

        return Ok(ids);
    }

    private Answer WritePurchaseLines(JsonObject body)
    {
        foreach (var id in body["ids"]!.AsArray().Select(i => i!.GetValue<long>()))
        {
            if (!_purchaseLines.TryGetValue(id, out var line))
            {
                return Fail(404, "odoo.exceptions.MissingError", $"Record does not exist or has been deleted. (Record: purchase.order.line({id},))");
            }

            lock (line)
            {
                foreach (var (field, value) in body["vals"]!.AsObject())
                {
                    line[field] = value?.DeepClone();
                }

                line["writes"] = (line["writes"]?.GetValue<int>() ?? 0) + 1;
            }
        }

        return Ok(JsonValue.Create(true));
    }

    // Validates a receipt: its moves are done with what their picked lines hold; what is missing goes to a backorder.
    private Answer Validate(JsonObject body)
    {
        lock (_pickings)
        {
            foreach (var id in body["ids"]!.AsArray().Select(i => i!.GetValue<long>()))
            {
                var picking = _pickings[id];
                picking["validate_calls"] = (picking["validate_calls"]?.GetValue<int>() ?? 0) + 1;
                if (picking["state"]!.GetValue<string>() == "done")
                {
                    return Fail(422, "odoo.exceptions.UserError", "The receipt is already done.");
                }

                foreach (var move in MovesOf(id))
                {
                    var moveId = move["id"]!.GetValue<long>();
                    var lines = MoveLines(moveId);
                    var received = lines.Sum(l => l["quantity"]!.GetValue<decimal>());
                    var expected = move["product_uom_qty"]!.GetValue<decimal>();
                    if (received == 0 && body["context"]?["skip_backorder"]?.GetValue<bool>() != true)
                    {
                        return Ok(new JsonObject { ["type"] = "ir.actions.act_window", ["res_model"] = "stock.immediate.transfer" });
                    }

                    move["state"] = "done";
                    move["quantity"] = received;
                    foreach (var line in lines)
                    {
                        line["state"] = "done";
                    }

                    if (received < expected)
                    {
                        AddReceiptMove(picking["origin"]!.GetValue<string>(), move["purchase_line_id"]!.GetValue<long>(),
                            move["product_id"]![1]!.GetValue<string>().Split(']')[0].TrimStart('['), expected - received);
                    }
                }

                picking["state"] = "done";
            }
        }

        return Ok(JsonValue.Create(true));
    }

    // stock.scrap create: a draft scrap; production_id is the MO's id, answered back as [id, name] like Odoo's many2one.
    private Answer CreateScraps(JsonObject body)
    {
        var ids = new JsonArray();
        foreach (var values in body["vals_list"]!.AsArray())
        {
            var scrap = (JsonObject)values!.DeepClone();
            var productionId = scrap["production_id"]!.GetValue<long>();
            if (!_productions.TryGetValue(productionId, out var production))
            {
                return Fail(404, "odoo.exceptions.MissingError", $"Record does not exist or has been deleted. (Record: mrp.production({productionId},))");
            }

            var name = production["name"]!.GetValue<string>();
            scrap["production_id"] = new JsonArray(productionId, name);
            scrap["production_id.name"] = name;
            scrap["state"] = "draft";
            scrap["validations"] = 0;
            ids.Add(Add("stock.scrap", scrap));
        }

        return Ok(ids);
    }

    // stock.scrap action_validate: done (validating a done scrap is Odoo's UserError).
    private Answer ValidateScraps(JsonObject body)
    {
        foreach (var id in body["ids"]!.AsArray().Select(i => i!.GetValue<long>()))
        {
            if (!Records("stock.scrap").TryGetValue(id, out var scrap))
            {
                return Fail(404, "odoo.exceptions.MissingError", $"Record does not exist or has been deleted. (Record: stock.scrap({id},))");
            }

            lock (scrap)
            {
                if (scrap["state"]!.GetValue<string>() == "done")
                {
                    return Fail(422, "odoo.exceptions.UserError", "This scrap is already done.");
                }

                scrap["state"] = "done";
                scrap["validations"] = scrap["validations"]!.GetValue<int>() + 1;
            }
        }

        return Ok(true);
    }

    private Answer CreateAlert(JsonObject body)
    {
        if (RefuseAlerts is { } refusal)
        {
            return Fail(422, "odoo.exceptions.ValidationError", refusal);
        }

        var ids = new JsonArray();
        foreach (var values in body["vals_list"]!.AsArray())
        {
            var id = Interlocked.Increment(ref _nextId);
            var alert = (JsonObject)values!.DeepClone();
            alert["id"] = id;
            _alerts[id] = alert;
            ids.Add(id);
        }

        return Ok(ids);
    }

    private static IResult Json(JsonNode? node) => Results.Content(node?.ToJsonString() ?? "null", "application/json");

    private static IResult Error(int status, string name, string message) => Results.Content(new JsonObject
    {
        ["name"] = name,
        ["message"] = message,
        ["arguments"] = new JsonArray(message, status),
        ["context"] = new JsonObject(),
        ["debug"] = $"Traceback (most recent call last):\n  ...\n{name}: {message}",
    }.ToJsonString(), "application/json", statusCode: status);
}
