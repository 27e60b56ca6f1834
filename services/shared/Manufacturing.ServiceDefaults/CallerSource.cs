using Grpc.Core;
using Manufacturing.Common.V1;
using Manufacturing.Domain;
using Manufacturing.ServiceDefaults.Grpc;

namespace Manufacturing.ServiceDefaults;

/// <summary>
/// Who is calling. Until authentication lands, the caller names its source system in the
/// <see cref="Header"/> request header (a development convention, documented in docs/ownership.md);
/// the gateway passes it through.
/// </summary>
public static class CallerSource
{
    /// <summary>The development header naming the caller's source system (<c>sap</c>, <c>mes</c>…).</summary>
    public const string Header = "x-mfg-source-system";

    /// <summary>
    /// The caller's source system from the call's metadata. A missing or unknown name is refused with
    /// PERMISSION_DENIED before anything is read or changed.
    /// </summary>
    public static SourceSystem SourceSystem(this ServerCallContext context, string errorDomain)
    {
        var value = context.RequestHeaders.GetValue(Header);
        if (SourceSystems.Parse(value) is { } source)
        {
            return source;
        }

        var message = string.IsNullOrEmpty(value)
            ? $"Commands must name the caller's source system in the '{Header}' header (one of {SourceSystems.AllWireNames})."
            : $"'{value}' in the '{Header}' header is not a source system; use one of {SourceSystems.AllWireNames}.";
        throw RpcErrors.Create(StatusCode.PermissionDenied, message, ErrorReason.NotPermitted, errorDomain);
    }
}
