using System.Diagnostics.CodeAnalysis;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Manufacturing.Common.V1;
using Manufacturing.Domain;
using Status = Google.Rpc.Status;

namespace Manufacturing.ServiceDefaults.Grpc;

/// <summary>
/// The one place that turns refusals into gRPC statuses with <c>google.rpc</c> details, following the
/// conventions documented in <c>manufacturing/common/v1/errors.proto</c>.
/// </summary>
public static class RpcErrors
{
    /// <summary>The resource of a successful result, or the refusal thrown as an <see cref="RpcException"/>.</summary>
    public static T Unwrap<T>(this CommandResult<T> result, string domain, string resourceName) where T : class
    {
        if (result.Error is { } error)
        {
            throw ToRpcException(error, domain, resourceName);
        }

        return result.Resource ?? throw new InvalidOperationException($"A successful command on {resourceName} returned no resource.");
    }

    /// <summary>Throws INVALID_ARGUMENT when <paramref name="violations"/> holds anything.</summary>
    public static void ThrowIfInvalid(this Violations violations, string domain, string? resourceName = null)
    {
        if (violations.ToError() is { } error)
        {
            throw ToRpcException(error, domain, resourceName);
        }
    }

    /// <summary>NOT_FOUND for <paramref name="resourceName"/>.</summary>
    [DoesNotReturn]
    public static void ThrowNotFound(string domain, string resourceName) =>
        throw ToRpcException(DomainError.NotFound($"{resourceName} does not exist."), domain, resourceName);

    /// <summary>Builds the status for a refusal.</summary>
    public static RpcException ToRpcException(DomainError error, string domain, string? resourceName) =>
        ToStatus(error, domain, resourceName).ToRpcException();

    /// <summary>The <c>google.rpc.Status</c> (code, message and details) for a refusal.</summary>
    public static Status ToStatus(DomainError error, string domain, string? resourceName)
    {
        var (code, reason) = error.Code switch
        {
            DomainErrorCode.InvalidArgument => (Code.InvalidArgument, ErrorReason.InvalidFields),
            DomainErrorCode.NotFound => (Code.NotFound, ErrorReason.ResourceNotFound),
            DomainErrorCode.AlreadyExists => (Code.AlreadyExists, ErrorReason.ResourceAlreadyExists),
            DomainErrorCode.MessageIdReused => (Code.AlreadyExists, ErrorReason.MessageIdReused),
            DomainErrorCode.InvalidState when error.ExceptionName is not null => (Code.FailedPrecondition, ErrorReason.ParkedAsException),
            DomainErrorCode.InvalidState => (Code.FailedPrecondition, ErrorReason.InvalidState),
            DomainErrorCode.VersionMismatch => (Code.Aborted, ErrorReason.VersionMismatch),
            DomainErrorCode.NotPermitted => (Code.PermissionDenied, ErrorReason.NotPermitted),
            _ => (Code.Internal, ErrorReason.Unspecified),
        };

        var status = new Status { Code = (int)code, Message = error.Message };
        var info = new ErrorInfo { Reason = ReasonName(reason), Domain = domain };
        if (resourceName is not null)
        {
            info.Metadata["resource"] = resourceName;
        }

        if (error.ExceptionName is { } exception)
        {
            info.Metadata["exception"] = exception;
        }

        status.Details.Add(Any.Pack(info));
        switch (code)
        {
            case Code.InvalidArgument:
                var badRequest = new BadRequest();
                badRequest.FieldViolations.AddRange(error.Violations.Select(v => new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description }));
                status.Details.Add(Any.Pack(badRequest));
                break;
            case Code.NotFound or Code.AlreadyExists when resourceName is not null:
                status.Details.Add(Any.Pack(new ResourceInfo { ResourceName = resourceName, Description = error.Message }));
                break;
            case Code.FailedPrecondition:
                var failure = new PreconditionFailure();
                failure.Violations.Add(new PreconditionFailure.Types.Violation
                {
                    Type = error.Precondition ?? "STATE",
                    Subject = error.ExceptionName ?? resourceName ?? "",
                    Description = error.Message,
                });
                status.Details.Add(Any.Pack(failure));
                break;
        }

        return status;
    }

    /// <summary>A status without a domain refusal behind it (UNAVAILABLE, ABORTED, INTERNAL…).</summary>
    public static RpcException Create(StatusCode code, string message, ErrorReason reason, string domain) =>
        CreateStatus(code, message, reason, domain).ToRpcException();

    /// <summary>The <c>google.rpc.Status</c> of <see cref="Create"/>.</summary>
    public static Status CreateStatus(StatusCode code, string message, ErrorReason reason, string domain)
    {
        var status = new Status { Code = (int)code, Message = message };
        status.Details.Add(Any.Pack(new ErrorInfo { Reason = ReasonName(reason), Domain = domain }));
        return status;
    }

    /// <summary>The reason's wire name: the enum value's name without the <c>ERROR_REASON_</c> prefix.</summary>
    public static string ReasonName(ErrorReason reason) =>
        ReasonEnum.FindValueByNumber((int)reason).Name["ERROR_REASON_".Length..];

    private static readonly Google.Protobuf.Reflection.EnumDescriptor ReasonEnum = ErrorsReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.EnumDescriptor>("ErrorReason");
}
