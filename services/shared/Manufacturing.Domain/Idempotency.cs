using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using Orleans;

namespace Manufacturing.Domain;

/// <summary>One applied command, remembered so that a repeat is recognised.</summary>
[GenerateSerializer, Immutable, Alias("mfg.ProcessedCommand")]
public sealed record ProcessedCommand
{
    /// <summary>Creates an entry.</summary>
    public ProcessedCommand(string messageId, string fingerprint, long version)
    {
        MessageId = messageId;
        Fingerprint = fingerprint;
        Version = version;
    }

    /// <summary>The command's idempotency key.</summary>
    [Id(0)] public string MessageId { get; init; }

    /// <summary>A hash of the command's payload: a repeat with another payload is not a duplicate.</summary>
    [Id(1)] public string Fingerprint { get; init; }

    /// <summary>The aggregate version the command produced.</summary>
    [Id(2)] public long Version { get; init; }

    /// <summary>
    /// The refusal the command was answered with although it changed state (a change parked as an
    /// exception); a repeat gets the same answer. Null for an applied command.
    /// </summary>
    [Id(3)] public DomainError? Refusal { get; init; }
}

/// <summary>
/// The bounded memory of applied message ids kept inside each aggregate's state (and so written in
/// the same storage write as the change it records). The window is the last <see cref="Capacity"/>
/// applied commands per aggregate; a repeat older than that is evaluated again as a new command,
/// which the aggregate's own rules then refuse or accept (for example, a second release is
/// ALREADY_EXISTS).
/// </summary>
[GenerateSerializer, Immutable, Alias("mfg.ProcessedCommands")]
public sealed record ProcessedCommands
{
    /// <summary>How many applied message ids each aggregate remembers.</summary>
    public const int Capacity = 512;

    /// <summary>No command applied yet.</summary>
    public static ProcessedCommands Empty { get; } = new();

    /// <summary>The remembered commands, oldest first.</summary>
    [Id(0)] public ImmutableArray<ProcessedCommand> Entries { get; init; } = [];

    /// <summary>The entry for <paramref name="messageId"/>, when it is still remembered.</summary>
    public ProcessedCommand? Find(string messageId)
    {
        foreach (var entry in Entries)
        {
            if (entry.MessageId == messageId)
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>Remembers an applied command, forgetting the oldest beyond the capacity.</summary>
    public ProcessedCommands Remember(ProcessedCommand entry)
    {
        var entries = Entries.IsDefault ? [] : Entries;
        if (entries.Length >= Capacity)
        {
            entries = entries.RemoveRange(0, entries.Length - Capacity + 1);
        }

        return this with { Entries = entries.Add(entry) };
    }
}

/// <summary>Fingerprints a command's payload, so that a message id reused for other data is caught.</summary>
public static class CommandFingerprint
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false };

    /// <summary>
    /// A 128-bit hex hash of the command serialised as JSON (its runtime type's public properties, in
    /// declaration order). Quantities are normalised and times are UTC before they get here, so equal
    /// payloads hash equal.
    /// </summary>
    public static string Of<TCommand>(TCommand command) where TCommand : ICommand
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(command, command.GetType(), Options);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(json, hash);
        return Convert.ToHexString(hash[..16]);
    }
}
