using System.Collections.Immutable;
using Orleans;

namespace Manufacturing.Domain;

/// <summary>Where a parked exception stands.</summary>
[GenerateSerializer, Alias("mfg.ExceptionState")]
public enum ExceptionState
{
    /// <summary>Not used (a stored zero).</summary>
    Unspecified = 0,

    /// <summary>Parked, waiting for a reviewer.</summary>
    Open = 1,

    /// <summary>A reviewer approved it: the parked change was applied as it arrived.</summary>
    Approved = 2,

    /// <summary>A reviewer rejected it: nothing was applied.</summary>
    Rejected = 3,

    /// <summary>A reviewer corrected the parked change and the corrected change was applied.</summary>
    Corrected = 4,
}

/// <summary>How a reviewer resolves an exception.</summary>
[GenerateSerializer, Alias("mfg.ExceptionResolution")]
public enum ExceptionResolution
{
    /// <summary>Not used.</summary>
    Unspecified = 0,

    /// <summary>Apply the parked change as it arrived.</summary>
    Approve = 1,

    /// <summary>Apply nothing.</summary>
    Reject = 2,

    /// <summary>Apply the reviewer's corrected values instead.</summary>
    Correct = 3,
}

/// <summary>
/// A write that was not applied because it disagreed with the owner's data beyond tolerance or
/// referenced something unknown. It keeps what a reviewer needs: what arrived, what we held, why it
/// was parked, and the parked command itself so that approval applies exactly that.
/// </summary>
[GenerateSerializer, Immutable, Alias("mfg.ParkedException")]
public sealed record ParkedException
{
    /// <summary>The exception's number within its aggregate (1, 2, …).</summary>
    [Id(0)] public int Number { get; init; }

    /// <summary>What kind of disagreement, for example <c>CONFIRMATION_OUTSIDE_TOLERANCE</c>.</summary>
    [Id(1)] public string Kind { get => field ?? ""; init; } = "";

    /// <summary>Why it was parked, for a person.</summary>
    [Id(2)] public string Reason { get => field ?? ""; init; } = "";

    /// <summary>What arrived, field by field.</summary>
    [Id(3)] public ImmutableDictionary<string, string> Arrived { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>What we held when it arrived, field by field.</summary>
    [Id(4)] public ImmutableDictionary<string, string> Held { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The parked command (null for exceptions raised by the aggregate itself, such as an overdue acknowledgement).</summary>
    [Id(5)] public ICommand? Parked { get; init; }

    /// <summary>Where it stands.</summary>
    [Id(6)] public ExceptionState State { get; init; }

    /// <summary>When it was raised (the parked command's occurred_at, or the time the aggregate raised it).</summary>
    [Id(7)] public DateTimeOffset RaisedAt { get; init; }

    /// <summary>The system the parked command came from.</summary>
    [Id(8)] public SourceSystem Source { get; init; }

    /// <summary>The parked command's message id (empty for raised ones).</summary>
    [Id(9)] public string MessageId { get => field ?? ""; init; } = "";

    /// <summary>Who resolved it (the reviewer's name or id as given).</summary>
    [Id(10)] public string Reviewer { get => field ?? ""; init; } = "";

    /// <summary>The reviewer's note.</summary>
    [Id(11)] public string Note { get => field ?? ""; init; } = "";

    /// <summary>When it was resolved.</summary>
    [Id(12)] public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>True while a reviewer must still decide.</summary>
    public bool IsOpen => State == ExceptionState.Open;
}

/// <summary>A reviewer's decision on one open exception of an aggregate.</summary>
/// <param name="Index">Where the exception is in the aggregate's list.</param>
/// <param name="Exception">The exception as it stands (open).</param>
/// <param name="Decided">The state the decision moves it to.</param>
public readonly record struct ExceptionReview(int Index, ParkedException Exception, ExceptionState Decided)
{
    /// <summary>The exception once decided, recording the reviewer.</summary>
    public ParkedException Resolved(string reviewer, string note, DateTimeOffset at) =>
        Exception with { State = Decided, Reviewer = reviewer, Note = note, ResolvedAt = at };
}

/// <summary>The rules every aggregate's exception resolution shares. Pure.</summary>
public static class ExceptionReviews
{
    /// <summary>Checks a resolution's common fields: reviewer, note, a decision, and corrected values to correct with.</summary>
    public static void Validate(Violations violations, string reviewer, string note, ExceptionResolution resolution, bool hasCorrection)
    {
        violations.RequireText(reviewer, "reviewer", 128);
        violations.OptionalText(note, "note", 1024);
        if (resolution == ExceptionResolution.Unspecified)
        {
            violations.Add("resolution", "is required");
        }

        if (resolution == ExceptionResolution.Correct && !hasCorrection)
        {
            violations.Add("correction", "is required to correct an exception");
        }
    }

    /// <summary>
    /// Finds exception <paramref name="number"/> for a decision: the review when it is open; neither
    /// review nor error when it was already decided the same way (a repeat, which changes nothing);
    /// NOT_FOUND when there is no such exception; EXCEPTION_RESOLVED when it was decided otherwise.
    /// </summary>
    public static (ExceptionReview? Review, DomainError? Error) Find(IReadOnlyList<ParkedException> exceptions, int number, ExceptionResolution resolution, Func<int, string> name)
    {
        var index = exceptions.Select(e => e.Number).ToList().IndexOf(number);
        if (index < 0)
        {
            return (null, DomainError.NotFound($"{name(number)} does not exist."));
        }

        var exception = exceptions[index];
        var decided = resolution switch
        {
            ExceptionResolution.Approve => ExceptionState.Approved,
            ExceptionResolution.Reject => ExceptionState.Rejected,
            _ => ExceptionState.Corrected,
        };
        if (exception.IsOpen)
        {
            return (new ExceptionReview(index, exception, decided), null);
        }

        return exception.State == decided
            ? (null, null)
            : (null, DomainError.InvalidState("EXCEPTION_RESOLVED", $"{name(number)} was already {exception.State} by {exception.Reviewer}."));
    }
}
