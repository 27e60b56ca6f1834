using System.Text.RegularExpressions;

namespace Manufacturing.Integration.Connectors;

/// <summary>
/// One ERP connection (configuration <c>Integration:Connectors:{name}</c>): which ERP and protocol,
/// where, with which credentials, for which plants and workflows, and how hard to try.
/// </summary>
public sealed partial record ConnectorOptions
{
    /// <summary>The connection's name (the configuration key): <c>odoo-main</c>, <c>sap-p200</c>.</summary>
    public string Name { get; init; } = "";

    /// <summary><c>odoo</c> or <c>sap</c>.</summary>
    public string Kind { get; init; } = "";

    /// <summary>Odoo: <c>json2</c> (Odoo 19+, the default) or <c>jsonrpc</c> (Odoo 16–18, <c>execute_kw</c>). SAP: <c>odata</c>.</summary>
    public string Protocol { get; init; } = "";

    /// <summary>The ERP's base address (<c>https://erp.example.com</c>).</summary>
    public string BaseUrl { get; init; } = "";

    /// <summary>Odoo: the database (sent as <c>X-Odoo-Database</c> with JSON-2, required by JSON-RPC).</summary>
    public string Database { get; init; } = "";

    /// <summary>Odoo JSON-RPC: the bot user's login. SAP: the communication user.</summary>
    public string Login { get; init; } = "";

    /// <summary>A file holding the API key (Odoo) or password (SAP), read at start.</summary>
    public string? SecretFile { get; init; }

    /// <summary>The API key or password itself, when no file is given (development only).</summary>
    public string? Secret { get; init; }

    /// <summary>The plants whose events this connection carries.</summary>
    public List<string> Plants { get; init; } = [];

    /// <summary>The workflows it carries; empty: every workflow its adapter maps.</summary>
    public List<string> Workflows { get; init; } = [];

    /// <summary>Delivery attempts (each with its own quick retries) before a delivery becomes a dead letter. Default 8.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>The longest one ERP call may take. Default 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>ERP calls in flight at most, so that a slow ERP is not buried. Default 4.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>How long the circuit stays open once the ERP failed too often. Default 30 s.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Odoo: the field that carries our event id on the records the adapter creates (add it as a Char field, indexed). Default <c>x_mfg_event_id</c>.</summary>
    public string ReferenceField { get; init; } = "x_mfg_event_id";

    /// <summary>SAP: each plant's SAP plant code (<c>SapPlants__P200=1010</c>).</summary>
    public Dictionary<string, string> SapPlants { get; init; } = [];

    /// <summary>SAP: the storage location goods receipts post to. Default <c>0001</c>.</summary>
    public string StorageLocation { get; init; } = "0001";

    /// <summary>
    /// SAP: the SAP storage location of each of our stock locations (<c>StorageLocations__RM-01=0002</c>),
    /// which transfers between locations (movement type 311) need for both ends.
    /// </summary>
    public Dictionary<string, string> StorageLocations { get; init; } = [];

    /// <summary>
    /// SAP: whether our lots travel as SAP batches (<c>Batch</c>) on consumptions, receipts and
    /// transfers. True (the default) when the materials are batch-managed in SAP; SAP refuses a batch
    /// for a material that is not, and requires one for a material that is. Default true.
    /// </summary>
    public bool Batches { get; init; } = true;

    /// <summary>Odoo: what to poll from Odoo into this system (released manufacturing orders, confirmed purchase orders). Off unless <c>Inbound__Enabled=true</c>.</summary>
    public OdooInboundOptions Inbound { get; init; } = new();

    /// <summary>SAP: the client (<c>sap-client</c>), when the system has several.</summary>
    public string SapClient { get; init; } = "";

    /// <summary>The secret, from the file or the setting.</summary>
    public string ReadSecret() => SecretFile is { Length: > 0 } file ? File.ReadAllText(file).Trim() : Secret ?? "";

