using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Manufacturing.Integration.Connectors.Odoo;
using Manufacturing.Integration.Grains;
using Manufacturing.Procurement.V1;
using Manufacturing.ShopFloor.V1;
using CommandMetadata = Manufacturing.Common.V1.CommandMetadata;
using Quantity = Manufacturing.Common.V1.Quantity;

namespace Manufacturing.Integration.Api.Grpc;

/// <summary>
/// Applies what Odoo changed as commands of the <c>odoo</c> identity, through the domain services'
/// own gRPC contracts (<c>Integration:Inbound:ShopFloor</c>, <c>Integration:Inbound:Procurement</c>),
/// so validation, ownership and idempotency are theirs. It reads first and sends only what differs:
/// a manufacturing order new here is released, one whose quantity or dates changed is amended, one
/// cancelled in Odoo is cancelled; a purchase order new here is created, one whose lines changed is
/// changed. Each command's message id names the Odoo record and its <c>write_date</c>, so a version
/// applied twice is a duplicate.
/// </summary>
public sealed class OdooInboundApplier(IConfiguration configuration) : IInboundApplier, IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly Lazy<GrpcChannel?> _shopFloor = new(() => Channel(configuration, "ShopFloor"));
    private readonly Lazy<GrpcChannel?> _procurement = new(() => Channel(configuration, "Procurement"));

    private static GrpcChannel? Channel(IConfiguration configuration, string service) =>
        configuration[$"Integration:Inbound:{service}"] is { Length: > 0 } address ? GrpcChannel.ForAddress(address) : null;

    /// <inheritdoc />
    public async Task<InboundOutcome> ApplyAsync(string plant, OdooChange change, string token, CancellationToken cancellationToken)
    {
        var options = new CallOptions(new Metadata { { "authorization", $"Bearer {token}" } }, DateTime.UtcNow + CallTimeout, cancellationToken);
        try
        {
            return change switch
            {
                { Production: { } production } => await ProductionAsync(plant, change, production, options),
                { Purchase: { } purchase } => await PurchaseAsync(plant, change, purchase, options),
                _ => new InboundOutcome(InboundResult.Rejected, $"{change.Model} is not applied here."),
            };
        }
        catch (RpcException e)
        {
            return Outcome(e);
        }
    }

    private async Task<InboundOutcome> ProductionAsync(string plant, OdooChange change, InboundProduction order, CallOptions options)
    {
        var client = new ShopFloorService.ShopFloorServiceClient(_shopFloor.Value ?? throw Unconfigured("ShopFloor"));
        var name = $"plants/{plant}/productionOrders/{change.Name}";
        var ours = await GetAsync(() => client.GetProductionOrderAsync(new GetProductionOrderRequest { Name = name }, options).ResponseAsync);
        if (change.State == "cancel")
        {
            if (ours?.ProductionOrder is not { } current)
            {
                return new InboundOutcome(InboundResult.Unchanged, "cancelled in Odoo before it was released here");
            }

            if (current.State is ProductionOrderState.Cancelled or ProductionOrderState.Closed or ProductionOrderState.Completed)
            {
                return new InboundOutcome(InboundResult.Unchanged, $"already {current.State} here");
            }

            var cancelled = await client.CancelProductionOrderAsync(new CancelProductionOrderRequest
            {
                Name = name, Reason = $"Cancelled in Odoo ({change.Name})", Metadata = Metadata(change, "cancel"),
            }, options);
            return new InboundOutcome(InboundResult.Applied, $"cancelled (version {cancelled.ProductionOrder.Version})");
        }

        var start = order.Start is { } s ? Timestamp.FromDateTimeOffset(s) : null;
        var end = order.End is { } e ? Timestamp.FromDateTimeOffset(e) : null;
        var quantity = new Quantity { Value = Text(order.Quantity), UnitOfMeasure = order.Unit };
        if (ours?.ProductionOrder is not { } existing)
        {
            var released = new ProductionOrder { Product = order.Product, Quantity = quantity, PlannedStartTime = start, PlannedEndTime = end };
            released.Components.AddRange(order.Components.Select(c => new Component
            {
                Material = c.Material, QuantityPerUnit = new Quantity { Value = Text(c.PerUnit), UnitOfMeasure = c.Unit },
            }));
            released.Operations.AddRange(order.Operations.Select(o => new Operation { OperationId = o.OperationId, WorkCenter = o.WorkCenter, Description = o.Description }));
            var response = await client.ReleaseProductionOrderAsync(new ReleaseProductionOrderRequest
            {
                Parent = $"plants/{plant}", ProductionOrderId = change.Name, ProductionOrder = released, Metadata = Metadata(change, "release"),
            }, options);
            return new InboundOutcome(InboundResult.Applied, $"released (version {response.ProductionOrder.Version})");
        }

        if (Same(existing.Quantity, quantity) && existing.PlannedStartTime == start && existing.PlannedEndTime == end)
        {
            return new InboundOutcome(InboundResult.Unchanged, "quantity and dates as here");
        }

        var amended = await client.AmendProductionOrderAsync(new AmendProductionOrderRequest
        {
            Name = name, Quantity = quantity, PlannedStartTime = start, PlannedEndTime = end, Metadata = Metadata(change, "amend"),
        }, options);
        return new InboundOutcome(InboundResult.Applied, $"amended (version {amended.ProductionOrder.Version})");
    }

    private async Task<InboundOutcome> PurchaseAsync(string plant, OdooChange change, InboundPurchase order, CallOptions options)
    {
        var client = new ProcurementService.ProcurementServiceClient(_procurement.Value ?? throw Unconfigured("Procurement"));
        var name = $"plants/{plant}/purchaseOrders/{change.Name}";
        var lines = order.Lines.Select(l => new Procurement.V1.PurchaseOrderLine
        {
            LineId = l.LineId,
            Material = l.Material,
            Quantity = new Quantity { Value = Text(l.Quantity), UnitOfMeasure = l.Unit },
            UnitPrice = Text(l.UnitPrice),
            RequestedDeliveryDate = l.Delivery is { } d ? new Google.Type.Date { Year = d.Year, Month = d.Month, Day = d.Day } : null,
        }).ToList();
        var ours = await GetAsync(() => client.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = name }, options).ResponseAsync);
        if (ours?.PurchaseOrder is not { } existing)
        {
            var created = await client.CreatePurchaseOrderAsync(new CreatePurchaseOrderRequest
            {
                Parent = $"plants/{plant}",
                PurchaseOrderId = change.Name,
                PurchaseOrder = new Procurement.V1.PurchaseOrder { Vendor = order.Vendor, Currency = order.Currency, Lines = { lines } },
                Metadata = Metadata(change, "create"),
            }, options);
            return new InboundOutcome(InboundResult.Applied, $"created (version {created.PurchaseOrder.Version})");
        }

        var current = existing.Lines.ToDictionary(l => l.LineId.TrimStart('0'), StringComparer.Ordinal);
        var same = current.Count == lines.Count && lines.All(l => current.TryGetValue(l.LineId.TrimStart('0'), out var c)
            && c.Material == l.Material && Same(c.Quantity, l.Quantity) && Number(c.UnitPrice) == Number(l.UnitPrice) && Equals(c.RequestedDeliveryDate, l.RequestedDeliveryDate));
        if (same)
        {
            return new InboundOutcome(InboundResult.Unchanged, "lines as here");
        }

        var changed = await client.ChangePurchaseOrderAsync(new ChangePurchaseOrderRequest { Name = name, Lines = { lines }, Metadata = Metadata(change, "change") }, options);
        return new InboundOutcome(InboundResult.Applied, $"changed (version {changed.PurchaseOrder.Version})");
    }

    // The resource, or null when it does not exist here yet.
    private static async Task<T?> GetAsync<T>(Func<Task<T>> get)
        where T : class
    {
        try
        {
            return await get();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    // The record's version in Odoo (write_date and content hash) names the command: a version applied twice is a duplicate.
    private static CommandMetadata Metadata(OdooChange change, string command)
    {
        var at = DateTime.ParseExact(change.WriteDate, OdooInboundReader.DateFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        return new CommandMetadata
        {
            MessageId = $"odoo:{change.Model}:{change.Id.ToString(CultureInfo.InvariantCulture)}:{at.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}:{change.Hash}:{command}",
            OccurredAt = Timestamp.FromDateTime(DateTime.SpecifyKind(at, DateTimeKind.Utc)),
        };
    }

    // Not reachable, overloaded, a token that expired (rotated before the next poll), a concurrent
    // change: the next poll tries again. Anything else is the service's considered refusal.
    private static InboundOutcome Outcome(RpcException e)
    {
        if (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted
            or StatusCode.Internal or StatusCode.Unknown or StatusCode.Unauthenticated or StatusCode.Cancelled)
        {
            return new InboundOutcome(InboundResult.Transient, $"{e.StatusCode}: {e.Status.Detail}");
        }

        var violations = e.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>()?.FieldViolations.Select(v => $"{v.Field} {v.Description}") ?? [];
        return new InboundOutcome(InboundResult.Rejected, string.Join("; ", new[] { $"{e.StatusCode}: {e.Status.Detail}" }.Concat(violations)));
    }

    private static RpcException Unconfigured(string service) => new(new Status(StatusCode.Unavailable,
        $"The integration host has no {service} address (Integration__Inbound__{service}), so it cannot apply what Odoo changed."));

    private static bool Same(Quantity? ours, Quantity theirs) =>
        ours is not null && ours.UnitOfMeasure == theirs.UnitOfMeasure && Number(ours.Value) == Number(theirs.Value);

    private static decimal? Number(string text) =>
        decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string Text(decimal value) => Manufacturing.Integration.Domain.Reconciliation.Text(value);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var channel in new[] { _shopFloor, _procurement }.Where(c => c.IsValueCreated))
        {
            channel.Value?.Dispose();
        }
    }
}
