using Orleans;

namespace Manufacturing.Domain;

/// <summary>Why a command was refused. Mapped to a gRPC status and <c>google.rpc</c> details at the edge.</summary>
[GenerateSerializer, Alias("mfg.ErrorCode")]
public enum DomainErrorCode
{
    /// <summary>The request is wrong whatever the state (INVALID_ARGUMENT).</summary>
    InvalidArgument = 1,

    /// <summary>The resource does not exist (NOT_FOUND).</summary>
    NotFound = 2,

    /// <summary>The resource exists and the command would create it again (ALREADY_EXISTS).</summary>
    AlreadyExists = 3,

    /// <summary>The message id was used before for a different payload (ALREADY_EXISTS).</summary>
    MessageIdReused = 4,

    /// <summary>The resource's state does not allow the command (FAILED_PRECONDITION).</summary>
    InvalidState = 5,

    /// <summary>The caller may not do this (PERMISSION_DENIED).</summary>
    NotPermitted = 6,

    /// <summary>The command's expected version is not the current one (ABORTED).</summary>
    VersionMismatch = 7,
}

/// <summary>One invalid field, named by its path in the request's proto field names.</summary>
[GenerateSerializer, Immutable, Alias("mfg.FieldViolation")]
public sealed record FieldViolation
{
    /// <summary>Creates a violation.</summary>
    public FieldViolation(string field, string description)
    {
        Field = field;
        Description = description;
    }

    /// <summary>The field path, for example <c>production_order.quantity.value</c>.</summary>
    [Id(0)] public string Field { get; init; }

    /// <summary>What is wrong with it, for a person.</summary>
    [Id(1)] public string Description { get; init; }
}

/// <summary>A refusal: the command changed nothing.</summary>
[GenerateSerializer, Immutable, Alias("mfg.DomainError")]
public sealed record DomainError
{
    /// <summary>Creates an error.</summary>
    public DomainError(DomainErrorCode code, string message, IReadOnlyList<FieldViolation>? violations = null, string? precondition = null)
    {
        Code = code;
        Message = message;
        Violations = violations ?? [];
        Precondition = precondition;
    }

    /// <summary>The kind of refusal.</summary>
    [Id(0)] public DomainErrorCode Code { get; init; }

    /// <summary>A message for a person; never contains secrets or prices.</summary>
    [Id(1)] public string Message { get; init; }

    /// <summary>The invalid fields, for <see cref="DomainErrorCode.InvalidArgument"/>.</summary>
    [Id(2)] public IReadOnlyList<FieldViolation> Violations { get; init; }

    /// <summary>A short machine-readable name of the failed precondition, for <see cref="DomainErrorCode.InvalidState"/>.</summary>
    [Id(3)] public string? Precondition { get; init; }

    /// <summary>The resource name of the exception the command was parked as, when it was parked.</summary>
    [Id(4)] public string? ExceptionName { get; init; }

    /// <summary>An INVALID_ARGUMENT refusal.</summary>
    public static DomainError Invalid(string message, params FieldViolation[] violations) => new(DomainErrorCode.InvalidArgument, message, violations);

    /// <summary>A NOT_FOUND refusal.</summary>
    public static DomainError NotFound(string message) => new(DomainErrorCode.NotFound, message);

    /// <summary>An ALREADY_EXISTS refusal for a resource that exists.</summary>
    public static DomainError AlreadyExists(string message) => new(DomainErrorCode.AlreadyExists, message);

    /// <summary>A FAILED_PRECONDITION refusal saying that the command was parked as exception <paramref name="exceptionName"/>.</summary>
    public static DomainError Parked(string precondition, string exceptionName, string message) =>
        new(DomainErrorCode.InvalidState, message, precondition: precondition) { ExceptionName = exceptionName };

    /// <summary>A FAILED_PRECONDITION refusal.</summary>
    public static DomainError InvalidState(string precondition, string message) => new(DomainErrorCode.InvalidState, message, precondition: precondition);
}