    /// <summary>Checks the settings; throws naming the setting to fix.</summary>
    public void Validate()
    {
        var at = $"Integration__Connectors__{Name}";
        if (!NamePattern().IsMatch(Name))
        {
            throw new InvalidOperationException($"{at}: a connector name is 1 to 32 of a-z, 0-9 and -.");
        }

        if ((Kind, Protocol) is not (("odoo", "json2" or "jsonrpc") or ("sap", "odata")))
        {
            throw new InvalidOperationException($"{at}__Kind / __Protocol must be odoo with json2 or jsonrpc, or sap with odata.");
        }

        if (Kind == "sap" && (Login.Length == 0 || Plants.Any(p => !SapPlants.ContainsKey(p))))
        {
            throw new InvalidOperationException($"{at}: SAP needs __Login (the communication user) and __SapPlants__{{plant}} (SAP's plant code) for every plant it serves.");
        }

        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"{at}__BaseUrl must be the ERP's http(s) address.");
        }

        if (Plants.Count == 0)
        {
            throw new InvalidOperationException($"{at}__Plants must name at least one plant.");
        }

        if (Protocol == "jsonrpc" && (Database.Length == 0 || Login.Length == 0))
        {
            throw new InvalidOperationException($"{at}: Odoo JSON-RPC needs __Database and __Login.");
        }

        if (string.IsNullOrEmpty(SecretFile) && string.IsNullOrEmpty(Secret))
        {
            throw new InvalidOperationException($"{at}__SecretFile must name the file with the API key or password.");
        }

        if (Inbound.Enabled)
        {
            if (Kind != "odoo")
            {
                throw new InvalidOperationException($"{at}__Inbound: only Odoo connectors poll; SAP sends IDocs (POST /integration/v1/idocs).");
            }

            if (Inbound.PlantFor(Plants) is null)
            {
                throw new InvalidOperationException($"{at}__Inbound__Plant must name the plant Odoo's orders are for, one of __Plants ({string.Join(", ", Plants)}).");
            }

            if (string.IsNullOrEmpty(Inbound.TokenFile) && string.IsNullOrEmpty(Inbound.Token))
            {
                throw new InvalidOperationException($"{at}__Inbound__TokenFile must name the file with a bearer token for the odoo identity (read and write scopes).");
            }

            if (Inbound.Interval < TimeSpan.FromSeconds(1) || Inbound.Interval > TimeSpan.FromHours(1) || Inbound.Lag < TimeSpan.Zero || Inbound.Lag > TimeSpan.FromHours(1)
                || Inbound.PageSize is < 1 or > 500)
            {
                throw new InvalidOperationException($"{at}__Inbound: Interval 00:00:01..01:00:00, Lag 0..01:00:00, PageSize 1..500.");
            }
        }

        if (MaxAttempts is < 1 or > 100 || MaxConcurrency is < 1 or > 64 || Timeout <= TimeSpan.Zero || BreakDuration <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{at}: MaxAttempts 1..100, MaxConcurrency 1..64, Timeout and BreakDuration above zero.");
        }
    }

    [GeneratedRegex("^[a-z0-9-]{1,32}$")]
    private static partial Regex NamePattern();
}

/// <summary>
/// Polling Odoo for its changes (<c>Integration:Connectors:{name}:Inbound</c>). Odoo's webhooks are
/// fire-and-forget, so changes are read by <c>write_date</c> with a durable cursor; a webhook only
/// makes the next poll come sooner.
/// </summary>
public sealed record OdooInboundOptions
{
    /// <summary>Whether to poll at all. Default false.</summary>
    public bool Enabled { get; init; }

    /// <summary>The plant Odoo's orders are for; may be left out when the connector serves one plant.</summary>
    public string Plant { get; init; } = "";

    /// <summary>A file with a bearer token of the <c>odoo</c> identity (scopes read and write), read again for every poll so it can be rotated.</summary>
    public string? TokenFile { get; init; }

    /// <summary>The token itself, when no file is given (development only).</summary>
    public string? Token { get; init; }

    /// <summary>How often to poll. Default 30 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How far behind the newest <c>write_date</c> seen each poll reads again. Odoo stamps a record with
    /// its transaction's start, so a long transaction can commit a change dated before one already read;
    /// reading the last minute again (and skipping what was applied) catches it. Default 60 s.
    /// </summary>
    public TimeSpan Lag { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A file with the key Odoo's webhooks carry (<c>?key=…</c> on the webhook URL), which lets them
    /// make the next poll come sooner; without it, webhooks are refused. At least 32 characters.
    /// </summary>
    public string? WebhookKeyFile { get; init; }

    /// <summary>The webhook key, from the file (read now); "" when none is set.</summary>
    public string ReadWebhookKey() => WebhookKeyFile is { Length: > 0 } file ? File.ReadAllText(file).Trim() : "";

    /// <summary>Records changed before this time are not read (the first poll starts here). Default: all open orders.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Records read per call. Default 50.</summary>
    public int PageSize { get; init; } = 50;

    /// <summary>
    /// Odoo's units of measure (their names) mapped to the unit codes used here. Added to the defaults
    /// <c>Units</c> → <c>EA</c>, <c>kg</c> → <c>KG</c>, <c>g</c> → <c>G</c>, <c>L</c> → <c>L</c>, <c>m</c> → <c>M</c>.
    /// </summary>
    public Dictionary<string, string> Units { get; init; } = [];

    /// <summary>The plant polled records are for: <see cref="Plant"/>, or the only one of <paramref name="plants"/>; null when neither names one of them.</summary>
    public string? PlantFor(IReadOnlyList<string> plants) =>
        Plant.Length > 0 ? (plants.Contains(Plant) ? Plant : null) : plants.Count == 1 ? plants[0] : null;

    /// <summary>The bearer token, from the file (read now) or the setting.</summary>
    public string ReadToken() => TokenFile is { Length: > 0 } file ? File.ReadAllText(file).Trim() : Token ?? "";
}
