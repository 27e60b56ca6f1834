using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.Inventory.Domain;
using Manufacturing.Procurement.Domain;
using Manufacturing.Quality.Domain;
using Manufacturing.ShopFloor.Domain;
using Orleans;
using Orleans.CodeGeneration;
using Orleans.Concurrency;

namespace Manufacturing.Grains;

/// <summary>
/// Applies delivered business events to the read models. A stateless worker: every silo runs it
/// locally against the read-model store, which deduplicates by event id.
/// </summary>
[Version(1), Alias("mfg.IEventProjector")]
public interface IEventProjector : IGrainWithIntegerKey
{
    /// <summary>Applies the events (idempotently); returns when they are stored.</summary>
    [Alias("Project")]
    Task Project(System.Collections.Immutable.ImmutableArray<BusinessEvent> events);
}

/// <summary>A grain that takes plant events from streams (production orders, work centers).</summary>
public interface IPlantEventGrain : IGrainWithStringKey
{
    /// <summary>
    /// Applies plant events in order, with one state write for the batch, and answers each. Events
    /// whose source sequence was applied here before are duplicates. Throws (nothing of the batch
    /// applied) when the grain's storage, or a grain it calls, is unreachable.
    /// </summary>
    [Alias("ApplyEvents")]
    Task<ImmutableArray<EventOutcome>> ApplyEvents(ImmutableArray<SequencedCommand> events);
}

/// <summary>A work center (machine), keyed <c>{plant}/{work center}</c>: its telemetry windows. Hosted by the shop-floor silos.</summary>
[Version(1), Alias("shopfloor.IWorkCenterGrain")]
public interface IWorkCenterGrain : IPlantEventGrain
{
    /// <summary>The work center, or null before its first signal.</summary>
    [Alias("Get")]
    Task<WorkCenter?> Get();
}

/// <summary>A production order, keyed <c>{plant}/{order}</c>. Hosted by the shop-floor silos.</summary>
[Version(1), Alias("shopfloor.IProductionOrderGrain")]
public interface IProductionOrderGrain : IPlantEventGrain
{
    /// <summary>Releases the order (ERP). Idempotent by message id.</summary>
    [Alias("Release")]
    Task<CommandResult<ProductionOrder>> Release(ReleaseProductionOrder command);

    /// <summary>The order, or null when it was never released.</summary>
    [ReadOnly, Alias("Get")]
    Task<ProductionOrder?> Get();

    /// <summary>An operation started (MES).</summary>
    [Alias("StartOperation")]
    Task<CommandResult<ProductionOrder>> StartOperation(StartOperation command);

    /// <summary>An operation paused (MES).</summary>
    [Alias("PauseOperation")]
    Task<CommandResult<ProductionOrder>> PauseOperation(PauseOperation command);

    /// <summary>An operation resumed (MES).</summary>
    [Alias("ResumeOperation")]
    Task<CommandResult<ProductionOrder>> ResumeOperation(ResumeOperation command);

    /// <summary>An operation completed (MES).</summary>
    [Alias("CompleteOperation")]
    Task<CommandResult<ProductionOrder>> CompleteOperation(CompleteOperation command);

    /// <summary>The ERP amends quantity or dates.</summary>
    [Alias("Amend")]
    Task<CommandResult<ProductionOrder>> Amend(AmendProductionOrder command);

    /// <summary>The ERP cancels the order before execution.</summary>
    [Alias("Cancel")]
    Task<CommandResult<ProductionOrder>> Cancel(CancelProductionOrder command);

    /// <summary>The ERP closes the completed order.</summary>
    [Alias("Close")]
    Task<CommandResult<ProductionOrder>> Close(CloseProductionOrder command);

    /// <summary>
    /// The MES reports material consumed: draws the lot down, then records it. An unknown lot or a
    /// component outside the BOM is parked as an exception instead.
    /// </summary>
    [Alias("ConsumeMaterial")]
    Task<CommandResult<ProductionOrder>> ConsumeMaterial(ConsumeMaterial command);

