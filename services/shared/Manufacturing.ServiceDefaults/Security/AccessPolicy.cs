using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Manufacturing.ServiceDefaults.Security;

/// <summary>What a call needs from its caller.</summary>
public enum Access
{
    /// <summary>Nothing: health checks (Kubernetes probes).</summary>
    Anonymous,

    /// <summary>Any valid token (gRPC reflection).</summary>
    Authenticated,

    /// <summary>The <c>read</c> scope: Get…, List…, Trace… RPCs and REST GETs.</summary>
    Read,

    /// <summary>The <c>write</c> scope: every command; the grain then checks ownership.</summary>
    Write,

    /// <summary>The <c>review</c> scope: resolving parked exceptions (the command's source is then <c>reviewer</c>).</summary>
    Review,

    /// <summary>The <c>sre</c> identity or the <c>review</c> scope: reading the audit trail, operating the ERP deliveries (connectors, dead letters).</summary>
    Audit,
}

/// <summary>
/// The one access table of the suite, applied by the gateway (to what it sees: the gRPC method or
/// the REST method and path) and again by every service (to the RPC it serves), so that a caller that
/// reaches a service directly meets the same rules. docs/security.md shows it.
/// </summary>
public static class AccessPolicy
{
    /// <summary>What the gRPC method <paramref name="fullMethod"/> (<c>/package.Service/Method</c>) needs.</summary>
    public static Access ForRpc(string fullMethod)
    {
        if (fullMethod.StartsWith("/grpc.health.", StringComparison.Ordinal))
        {
            return Access.Anonymous;
        }

        if (fullMethod.StartsWith("/grpc.reflection.", StringComparison.Ordinal))
        {
            return Access.Authenticated;
        }

        if (fullMethod == NotifyRpc)
        {
            return Access.Anonymous; // Odoo's webhooks send no credentials: the connector's webhook key in the request decides, and all it can do is poll sooner
        }

        if (fullMethod == IdocRpc)
        {
            return Access.Write; // an ERP or a supplier sending an IDoc: the procurement commands it stands for decide the rest
        }

        if (fullMethod.StartsWith("/manufacturing.integration.v1.IntegrationService/", StringComparison.Ordinal))
        {
            return Access.Audit; // operating the ERP deliveries: connectors, dead letters, drift
        }

        var method = fullMethod[(fullMethod.LastIndexOf('/') + 1)..];
        return method switch
        {
            "ListAuditRecords" => Access.Audit,
            _ when method.StartsWith("Resolve", StringComparison.Ordinal) => Access.Review,
            _ when method.StartsWith("Get", StringComparison.Ordinal) || method.StartsWith("List", StringComparison.Ordinal)
                || method.StartsWith("Trace", StringComparison.Ordinal) => Access.Read,
            _ => Access.Write,
        };
    }

    /// <summary>What a REST call through the gateway needs (the same rules as <see cref="ForRpc"/> for the RPC it transcodes to).</summary>
    public static Access ForRest(string httpMethod, string path)
    {
        if (path == IdocPath && httpMethod.Equals("POST", StringComparison.OrdinalIgnoreCase))
        {
            return Access.Write;
        }

        if (httpMethod.Equals("POST", StringComparison.OrdinalIgnoreCase) && path.StartsWith(ConnectorsPath, StringComparison.Ordinal)
            && path.EndsWith(NotifySuffix, StringComparison.Ordinal) && path.Length > ConnectorsPath.Length + NotifySuffix.Length
            && !path.AsSpan(ConnectorsPath.Length, path.Length - ConnectorsPath.Length - NotifySuffix.Length).Contains('/'))
        {
            return Access.Anonymous; // an Odoo webhook: see NotifyRpc
        }

        if ((path.StartsWith("/governance/", StringComparison.Ordinal) && path.Contains("/auditRecords", StringComparison.Ordinal))
            || path.StartsWith("/integration/", StringComparison.Ordinal))
        {
            return Access.Audit;
        }

        if (HttpMethodsAreReads.Contains(httpMethod))
        {
            return Access.Read;
        }

        return path.EndsWith(":resolve", StringComparison.Ordinal) ? Access.Review : Access.Write;
    }

    /// <summary>
    /// The domain a gRPC method or REST path belongs to (<c>procurement</c>, <c>shop-floor</c>, …), from
    /// <c>/manufacturing.{domain}.v1.…</c> or <c>/{domain}/v1/…</c>; empty for anything else.
    /// </summary>
    public static string Domain(string path)
    {
        var first = path.TrimStart('/').Split('/')[0];
        if (first.StartsWith("manufacturing.", StringComparison.Ordinal))
        {
            var parts = first.Split('.');
            return parts.Length > 2 ? parts[1].Replace('_', '-') : "";
        }

        return first;
    }

    /// <summary>The IDoc intake's RPC; it applies procurement commands on the caller's behalf.</summary>
    public const string IdocRpc = "/manufacturing.integration.v1.IntegrationService/ReceiveIdoc";

    /// <summary>
    /// The webhook nudge of an Odoo connector's polling. Odoo's webhooks cannot authenticate, so the
    /// call needs no token; the service checks the connector's webhook key instead, and the call can
    /// do nothing but make the next poll come sooner.
    /// </summary>
    public const string NotifyRpc = "/manufacturing.integration.v1.IntegrationService/NotifyConnector";

