using System.Collections.Immutable;
using Orleans;

namespace Manufacturing.Domain;

/// <summary>A command that arrived as a plant event: its source and its position in that source's stream.</summary>
[GenerateSerializer, Immutable, Alias("mfg.SequencedCommand")]
public sealed record SequencedCommand
{
    /// <summary>Creates a sequenced command.</summary>
    public SequencedCommand(string source, long sequence, ICommand command)
    {
        Source = source;
        Sequence = sequence;
        Command = command;
    }

    /// <summary>The source's resource name (<c>plants/P100/sources/line-3-mes</c>).</summary>
    [Id(0)] public string Source { get; init; }

    /// <summary>The event's position in the source's stream, greater than zero.</summary>
    [Id(1)] public long Sequence { get; init; }

    /// <summary>The command the event carries.</summary>
    [Id(2)] public ICommand Command { get; init; }
}

/// <summary>What became of one plant event in its aggregate.</summary>
public enum EventStatus
{
    /// <summary>Applied now (and stored before the answer).</summary>
    Accepted = 1,

    /// <summary>Applied before (same message id, or a sequence already applied from its source).</summary>
    Duplicate = 2,

    /// <summary>Stored as an exception for a reviewer.</summary>
    Parked = 3,

    /// <summary>Not applied; <see cref="EventOutcome.Error"/> says why.</summary>
    Refused = 4,
}

/// <summary>The answer to one plant event.</summary>
[GenerateSerializer, Immutable, Alias("mfg.EventOutcome")]
public sealed record EventOutcome
{
    /// <summary>What became of it.</summary>
    [Id(0)] public EventStatus Status { get; init; }

    /// <summary>The refusal (Refused) or the exception it was parked as (Parked).</summary>
    [Id(1)] public DomainError? Error { get; init; }

    /// <summary>The aggregate version the event produced (or produced when first applied; 0 when unknown).</summary>
    [Id(2)] public long Version { get; init; }
}

/// <summary>
/// Where one source's stream stands at one aggregate: the highest sequence applied from it, and the
/// sequences at or below that which were refused (and so may still arrive again). Kept in the
/// aggregate's state and written with its changes, so a replay of anything applied is recognised by
/// its sequence alone, however old, beyond the bounded message-id memory.
/// </summary>
[GenerateSerializer, Immutable, Alias("mfg.SourceCursor")]
public sealed record SourceCursor
{
    /// <summary>How many refused sequences each cursor remembers (the lowest are forgotten first).</summary>
    public const int RefusedCapacity = 256;

    /// <summary>The highest sequence from the source that was applied (accepted or parked) here.</summary>
    [Id(0)] public long Through { get; init; }

    /// <summary>Sequences from the source that this aggregate refused, ascending.</summary>
    [Id(1)] public ImmutableArray<long> Refused { get => field.IsDefault ? [] : field; init; } = [];

    /// <summary>
    /// True when <paramref name="sequence"/> was applied here before: it is at or below
    /// <see cref="Through"/> and was not refused. Events of one source reach one aggregate in
    /// sequence order, so everything at or below <see cref="Through"/> was decided here.
    /// </summary>
    public bool Applied(long sequence) => sequence <= Through && Refused.BinarySearch(sequence) < 0;

    /// <summary>The cursor after <paramref name="sequence"/> was decided: applied, or refused.</summary>
    public SourceCursor Record(long sequence, bool applied)
    {
        var index = Refused.BinarySearch(sequence);
        if (applied)
        {
            return this with
            {
                Through = Math.Max(Through, sequence),
                Refused = index >= 0 ? Refused.RemoveAt(index) : Refused,
            };
        }

        if (index >= 0)
        {
            return this;
        }

        var refused = Refused.Insert(~index, sequence);
        return this with { Refused = refused.Length > RefusedCapacity ? refused.RemoveAt(0) : refused };
    }
}