    /// <summary>A reviewer resolves an exception parked on the order; approve and correct draw the lot down.</summary>
    [Alias("ResolveException")]
    Task<CommandResult<ProductionOrder>> ResolveException(ResolveProductionOrderException command);

    /// <summary>The MES declares output: creates or adds to the lot, then records it.</summary>
    [Alias("DeclareOutput")]
    Task<CommandResult<ProductionOrder>> DeclareOutput(DeclareOutput command);

    /// <summary>Quality flags the order with a nonconformance of a lot it consumed.</summary>
    [Alias("FlagNonconformance")]
    Task<CommandResult<ProductionOrder>> FlagNonconformance(FlagNonconformance command);
}

/// <summary>A lot of material, keyed <c>{plant}/{lot}</c>. Hosted by the inventory silos.</summary>
[Version(1), Alias("inventory.ILotGrain")]
public interface ILotGrain : IGrainWithStringKey
{
    /// <summary>Receives the lot (goods receipt). Idempotent by message id.</summary>
    [Alias("Receive")]
    Task<CommandResult<Lot>> Receive(ReceiveLot command);

    /// <summary>Blocks the lot (quality). Idempotent by message id.</summary>
    [Alias("Block")]
    Task<CommandResult<Lot>> Block(BlockLot command);

    /// <summary>Draws stock into a production order (MES, through the production order). Idempotent by message id.</summary>
    [Alias("Consume")]
    Task<CommandResult<Lot>> Consume(ConsumeLot command);

    /// <summary>Creates the lot from production output, or adds to it. Idempotent by message id.</summary>
    [Alias("Produce")]
    Task<CommandResult<Lot>> Produce(ProduceLot command);

    /// <summary>Moves stock between locations. Idempotent by message id.</summary>
    [Alias("Transfer")]
    Task<CommandResult<Lot>> Transfer(TransferLot command);

    /// <summary>Cycle-count adjustment. Idempotent by message id.</summary>
    [Alias("Adjust")]
    Task<CommandResult<Lot>> Adjust(AdjustLot command);

    /// <summary>Quality releases, scraps or returns the lot. Idempotent by message id.</summary>
    [Alias("DecideQuality")]
    Task<CommandResult<Lot>> DecideQuality(DecideLotQuality command);

    /// <summary>The lot, or null when it was never received.</summary>
    [ReadOnly, Alias("Get")]
    Task<Lot?> Get();
}

/// <summary>Quality's view of one lot (holds, later inspections), keyed like the lot. Hosted by the quality silos.</summary>
[Version(1), Alias("quality.ILotQualityGrain")]
public interface ILotQualityGrain : IGrainWithStringKey
{
    /// <summary>Puts the lot on hold: blocks it in inventory, then records the hold. Idempotent by message id.</summary>
    [Alias("PlaceHold")]
    Task<CommandResult<Lot>> PlaceHold(PlaceLotHold command);
}

/// <summary>An inspection of a lot, keyed <c>{plant}/{inspection}</c>. Hosted by the quality silos.</summary>
[Version(1), Alias("quality.IInspectionGrain")]
public interface IInspectionGrain : IGrainWithStringKey
{
    /// <summary>Records the inspection: a PASS frees the lot from inspection, a FAIL raises a nonconformance. Idempotent by message id.</summary>
    [Alias("Record")]
    Task<CommandResult<Inspection>> Record(RecordInspection command);

    /// <summary>The inspection, or null when it was never recorded.</summary>
    [ReadOnly, Alias("Get")]
    Task<Inspection?> Get();
}

/// <summary>A nonconformance, keyed <c>{plant}/{nc}</c>. Hosted by the quality silos.</summary>
[Version(1), Alias("quality.INonconformanceGrain")]
public interface INonconformanceGrain : IGrainWithStringKey
{
    /// <summary>Raises it: blocks its lots and flags the production orders that consumed them. Idempotent by message id.</summary>
    [Alias("Raise")]
    Task<CommandResult<Nonconformance>> Raise(RaiseNonconformance command);