    private const string ConnectorsPath = "/integration/v1/connectors/";
    private const string NotifySuffix = ":notify";

    /// <summary>The IDoc intake's REST path.</summary>
    public const string IdocPath = "/integration/v1/idocs";

    /// <summary>
    /// Why <paramref name="caller"/> may not make a call to <paramref name="path"/> (a gRPC method or REST
    /// path) that needs <paramref name="access"/>; null when it may. Suppliers reach only procurement
    /// (and the IDoc intake, which calls procurement with their own identity).
    /// </summary>
    public static string? Refusal(CallerIdentity caller, Access access, string path) =>
        caller.Kind == ClientKind.Supplier && access is not (Access.Anonymous or Access.Authenticated) && Domain(path) != "procurement"
            && path is not (IdocRpc or IdocPath)
            ? $"{caller.Client} is a supplier; suppliers reach only the procurement service."
            : Refusal(caller, access);

    /// <summary>Why <paramref name="caller"/> may not make a call that needs <paramref name="access"/>; null when it may.</summary>
    public static string? Refusal(CallerIdentity caller, Access access) => access switch
    {
        Access.Anonymous or Access.Authenticated => null,
        Access.Read when !caller.Has(Scopes.Read) => $"{caller.Client} lacks the 'read' scope this call needs.",
        Access.Write when !caller.Has(Scopes.Write) => $"{caller.Client} lacks the 'write' scope commands need.",
        Access.Review when !caller.Has(Scopes.Review) => $"{caller.Client} lacks the 'review' scope resolving exceptions needs.",
        Access.Audit when caller.Kind != ClientKind.Sre && !caller.Has(Scopes.Review) => $"The audit trail is for the sre identity or the 'review' scope; {caller.Client} has neither.",
        _ => null,
    };

    private static readonly HashSet<string> HttpMethodsAreReads = new(StringComparer.OrdinalIgnoreCase) { "GET", "HEAD" };
}

/// <summary>
/// Plant tenancy: a caller fenced to a plant (<c>mes:P100</c>, <c>edge:P100</c>) may name only
/// resources under <c>plants/P100</c>. The gateway checks the path it sees; the service checks every
/// resource name in the message, so a crafted gRPC body cannot cross plants.
/// </summary>
public static class Tenancy
{
    private const int MaxDepth = 4;

    /// <summary>Why <paramref name="caller"/> may not send a request to <paramref name="path"/>; null when it may (or the path names no plant).</summary>
    public static string? PathRefusal(CallerIdentity caller, string path)
    {
        if (caller.Plant is not { } fence)
        {
            return null;
        }

        var segments = path.Split('/');
        for (var i = 0; i + 1 < segments.Length; i++)
        {
            if (segments[i] == "plants" && PlantPart(segments[i + 1]) is var plant && plant != fence)
            {
                return $"{caller.Client} may act only on plants/{fence}; the request names plants/{plant}.";
            }
        }

        return null;
    }

    /// <summary>
    /// Why <paramref name="caller"/> may not send <paramref name="request"/>: a resource name under
    /// another plant anywhere in it, or no plant at all (fenced callers must name their plant). Null
    /// when it may.
    /// </summary>
    public static string? MessageRefusal(CallerIdentity caller, IMessage request)
    {
        if (caller.Plant is not { } fence)
        {
            return null;
        }

        var named = new List<(string Field, string Plant)>();
        Collect(request, "", named, 0);
        if (named.FirstOrDefault(n => n.Plant != fence) is { Field: not null } other)
        {
            return $"{caller.Client} may act only on plants/{fence}; field '{other.Field}' names plants/{other.Plant}.";
        }

        return named.Count == 0 ? $"{caller.Client} may act only on plants/{fence}; the request names no plant." : null;
    }

    private static void Collect(IMessage message, string prefix, List<(string, string)> named, int depth)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var path = prefix + field.Name;
            var value = field.Accessor.GetValue(message);
            switch (field.FieldType)
            {
                case FieldType.String when field.IsRepeated:
                    foreach (var item in (System.Collections.IEnumerable)value)
                    {
                        Add((string)item, path, named);
                    }

                    break;
                case FieldType.String:
                    Add((string)value, path, named);
                    break;
                case FieldType.Message when depth < MaxDepth && !field.IsMap:
                    if (field.IsRepeated)
                    {
                        foreach (var item in (System.Collections.IEnumerable)value)
                        {
                            Collect((IMessage)item, path + ".", named, depth + 1);
                        }
                    }
                    else if (value is IMessage nested)
                    {
                        Collect(nested, path + ".", named, depth + 1);
                    }

                    break;
            }
        }
    }

    private static void Add(string value, string field, List<(string, string)> named)
    {
        if (value.StartsWith("plants/", StringComparison.Ordinal))
        {
            named.Add((field, PlantPart(value["plants/".Length..].Split('/')[0])));
        }
    }

    // "P100" from "P100" and from a REST segment such as "P100:resolve" is not possible (plants are
    // followed by '/'), but a custom verb on the plant itself ("plants/P100:x") is cut at the colon.
    private static string PlantPart(string segment) => segment.Split(':')[0];
}
