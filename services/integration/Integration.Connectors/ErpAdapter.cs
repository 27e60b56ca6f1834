using Manufacturing.Integration.Domain;

namespace Manufacturing.Integration.Connectors;

/// <summary>
/// An ERP adapter: maps business events to the ERP's API, idempotently (a redelivery of an event
/// never posts twice: it finds what the first delivery did, by state or by the event id in a
/// reference field), and reports a failure as an <see cref="ErpException"/> saying whether it is transient.
/// </summary>
public interface IErpAdapter
{
    /// <summary>True when the adapter maps <paramref name="e"/> (routing sends it nothing else).</summary>
    bool Supports(IntegrationEvent e);

    /// <summary>Delivers <paramref name="e"/> once; returns what identifies the effect at the ERP.</summary>
    Task<DeliveryReceipt> DeliverAsync(IntegrationEvent e, CancellationToken cancellationToken);
}

/// <summary>A failed ERP call: what the ERP (or the network) said, and whether trying again can help.</summary>
public sealed class ErpException(string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Connection errors, timeouts, 5xx, 429, locks: true. Business refusals (4xx): false.</summary>
    public bool Transient { get; } = transient;

    /// <summary>For a 429 or 503, how long the ERP asked to wait.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The ERP's HTTP status, when it answered with one (412: the record changed since it was read).</summary>
    public int? Status { get; init; }

    /// <summary>True when the ERP was not called because the circuit is open: not an attempt, the delivery just waits.</summary>
    public bool CircuitOpen { get; init; }
}

/// <summary>
/// An adapter that can read back what the ERP holds for our records, for reconciliation: it answers,
/// per record, the fields it compares (what the ERP should hold, given our record, and what it does
/// hold), in our vocabulary. A record missing from the answer is one the ERP does not have.
/// </summary>
public interface IErpReconciler
{
    /// <summary>The aggregate types it reconciles (<c>production_order</c>, <c>lot</c>, …), with the workflows whose deliveries made them.</summary>
    IReadOnlyDictionary<string, IReadOnlyList<string>> Reconciled { get; }

    /// <summary>What the ERP holds for <paramref name="records"/> (all of one aggregate type), by aggregate key.</summary>
    Task<IReadOnlyDictionary<string, ErpRecord>> ReadAsync(IReadOnlyList<OurRecord> records, CancellationToken cancellationToken);
}