    /// <summary>Decides it and changes its lots accordingly. Idempotent by message id.</summary>
    [Alias("Disposition")]
    Task<CommandResult<Nonconformance>> Disposition(DispositionNonconformance command);

    /// <summary>The nonconformance, or null when it was never raised.</summary>
    [ReadOnly, Alias("Get")]
    Task<Nonconformance?> Get();
}

/// <summary>A purchase order, keyed <c>{plant}/{po}</c> by the buying plant. Hosted by the procurement silos.</summary>
[Version(1), Alias("procurement.IPurchaseOrderGrain")]
public interface IPurchaseOrderGrain : IGrainWithStringKey
{
    /// <summary>Creates the order (ERP). Idempotent by message id.</summary>
    [Alias("Create")]
    Task<CommandResult<PurchaseOrder>> Create(CreatePurchaseOrder command);

    /// <summary>The order, or null when it was never created.</summary>
    [ReadOnly, Alias("Get")]
    Task<PurchaseOrder?> Get();

    /// <summary>The ERP changes or adds lines; changed quantities or dates need the supplier's confirmation again.</summary>
    [Alias("Change")]
    Task<CommandResult<PurchaseOrder>> Change(ChangePurchaseOrder command);

    /// <summary>The supplier confirms a line; outside tolerance it is parked as an exception.</summary>
    [Alias("ConfirmLine")]
    Task<CommandResult<PurchaseOrder>> ConfirmLine(ConfirmLine command);

    /// <summary>The supplier announces a shipment.</summary>
    [Alias("NotifyShipment")]
    Task<CommandResult<PurchaseOrder>> NotifyShipment(NotifyShipment command);

    /// <summary>Goods receipt against a line: records it and creates the lot in inventory.</summary>
    [Alias("ReceiveGoods")]
    Task<CommandResult<PurchaseOrder>> ReceiveGoods(ReceiveGoods command);

    /// <summary>A reviewer approves, rejects or corrects a parked exception.</summary>
    [Alias("ResolveException")]
    Task<CommandResult<PurchaseOrder>> ResolveException(ResolvePurchaseOrderException command);
}

/// <summary>
/// Routes the business-event log (<c>mfg_integration_events</c>) into connector deliveries, and keeps
/// every configured connector running. One per cluster (key 0), hosted by the integration silo.
/// </summary>
[Version(1), Alias("integration.IIntegrationRouterGrain")]
public interface IIntegrationRouterGrain : IGrainWithIntegerKey
{
    /// <summary>Starts routing (a reminder keeps it running across deactivations and silo losses).</summary>
    [Alias("Start")]
    Task Start();
}

/// <summary>One ERP connection's dispatcher, keyed by the connector's name. Hosted by the integration silo.</summary>
[Version(1), Alias("integration.IConnectorGrain")]
public interface IConnectorGrain : IGrainWithStringKey
{
    /// <summary>Looks for due deliveries now (new ones were routed).</summary>
    [Alias("Nudge")]
    Task Nudge();

    /// <summary>The connector's circuit and queue as the dispatcher last saw them.</summary>
    [Alias("Status")]
    Task<ConnectorState> Status();
}

/// <summary>A connector's health: its circuit and its queue.</summary>
[GenerateSerializer, Immutable, Alias("integration.ConnectorState")]
public sealed record ConnectorState
{
    /// <summary>closed, open, half-open or isolated.</summary>
    [Id(0)] public string Circuit { get; init; } = "closed";

    /// <summary>Pending deliveries.</summary>
    [Id(1)] public long Backlog { get; init; }

    /// <summary>When the oldest pending delivery was routed, or null when none waits.</summary>
    [Id(2)] public DateTimeOffset? OldestPending { get; init; }

    /// <summary>Dead letters.</summary>
    [Id(3)] public long DeadLetters { get; init; }

    /// <summary>Deliveries made.</summary>
    [Id(4)] public long Delivered { get; init; }

    /// <summary>The last error, "" when the last attempt succeeded.</summary>
    [Id(5)] public string LastError { get; init; } = "";
}

