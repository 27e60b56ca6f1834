using System.Text.RegularExpressions;
using Orleans;

namespace Manufacturing.Domain;

/// <summary>What every command carries: its idempotency key and when the fact happened at the source.</summary>
[GenerateSerializer, Immutable, Alias("mfg.CommandMetadata")]
public sealed partial record CommandMetadata
{
    /// <summary>The longest message id accepted.</summary>
    public const int MaxMessageIdLength = 128;

    /// <summary>Creates metadata.</summary>
    public CommandMetadata(string messageId, DateTimeOffset occurredAt)
    {
        MessageId = messageId;
        OccurredAt = occurredAt;
    }

    /// <summary>The idempotency key chosen by the caller.</summary>
    [Id(0)] public string MessageId { get; init; }

    /// <summary>When the fact happened at the source.</summary>
    [Id(1)] public DateTimeOffset OccurredAt { get; init; }

    /// <summary>Validates the wire form; reports violations under <paramref name="field"/>.</summary>
    public static CommandMetadata? Parse(string? messageId, DateTimeOffset? occurredAt, string field, Violations violations)
    {
        var id = violations.RequireText(messageId, $"{field}.message_id", MaxMessageIdLength, MessageIdPattern(),
            "must be 1 to 128 characters from A-Z, a-z, 0-9 and . _ : -");
        if (occurredAt is null)
        {
            violations.Add($"{field}.occurred_at", "is required");
        }

        return occurredAt is { } at && id.Length > 0 ? new CommandMetadata(id, at) : null;
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]+$")]
    private static partial Regex MessageIdPattern();
}

/// <summary>A command addressed to one aggregate.</summary>
public interface ICommand
{
    /// <summary>The command's idempotency key and source time.</summary>
    CommandMetadata Metadata { get; }
}
