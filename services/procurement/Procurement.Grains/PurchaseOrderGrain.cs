using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Domain;
using Manufacturing.Procurement.Domain;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Manufacturing.Procurement.Grains;

/// <summary>
/// One purchase order: its state machine, its exactly-once command memory, the lots its receipts
/// create, and the reminder that raises an exception when the supplier does not confirm in time.
/// </summary>
[Manufacturing.Grains.Placement.PlantAffinePlacement]
internal sealed class PurchaseOrderGrain(
    [PersistentState("purchaseOrder", StorageNames.Procurement)] IPersistentState<AggregateState<PurchaseOrder>> state,
    ProcurementPolicy policies)
    : AggregateGrain<PurchaseOrder>(state), IPurchaseOrderGrain
{
    /// <summary>The reminder that watches for the supplier's acknowledgement.</summary>
    public const string AcknowledgementReminder = "acknowledgement-due";

    private TolerancePolicy Policy => policies.For(ResourceNames.SplitKey(Key).Plant);

    protected override string AggregateType => PurchaseOrderEvents.AggregateType;

    /// <summary>A supplier may confirm and notify shipments only on its own purchase orders (the order's vendor).</summary>
    protected override DomainError? AuthorizeCaller(ICommand command, string client) =>
        command.Metadata.Source == SourceSystem.Supplier && Current is { } order && client != $"supplier:{order.Vendor}"
            ? new DomainError(DomainErrorCode.NotPermitted,
                $"{(client.Length == 0 ? "An unnamed supplier" : client)} may not act on {order.Name}: it is vendor {order.Vendor}'s order (only supplier:{order.Vendor} may confirm it or notify its shipments).")
            : null;

    protected override IEnumerable<EventDraft> Describe(PurchaseOrder? before, PurchaseOrder after, ICommand command) =>
        PurchaseOrderEvents.Describe(before, after, command);

    protected override IEnumerable<(string Key, string? Value)> Snapshot(PurchaseOrder after) => PurchaseOrderEvents.Snapshot(after);

    public async Task<CommandResult<PurchaseOrder>> Create(CreatePurchaseOrder command)
    {
        var result = await Execute(command, PurchaseOrderRules.Create);
        await WatchAcknowledgement();
        return result;
    }

    public Task<PurchaseOrder?> Get() => Task.FromResult(Current);

    public async Task<CommandResult<PurchaseOrder>> Change(ChangePurchaseOrder command)
    {
        var result = await Execute(command, PurchaseOrderRules.Change);
        await WatchAcknowledgement();
        return result;
    }

    public async Task<CommandResult<PurchaseOrder>> ConfirmLine(ConfirmLine command)
    {
        var policy = Policy;
        var result = await Execute(command, (k, c, cmd) => PurchaseOrderRules.Confirm(k, c, cmd, policy, Units));
        await WatchAcknowledgement();
        return result;
    }

    public Task<CommandResult<PurchaseOrder>> NotifyShipment(NotifyShipment command) => Execute(command, (k, c, cmd) => PurchaseOrderRules.NotifyShipment(k, c, cmd, Units));

    public Task<CommandResult<PurchaseOrder>> ReceiveGoods(ReceiveGoods command)
    {
        var policy = Policy;
        return WithLots(Decide(command, (k, c, cmd) => PurchaseOrderRules.ReceiveGoods(k, c, cmd, policy, Units)));
    }

    public async Task<CommandResult<PurchaseOrder>> ResolveException(ResolvePurchaseOrderException command)
    {
        var result = await WithLots(Decide(command, (k, c, cmd) => PurchaseOrderRules.Resolve(k, c, cmd, Units)));
        await WatchAcknowledgement();
        return result;
    }

    public override async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != AcknowledgementReminder)
        {
            await base.ReceiveReminder(reminderName, status);
            return;
        }

        var now = (ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        if (Current is { } order && PurchaseOrderRules.AwaitsAcknowledgement(order) && now >= order.CreatedAt + Policy.AcknowledgementDue)
        {
            var metadata = new CommandMetadata("control-plane:acknowledgement-overdue", now) { Source = SourceSystem.ControlPlane };
            await Execute(new RaiseOverdueAcknowledgement { Metadata = metadata, DueAt = order.CreatedAt + Policy.AcknowledgementDue }, PurchaseOrderRules.RaiseOverdue);
        }

        await WatchAcknowledgement();
    }

    /// <summary>
    /// Creates the lots of the receipts a decision adds, before the decision is committed: each lot is
    /// received under a message id derived from its receipt's, so a retry after a failed write finds
    /// the lot already received and completes. If inventory refuses a lot, nothing is committed.
    /// </summary>
    private async Task<CommandResult<PurchaseOrder>> WithLots(Decision<PurchaseOrder> decision)
    {
        if (decision.NextState?.Current is { } next && decision.Result.Error is null)
        {
            var known = Current?.Receipts.Length ?? 0;
            foreach (var receipt in next.Receipts.Skip(known))
            {
                var line = next.Line(receipt.LineId)!;
                var lot = await GrainFactory.GetGrain<ILotGrain>(receipt.LotKey).Receive(new ReceiveLot
                {
                    Metadata = receipt.Metadata.Derive("lot"),
                    Material = line.Material,
                    Quantity = receipt.Quantity,
                    Location = receipt.Location,
                    SupplierLot = receipt.SupplierLot,
                    ExpiryDate = receipt.ExpiryDate,
                    InspectionRequired = line.InspectionRequired,
                    PurchaseOrder = next.Key,
                    Vendor = next.Vendor,
                });
                if (lot.Error is { } refused)
                {
                    return CommandResult<PurchaseOrder>.Refused(refused);
                }
            }
        }

        return await Commit(decision);
    }

    /// <summary>Keeps the acknowledgement reminder registered exactly while the order awaits its supplier.</summary>
    private async Task WatchAcknowledgement()
    {
        if (PurchaseOrderRules.AwaitsAcknowledgement(Current))
        {
            var now = (ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
            var due = Current!.CreatedAt + Policy.AcknowledgementDue - now;
            await this.RegisterOrUpdateReminder(AcknowledgementReminder, due > TimeSpan.Zero ? due : TimeSpan.Zero, policies.ReminderPeriod);
        }
        else if (await this.GetReminder(AcknowledgementReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }
}

/// <summary>
/// The procurement policy per plant: <c>Procurement:Tolerances</c> for every plant, overridden per
/// plant by <c>Plants:{plant}:Procurement</c> (keys <c>QuantityPercent</c>, <c>DateDays</c>,
/// <c>OverReceiptPercent</c>, <c>AcknowledgementDue</c>).
/// </summary>
public sealed class ProcurementPolicy(IConfiguration configuration)
{
    /// <summary>How often the acknowledgement reminder re-checks after its first tick (Orleans' minimum is one minute).</summary>
    public TimeSpan ReminderPeriod { get; } = configuration.GetValue("Procurement:ReminderPeriod", TimeSpan.FromMinutes(15));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TolerancePolicy> _byPlant = new(StringComparer.Ordinal);

    /// <summary>The tolerances of <paramref name="plant"/>, read from configuration once per plant.</summary>
    public TolerancePolicy For(string plant) => _byPlant.GetOrAdd(plant, p =>
    {
        var policy = new TolerancePolicy();
        configuration.GetSection("Procurement:Tolerances").Bind(policy);
        configuration.GetSection($"Plants:{p}:Procurement").Bind(policy);
        return policy;
    });
}