/// <summary>
/// One ERP connection's reconciliation, keyed by the connector's name: on a reminder (and on
/// request) it compares our records that the connector delivered with what the ERP holds, and keeps
/// the differences as drifts for review. Hosted by the integration silo. Runs never overlap.
/// </summary>
[Version(1), Alias("integration.IReconciliationGrain")]
public interface IReconciliationGrain : IGrainWithStringKey
{
    /// <summary>Keeps the schedule (a reminder at the configured interval).</summary>
    [Alias("Start")]
    Task Start();

    /// <summary>Reconciles now and returns what the run found.</summary>
    [Alias("Run")]
    Task<ReconciliationRun> Run();
}

/// <summary>What one reconciliation run of a connector did.</summary>
[GenerateSerializer, Immutable, Alias("integration.ReconciliationRun")]
public sealed record ReconciliationRun
{
    /// <summary>When it started.</summary>
    [Id(0)] public DateTimeOffset StartedAt { get; init; }

    /// <summary>When it finished.</summary>
    [Id(1)] public DateTimeOffset FinishedAt { get; init; }

    /// <summary>Records compared.</summary>
    [Id(2)] public int Checked { get; init; }

    /// <summary>Differences seen (open ones seen again included).</summary>
    [Id(3)] public int Found { get; init; }

    /// <summary>Of which new.</summary>
    [Id(4)] public int Opened { get; init; }

    /// <summary>Earlier differences that agree now.</summary>
    [Id(5)] public int Resolved { get; init; }

    /// <summary>Why the run failed ("" when it did not); a failed run changes no drift.</summary>
    [Id(6)] public string Error { get; init; } = "";
}

/// <summary>
/// One Odoo connector's inbound poll, keyed by the connector's name: reads Odoo's changed
/// manufacturing and purchase orders by <c>write_date</c> with a durable cursor and applies them as
/// commands of the <c>odoo</c> identity. A timer polls at the configured interval, a reminder keeps it
/// running, and <see cref="Poll"/> (a webhook's nudge, an operator) polls now. Polls never overlap.
/// </summary>
[Version(1), Alias("integration.IInboundGrain")]
public interface IInboundGrain : IGrainWithStringKey
{
    /// <summary>Keeps it running (a reminder), when the connector polls.</summary>
    [Alias("Start")]
    Task Start();

    /// <summary>Polls now and answers where polling stands.</summary>
    [Alias("Poll")]
    Task<InboundState> Poll();

    /// <summary>Polls soon (a webhook's nudge): at most one such poll waits, however many nudges come.</summary>
    [Alias("Nudge"), AlwaysInterleave]
    Task Nudge();

    /// <summary>Where polling stands.</summary>
    [Alias("Status")]
    Task<InboundState> Status();
}

/// <summary>
/// Where one Odoo model's polling stands: the newest <c>write_date</c> applied, and the versions of
/// the records applied within the lag before it, which a poll reads again but does not apply again.
/// A version is the <c>write_date</c> and a hash of what the record says, because Odoo's
/// <c>write_date</c> has whole seconds: two changes within one second share it.
/// </summary>
[GenerateSerializer, Immutable, Alias("integration.InboundCursor")]
public sealed record InboundCursor
{
    private const string Format = "yyyy-MM-dd HH:mm:ss";

    /// <summary>The newest <c>write_date</c> applied (Odoo's UTC <c>yyyy-MM-dd HH:mm:ss</c>); "" before the first.</summary>
    [Id(0)] public string High { get; init; } = "";

    /// <summary>The versions applied with a <c>write_date</c> within the lag before <see cref="High"/>, by record id.</summary>
    [Id(1)] public ImmutableDictionary<long, InboundVersion> Seen { get; init; } = ImmutableDictionary<long, InboundVersion>.Empty;

    /// <summary>Where the next poll reads from: <paramref name="lag"/> before <see cref="High"/>, or <paramref name="since"/> before anything was applied.</summary>
    public string Floor(TimeSpan lag, DateTimeOffset? since)
    {
        var start = (since ?? DateTimeOffset.UnixEpoch).UtcDateTime.ToString(Format, System.Globalization.CultureInfo.InvariantCulture);
        if (High.Length == 0)
        {
            return start;
        }

        var floor = Shift(High, -lag);
        return string.CompareOrdinal(floor, start) > 0 ? floor : start;
    }

