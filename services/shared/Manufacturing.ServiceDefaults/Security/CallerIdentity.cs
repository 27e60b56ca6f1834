using System.Security.Claims;
using System.Text.RegularExpressions;
using Manufacturing.Domain;

namespace Manufacturing.ServiceDefaults.Security;

/// <summary>What kind of client a token names.</summary>
public enum ClientKind
{
    /// <summary><c>sap</c>: the SAP system (ERP of the plants configured to run SAP).</summary>
    Sap,

    /// <summary><c>odoo</c>: the Odoo system (ERP of the plants configured to run Odoo).</summary>
    Odoo,

    /// <summary><c>supplier:{vendor}</c>: one supplier, limited to its own purchase orders.</summary>
    Supplier,

    /// <summary><c>mes:{plant}</c>: one plant's MES, fenced to that plant.</summary>
    Mes,

    /// <summary><c>edge:{plant}</c>: one plant's edge agent, fenced to that plant; speaks for the MES.</summary>
    Edge,

    /// <summary><c>service:{name}</c>: an internal service (<c>service:quality</c> and <c>service:warehouse</c> are source systems).</summary>
    Service,

    /// <summary><c>sre</c>: operators; reads and administration, never business commands.</summary>
    Sre,
}

/// <summary>The scopes a token may grant.</summary>
public static class Scopes
{
    /// <summary>Read resources and lists.</summary>
    public const string Read = "read";

    /// <summary>Send commands (each still checked against the ownership policy).</summary>
    public const string Write = "write";

    /// <summary>Resolve parked exceptions, read the audit trail.</summary>
    public const string Review = "review";

    /// <summary>Administration (with the <c>sre</c> identity).</summary>
    public const string Admin = "admin";

    /// <summary>Every scope this suite knows.</summary>
    public static readonly IReadOnlyList<string> All = [Read, Write, Review, Admin];
}

/// <summary>
/// The authenticated caller, from a validated token: the client (<c>sap</c>, <c>mes:P100</c>, …), its
/// scopes, and what follows from it: the source system the ownership policy checks, and the plant or
/// supplier it is fenced to. Never taken from a header or field the caller sets.
/// </summary>
/// <param name="Client">The client name, as in the token (after the configured client map).</param>
/// <param name="Kind">What kind of client.</param>
/// <param name="Qualifier">The plant (mes, edge), vendor (supplier) or service name; empty otherwise.</param>
/// <param name="Scopes">The granted scopes that this suite knows.</param>
public sealed partial record CallerIdentity(string Client, ClientKind Kind, string Qualifier, IReadOnlySet<string> Scopes)
{
    /// <summary>The plant this caller is fenced to (mes and edge clients); null when it is not fenced.</summary>
    public string? Plant => Kind is ClientKind.Mes or ClientKind.Edge ? Qualifier : null;

    /// <summary>The vendor this caller is (supplier clients); null otherwise.</summary>
    public string? Vendor => Kind == ClientKind.Supplier ? Qualifier : null;

    /// <summary>
    /// The source system the ownership policy checks commands against. <see cref="SourceSystem.Unspecified"/>
    /// for clients that own no transition (<c>sre</c>, most <c>service:</c> clients): their commands are refused.
    /// </summary>
    public SourceSystem Source => Kind switch
    {
        ClientKind.Sap => SourceSystem.Sap,
        ClientKind.Odoo => SourceSystem.Odoo,
        ClientKind.Supplier => SourceSystem.Supplier,
        ClientKind.Mes or ClientKind.Edge => SourceSystem.Mes,
        ClientKind.Service when Qualifier == "quality" => SourceSystem.Quality,
        ClientKind.Service when Qualifier == "warehouse" => SourceSystem.Warehouse,
        _ => SourceSystem.Unspecified,
    };

    /// <summary>True when the token grants <paramref name="scope"/>.</summary>
    public bool Has(string scope) => Scopes.Contains(scope);

    /// <summary>The rate-limit class of this caller (its kind, lower case: <c>mes</c>, <c>supplier</c>, …).</summary>
    public string RateClass => Kind.ToString().ToLowerInvariant();

    /// <summary>
    /// Parses a client name (<c>sap</c>, <c>odoo</c>, <c>sre</c>, <c>supplier:{vendor}</c>,
    /// <c>mes:{plant}</c>, <c>edge:{plant}</c>, <c>service:{name}</c>); null when it is none of these.
    /// </summary>
    public static CallerIdentity? Parse(string? client, IEnumerable<string> scopes)
    {
        var match = ClientPattern().Match(client ?? "");
        if (!match.Success)
        {
            return null;
        }

        var kind = match.Groups["kind"].Value switch
        {
            "sap" => ClientKind.Sap,
            "odoo" => ClientKind.Odoo,
            "sre" => ClientKind.Sre,
            "supplier" => ClientKind.Supplier,
            "mes" => ClientKind.Mes,
            "edge" => ClientKind.Edge,
            _ => ClientKind.Service,
        };
        var known = scopes.Where(s => Security.Scopes.All.Contains(s)).ToHashSet(StringComparer.Ordinal);
        return new CallerIdentity(client!, kind, match.Groups["qualifier"].Value, known);
    }

    /// <summary>
    /// The identity a validated principal carries: the client from <c>client_id</c> (or <c>azp</c>,
    /// <c>appid</c>, <c>sub</c>), mapped through <paramref name="clientMap"/> (issuer client ids to
    /// client names), and the scopes from <c>scope</c>/<c>scp</c> (space-separated) and <c>roles</c>.
    /// </summary>
    public static CallerIdentity? FromPrincipal(ClaimsPrincipal principal, IReadOnlyDictionary<string, string> clientMap)
    {
        var id = new[] { "client_id", "azp", "appid", "sub" }.Select(principal.FindFirstValue).FirstOrDefault(v => !string.IsNullOrEmpty(v));
        if (id is null)
        {
            return null;
        }

        var client = clientMap.TryGetValue(id, out var mapped) ? mapped : id;
        var scopes = principal.FindAll("scope").Concat(principal.FindAll("scp")).Concat(principal.FindAll("roles")).Concat(principal.FindAll(ClaimTypes.Role))
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return Parse(client, scopes);
    }

    /// <summary>The client name patterns, for messages.</summary>
    public const string ClientNames = "sap, odoo, sre, supplier:{vendor}, mes:{plant}, edge:{plant}, service:{name}";

    [GeneratedRegex("^(?:(?<kind>sap|odoo|sre)|(?<kind>supplier):(?<qualifier>[A-Za-z0-9._-]{1,64})|(?<kind>mes|edge):(?<qualifier>[A-Za-z0-9_-]{1,16})|(?<kind>service):(?<qualifier>[a-z0-9-]{1,64}))$")]
    private static partial Regex ClientPattern();
}
