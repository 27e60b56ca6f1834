using Grpc.Core;
using Manufacturing.Common.V1;
using Manufacturing.Domain;
using Manufacturing.ServiceDefaults.Grpc;
using Manufacturing.ServiceDefaults.Security;

namespace Manufacturing.ServiceDefaults;

/// <summary>
/// Who is calling, as <see cref="CallerInterceptor"/> established it from the validated token. The
/// source system the grains check ownership against comes only from there, never from a header or a
/// field the caller sets.
/// </summary>
public static class CallerSource
{
    /// <summary>Where the interceptor leaves the caller's identity on the request.</summary>
    public const string ItemKey = "mfg.caller";

    /// <summary>The authenticated caller; throws UNAUTHENTICATED when the call was not authenticated.</summary>
    public static CallerIdentity Caller(this ServerCallContext context, string errorDomain) =>
        context.GetHttpContext().Items[ItemKey] as CallerIdentity
        ?? throw RpcErrors.Create(StatusCode.Unauthenticated, "A bearer token is required (Authorization: Bearer <token>).", ErrorReason.Unauthenticated, errorDomain);

    /// <summary>
    /// The source system a command from this call comes from: the caller's own, or <c>reviewer</c> for
    /// the review RPCs (which need the review scope). A client that is no source system (sre, most
    /// services) is refused with PERMISSION_DENIED before anything is read or changed.
    /// </summary>
    public static SourceSystem SourceSystem(this ServerCallContext context, string errorDomain)
    {
        var caller = context.Caller(errorDomain);
        if (AccessPolicy.ForRpc(context.Method) == Access.Review)
        {
            return Domain.SourceSystem.Reviewer;
        }

        return caller.Source != Domain.SourceSystem.Unspecified
            ? caller.Source
            : throw RpcErrors.Create(StatusCode.PermissionDenied,
                $"{caller.Client} is not a source system and owns no command; commands come from {SourceSystems.AllWireNames} (see docs/ownership.md).",
                ErrorReason.NotPermitted, errorDomain);
    }
}
