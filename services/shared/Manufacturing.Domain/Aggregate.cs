using System.Collections.Immutable;
using Orleans;

namespace Manufacturing.Domain;

/// <summary>An aggregate root: one state machine, one version counter.</summary>
public interface IAggregate<TSelf> where TSelf : class, IAggregate<TSelf>
{
    /// <summary>Increases by one with every applied command; 1 after the creating command.</summary>
    long Version { get; }

    /// <summary>A copy at another version; used by the command handler only.</summary>
    TSelf WithVersion(long version);
}

/// <summary>What a grain persists: the aggregate (null until created) and its idempotency memory.</summary>
[GenerateSerializer, Immutable, Alias("mfg.AggregateState`1")]
public sealed record AggregateState<T> where T : class, IAggregate<T>
{
    /// <summary>The aggregate, or null when no creating command was applied yet.</summary>
    [Id(0)] public T? Current { get; init; }

    /// <summary>The recently applied message ids.</summary>
    [Id(1)] public ProcessedCommands Processed { get; init; } = ProcessedCommands.Empty;

    /// <summary>Business events written with the changes that caused them and not yet known to be delivered, oldest first.</summary>
    [Id(2)] public ImmutableArray<BusinessEvent> Outbox { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>Per plant-event source (its resource name), how far its stream was applied here.</summary>
    [Id(3)] public ImmutableDictionary<string, SourceCursor> Sources { get => field ?? ImmutableDictionary<string, SourceCursor>.Empty; init; }
        = ImmutableDictionary<string, SourceCursor>.Empty;

    /// <summary>True when the event <paramref name="sequence"/> of <paramref name="source"/> was applied here before.</summary>
    public bool AppliedBefore(string source, long sequence) =>
        sequence > 0 && Sources.TryGetValue(source, out var cursor) && cursor.Applied(sequence);

    /// <summary>This state with the event <paramref name="sequence"/> of <paramref name="source"/> recorded as decided.</summary>
    public AggregateState<T> RecordSequence(string source, long sequence, bool applied) => sequence <= 0 ? this : this with
    {
        Sources = Sources.SetItem(source, (Sources.TryGetValue(source, out var cursor) ? cursor : new SourceCursor()).Record(sequence, applied)),
    };
}

/// <summary>What a rule decided for a command: a new aggregate, no change, or a refusal.</summary>
public readonly record struct Transition<T> where T : class
{
    private Transition(T? next, DomainError? error)
    {
        Next = next;
        Error = error;
    }

    /// <summary>The aggregate after the command (when it changed).</summary>
    public T? Next { get; }

    /// <summary>Why the command was refused (with <see cref="Next"/> set: it was parked, and the aggregate recorded that).</summary>
    public DomainError? Error { get; }

    /// <summary>
    /// The command's change is not applied but parked: <paramref name="next"/> records the exception,
    /// and the caller is answered with <paramref name="error"/> (also on every repeat).
    /// </summary>
    public static Transition<T> Park(T next, DomainError error) => new(next, error);

    /// <summary>The command changes the aggregate to <paramref name="next"/>.</summary>
    public static Transition<T> To(T next) => new(next, null);

    /// <summary>The command is accepted but changes nothing (for example blocking a blocked lot).</summary>
    public static Transition<T> Unchanged() => new(null, null);

    /// <summary>The command is refused and changes nothing.</summary>
    public static Transition<T> Refuse(DomainError error) => new(null, error);

    /// <summary>Lets a rule return a refusal directly.</summary>
    public static implicit operator Transition<T>(DomainError error) => Refuse(error);
}

/// <summary>What a command did, as returned to the caller.</summary>
[GenerateSerializer, Immutable, Alias("mfg.CommandResult`1")]
public sealed record CommandResult<T> where T : class
{
    /// <summary>The aggregate as it stands after the command (null when refused, or when it does not exist).</summary>
    [Id(0)] public T? Resource { get; init; }

    /// <summary>Why the command was refused; null on success.</summary>
    [Id(1)] public DomainError? Error { get; init; }

    /// <summary>True when the message id had been applied before: nothing changed now.</summary>
    [Id(2)] public bool Duplicate { get; init; }

    /// <summary>The version the command produced when it was first applied.</summary>
    [Id(3)] public long Version { get; init; }

    /// <summary>A refusal.</summary>
    public static CommandResult<T> Refused(DomainError error) => new() { Error = error };
}

/// <summary>The outcome of <see cref="CommandHandler.Decide{T, TCommand}"/>: the result, and the state to persist first when it changed.</summary>
public sealed record Decision<T>(AggregateState<T>? NextState, CommandResult<T> Result) where T : class, IAggregate<T>
{
    /// <summary>The command decided (set by the grain, for the events its commit appends).</summary>
    public ICommand? Command { get; init; }

    /// <summary>
    /// The same decision with the new aggregate completed by <paramref name="complete"/> (facts learnt
    /// from the cross-domain effects performed before the commit); unchanged when nothing is applied.
    /// </summary>
    public Decision<T> Complete(Func<T, T> complete)
    {
        if (NextState?.Current is not { } next || Result.Error is not null)
        {
            return this;
        }

        var completed = complete(next);
        return new Decision<T>(NextState with { Current = completed }, Result with { Resource = completed });
    }
}

/// <summary>
/// Applies a command to an aggregate exactly once: a remembered message id with the same payload is a
/// duplicate, with another payload a refusal; otherwise the rule decides, and an applied change
/// carries the next version and the remembered message id in the same state.
/// </summary>
public static class CommandHandler
{
    /// <summary>Decides what <paramref name="command"/> does to <paramref name="state"/>. Pure.</summary>
    public static Decision<T> Decide<T, TCommand>(AggregateState<T> state, TCommand command, Func<T?, TCommand, Transition<T>> rule)
        where T : class, IAggregate<T>
        where TCommand : ICommand
    {
        var fingerprint = CommandFingerprint.Of(command);
        var messageId = command.Metadata.MessageId;
        if (state.Processed.Find(messageId) is { } prior)
        {
            if (prior.Fingerprint != fingerprint)
            {
                return new Decision<T>(null, CommandResult<T>.Refused(new DomainError(DomainErrorCode.MessageIdReused,
                    $"message_id '{messageId}' was already used for a different command payload; use a new message_id for a new command.")));
            }

            return new Decision<T>(null, new CommandResult<T> { Resource = state.Current, Duplicate = true, Version = prior.Version, Error = prior.Refusal });
        }

        var currentVersion = state.Current?.Version ?? 0;
        if (command.Metadata.ExpectedVersion is { } expected && expected != currentVersion)
        {
            return new Decision<T>(null, CommandResult<T>.Refused(new DomainError(DomainErrorCode.VersionMismatch,
                $"The resource is at version {currentVersion}, not the expected {expected}; read it again and decide anew.")));
        }

        var transition = rule(state.Current, command);
        if (transition.Error is { } error && transition.Next is null)
        {
            return new Decision<T>(null, CommandResult<T>.Refused(error));
        }

        if (transition.Next is not { } next)
        {
            return new Decision<T>(null, new CommandResult<T> { Resource = state.Current, Version = state.Current?.Version ?? 0 });
        }

        var version = (state.Current?.Version ?? 0) + 1;
        next = next.WithVersion(version);
        // `with`: everything else the state holds (the undelivered outbox) carries over.
        var nextState = state with
        {
            Current = next,
            Processed = state.Processed.Remember(new ProcessedCommand(messageId, fingerprint, version) { Refusal = transition.Error }),
        };
        return new Decision<T>(nextState, new CommandResult<T> { Resource = next, Version = version, Error = transition.Error });
    }
}
