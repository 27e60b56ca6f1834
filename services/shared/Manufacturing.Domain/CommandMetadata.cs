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

    /// <summary>
    /// The system the command came from, as the gateway names it on the call (never from the request
    /// body). Ownership is checked against it; cross-domain calls carry the originating command's source.
    /// </summary>
    [Id(2)] public SourceSystem Source { get; init; }

    /// <summary>When set, the aggregate version the caller based the command on (optimistic concurrency).</summary>
    [Id(3)] public long? ExpectedVersion { get; init; }

    /// <summary>
    /// The metadata of a command this one causes on another aggregate (a cross-domain effect): same
    /// time and source, and a message id derived from this one and <paramref name="step"/>, so a
    /// retried command repeats the effect under the same id and it is applied once.
    /// </summary>
    public CommandMetadata Derive(string step)
    {
        var id = $"{MessageId}:{step}";
        if (id.Length > MaxMessageIdLength)
        {
            var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(MessageId)))[..32];
            id = $"{hash}:{step}";
        }

        return new CommandMetadata(id[..Math.Min(id.Length, MaxMessageIdLength)], OccurredAt) { Source = Source };
    }

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

/// <summary>A command addressed to one aggregate; its class carries <see cref="OwnedTransitionAttribute"/>.</summary>
public interface ICommand
{
    /// <summary>The command's idempotency key and source time.</summary>
    CommandMetadata Metadata { get; }
}
