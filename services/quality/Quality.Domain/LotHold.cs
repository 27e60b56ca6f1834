using Manufacturing.Domain;
using Orleans;

namespace Manufacturing.Quality.Domain;

/// <summary>Quality's own record that a lot is on hold: who decided it, when and why.</summary>
[GenerateSerializer, Immutable, Alias("quality.LotHold")]
public sealed record LotHold : IAggregate<LotHold>
{
    /// <summary>The lot's grain key: <c>{plant}/{lot}</c>.</summary>
    [Id(0)] public required string LotKey { get; init; }

    /// <summary>Why the lot is on hold.</summary>
    [Id(1)] public required string Reason { get; init; }

    /// <summary>When the hold was placed (the command's occurred_at).</summary>
    [Id(2)] public DateTimeOffset PlacedAt { get; init; }

    /// <inheritdoc />
    [Id(3)] public long Version { get; init; }

    /// <inheritdoc />
    public LotHold WithVersion(long version) => this with { Version = version };
}

/// <summary>Quality puts a lot on hold (blocks it in inventory).</summary>
[GenerateSerializer, Immutable, Alias("quality.PlaceLotHold"), OwnedTransition("quality", "hold")]
public sealed record PlaceLotHold : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>Why.</summary>
    [Id(1)] public required string Reason { get; init; }
}

/// <summary>The hold's rules.</summary>
public static class LotHoldRules
{
    /// <summary>Checks a hold's payload; field paths are those of the BlockLot request.</summary>
    public static DomainError? Validate(PlaceLotHold command)
    {
        var violations = new Violations();
        violations.RequireText(command.Reason, "reason", 512);
        return violations.ToError();
    }

    /// <summary>Places a hold; a lot already on hold keeps its first hold (accepted, unchanged).</summary>
    public static Transition<LotHold> Place(string lotKey, LotHold? current, PlaceLotHold command)
    {
        if (Validate(command) is { } invalid)
        {
            return invalid;
        }

        return current is not null
            ? Transition<LotHold>.Unchanged()
            : Transition<LotHold>.To(new LotHold { LotKey = lotKey, Reason = command.Reason, PlacedAt = command.Metadata.OccurredAt });
    }
}