    /// <summary>Whether <paramref name="version"/> of record <paramref name="id"/> is still to be applied: newer than the one applied, or as new but saying something else.</summary>
    public bool IsNew(long id, InboundVersion version) =>
        !Seen.TryGetValue(id, out var seen) || string.CompareOrdinal(version.WriteDate, seen.WriteDate) > 0
        || (version.WriteDate == seen.WriteDate && version.Hash != seen.Hash);

    /// <summary>The cursor once <paramref name="version"/> of record <paramref name="id"/> is applied (or refused for good): it moves on, and forgets what fell out of the lag.</summary>
    public InboundCursor Applied(long id, InboundVersion version, TimeSpan lag)
    {
        var high = string.CompareOrdinal(version.WriteDate, High) > 0 ? version.WriteDate : High;
        var floor = Shift(high, -lag);
        var seen = Seen.SetItem(id, version);
        return new InboundCursor { High = high, Seen = seen.RemoveRange(seen.Where(s => string.CompareOrdinal(s.Value.WriteDate, floor) < 0).Select(s => s.Key)) };
    }

    private static string Shift(string odooTime, TimeSpan by) =>
        DateTime.TryParseExact(odooTime, Format, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at.Add(by).ToString(Format, System.Globalization.CultureInfo.InvariantCulture)
            : throw new FormatException($"'{odooTime}' is not an Odoo time ({Format}).");
}

/// <summary>One version of an Odoo record: its <c>write_date</c> and a hash of what it says.</summary>
[GenerateSerializer, Immutable, Alias("integration.InboundVersion")]
public sealed record InboundVersion
{
    /// <summary>Odoo's <c>write_date</c>.</summary>
    [Id(0)] public string WriteDate { get; init; } = "";

    /// <summary>16 hex digits of the SHA-256 of the record as read (state and content).</summary>
    [Id(1)] public string Hash { get; init; } = "";
}

/// <summary>An Odoo record that could not be applied, kept until a later version of it applies.</summary>
[GenerateSerializer, Immutable, Alias("integration.InboundRejection")]
public sealed record InboundRejection
{
    /// <summary><c>mrp.production</c> or <c>purchase.order</c>.</summary>
    [Id(0)] public string Model { get; init; } = "";

    /// <summary>Odoo's record id.</summary>
    [Id(1)] public long Id { get; init; }

    /// <summary>The record's name (order number).</summary>
    [Id(2)] public string Name { get; init; } = "";

    /// <summary>The <c>write_date</c> of the version refused.</summary>
    [Id(3)] public string WriteDate { get; init; } = "";

    /// <summary>Why: what could not be mapped, or the service's answer (status and message).</summary>
    [Id(4)] public string Reason { get; init; } = "";

    /// <summary>When it was refused.</summary>
    [Id(5)] public DateTimeOffset At { get; init; }
}

/// <summary>An Odoo connector's inbound polling: cursors, counts, the last poll and the records refused.</summary>
[GenerateSerializer, Immutable, Alias("integration.InboundState")]
public sealed record InboundState
{
    /// <summary>Per polled model, its cursor.</summary>
    [Id(0)] public ImmutableDictionary<string, InboundCursor> Cursors { get; init; } = ImmutableDictionary<string, InboundCursor>.Empty;

    /// <summary>Records refused and not applied since (at most 200, the newest).</summary>
    [Id(1)] public ImmutableList<InboundRejection> Rejections { get; init; } = [];

    /// <summary>Records applied (a command accepted, or nothing to change).</summary>
    [Id(2)] public long Applied { get; init; }

    /// <summary>When the last poll finished.</summary>
    [Id(3)] public DateTimeOffset? LastPollAt { get; init; }

    /// <summary>Why the last poll stopped early ("" when it read everything): Odoo or a service not reachable, no token.</summary>
    [Id(4)] public string LastError { get; init; } = "";
}
