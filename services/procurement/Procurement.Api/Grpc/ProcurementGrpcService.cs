using Grpc.Core;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Procurement.Api.Mapping;
using Manufacturing.Procurement.V1;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;
using Domain = Manufacturing.Procurement.Domain;

namespace Manufacturing.Procurement.Api.Grpc;

/// <summary>Procurement's gRPC (and REST) contract: maps requests, delegates to purchase order grains, maps results.</summary>
internal sealed class ProcurementGrpcService(IGrainFactory grains, ServiceIdentity service, IReadModelStore readModels, CodeMap codes) : ProcurementService.ProcurementServiceBase
{
    public override async Task<ListPurchaseOrdersResponse> ListPurchaseOrders(ListPurchaseOrdersRequest request, ServerCallContext context)
    {
        NoSupplierLists(context);
        var violations = new Violations();
        var plant = ResourceNames.ParsePlant(request.Parent, "parent", violations);
        var (pageSize, after) = Lists.Paging(request.PageSize, request.PageToken, violations);
        violations.ThrowIfInvalid(service.ErrorDomain);

        var type = Domain.PurchaseOrderEvents.AggregateType;
        var page = await readModels.ListAsync(type, plant!, Lists.StateFilter(request.State), pageSize, after, context.CancellationToken);
        var response = new ListPurchaseOrdersResponse
        {
            NextPageToken = Lists.Token(page.NextPageToken),
            ReadModel = (await readModels.PositionAsync(type, context.CancellationToken)).ToProto(),
        };
        response.PurchaseOrders.AddRange(page.Rows.Select(r => new PurchaseOrderSummary
        {
            Name = ResourceNames.FromKey("purchaseOrders", r.Key),
            State = Lists.ParseState<PurchaseOrderState>(r.State),
            Vendor = r.Fields.GetValueOrDefault("vendor", ""),
            OpenExceptionCount = int.TryParse(r.Fields.GetValueOrDefault("open_exceptions"), out var open) ? open : 0,
            Version = r.Version,
            UpdateTime = r.UpdatedAt.ToProto(),
        }));
        return response;
    }

    public override async Task<ListPurchaseOrderExceptionsResponse> ListPurchaseOrderExceptions(ListPurchaseOrderExceptionsRequest request, ServerCallContext context)
    {
        NoSupplierLists(context);
        var violations = new Violations();
        var plant = ResourceNames.ParsePlant(request.Parent, "parent", violations);
        violations.OptionalText(request.Kind, "kind", 64);
        var (pageSize, after) = Lists.Paging(request.PageSize, request.PageToken, violations);
        violations.ThrowIfInvalid(service.ErrorDomain);

        var page = await readModels.ListExceptionsAsync(Domain.PurchaseOrderEvents.AggregateType, plant!, string.IsNullOrEmpty(request.Kind) ? null : request.Kind,
            Lists.StateFilter(request.State), pageSize, after, context.CancellationToken);
        var response = new ListPurchaseOrderExceptionsResponse
        {
            NextPageToken = Lists.Token(page.NextPageToken),
            ReadModel = (await readModels.PositionAsync(Domain.PurchaseOrderEvents.AggregateType, context.CancellationToken)).ToProto(),
        };
        response.Exceptions.AddRange(page.Rows.Select(r => r.ToProto()));
        return response;
    }

    public override async Task<CreatePurchaseOrderResponse> CreatePurchaseOrder(CreatePurchaseOrderRequest request, ServerCallContext context)
    {
        var (key, command) = PurchaseOrderMapping.ToCommand(request, context.SourceSystem(service.ErrorDomain), codes, service.ErrorDomain);
        var result = await grains.GetGrain<IPurchaseOrderGrain>(key).Create(command);
        var order = result.Unwrap(service.ErrorDomain, ResourceNames.FromKey("purchaseOrders", key));
        return new CreatePurchaseOrderResponse { PurchaseOrder = order.ToProto(), Outcome = result.ToOutcome() };
    }

    public override async Task<GetPurchaseOrderResponse> GetPurchaseOrder(GetPurchaseOrderRequest request, ServerCallContext context)
    {
        var order = await grains.ReadAsync<IPurchaseOrderGrain, Domain.PurchaseOrder>(request.Name, "purchaseOrders", service.ErrorDomain, g => g.Get());
        if (context.Caller(service.ErrorDomain).Vendor is { } vendor && vendor != order.Vendor)
        {
            throw RpcErrors.Create(StatusCode.PermissionDenied, $"supplier:{vendor} may read only its own purchase orders; {order.Name} is vendor {order.Vendor}'s.",
                Common.V1.ErrorReason.NotPermitted, service.ErrorDomain);
        }

        return new GetPurchaseOrderResponse { PurchaseOrder = order.ToProto() };
    }

    public override async Task<ChangePurchaseOrderResponse> ChangePurchaseOrder(ChangePurchaseOrderRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.Name, "name", request.Metadata, (metadata, violations) => new Domain.ChangePurchaseOrder
        {
            Metadata = metadata,
            Lines = PurchaseOrderMapping.ParseLines(request.Lines, "lines", metadata.Source, codes, violations),
        }, (g, c) => g.Change(c));
        return new ChangePurchaseOrderResponse { PurchaseOrder = order.ToProto(), Outcome = outcome };
    }

    public override async Task<ConfirmPurchaseOrderLineResponse> ConfirmPurchaseOrderLine(ConfirmPurchaseOrderLineRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.PurchaseOrder, "purchase_order", request.Metadata, (metadata, violations) =>
        {
            var delivery = request.ConfirmedDeliveryDate.ToDomain("confirmed_delivery_date", violations);
            if (request.ConfirmedDeliveryDate is null)
            {
                violations.Add("confirmed_delivery_date", "is required");
            }

            return new Domain.ConfirmLine
            {
                Metadata = metadata,
                LineId = request.LineId,
                Quantity = request.ConfirmedQuantity.ToDomain("confirmed_quantity", violations, mustBePositive: false)!,
                Delivery = delivery ?? default,
            };
        }, (g, c) => g.ConfirmLine(c));
        return new ConfirmPurchaseOrderLineResponse { PurchaseOrder = order.ToProto(), Outcome = outcome };
    }

    public override async Task<NotifyShipmentResponse> NotifyShipment(NotifyShipmentRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.PurchaseOrder, "purchase_order", request.Metadata, (metadata, violations) =>
            new Domain.NotifyShipment { Metadata = metadata, Notice = request.ShipmentNotice.ToDomain(violations) }, (g, c) => g.NotifyShipment(c));
        return new NotifyShipmentResponse { PurchaseOrder = order.ToProto(), Outcome = outcome };
    }

    public override async Task<ReceiveGoodsResponse> ReceiveGoods(ReceiveGoodsRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.PurchaseOrder, "purchase_order", request.Metadata, (metadata, violations) => new Domain.ReceiveGoods
        {
            Metadata = metadata,
            LineId = request.LineId,
            Quantity = request.Quantity.ToDomain("quantity", violations)!,
            LotId = request.LotId,
            Location = request.Location,
            SupplierLot = request.SupplierLot,
            ExpiryDate = request.ExpiryDate.ToDomain("expiry_date", violations),
        }, (g, c) => g.ReceiveGoods(c));
        var (plant, _) = ResourceNames.SplitKey(order.Key);
        return new ReceiveGoodsResponse
        {
            PurchaseOrder = order.ToProto(),
            Lot = ResourceNames.FromKey("lots", ResourceNames.Key(plant, request.LotId)),
            Outcome = outcome,
        };
    }

    public override async Task<ResolvePurchaseOrderExceptionResponse> ResolvePurchaseOrderException(ResolvePurchaseOrderExceptionRequest request, ServerCallContext context)
    {
        var nameViolations = new Violations();
        var (orderName, number) = ExceptionContracts.ParseName(request.Name, "purchaseOrders", "name", nameViolations);
        var (order, outcome) = await Apply(context, orderName, "name", request.Metadata, (metadata, violations) =>
        {
            foreach (var violation in nameViolations.Items)
            {
                violations.Add(violation.Field, violation.Description);
            }

            var correction = request.Resolution == Common.V1.ExceptionResolution.Correct && request.Correction is { } c
                ? new Domain.Correction
                {
                    Quantity = c.Quantity is null ? null : c.Quantity.ToDomain("correction.quantity", violations, mustBePositive: false),
                    Date = c.Date.ToDomain("correction.date", violations),
                    LineId = string.IsNullOrEmpty(c.LineId) ? null : c.LineId,
                }
                : null;
            return new Domain.ResolvePurchaseOrderException
            {
                Metadata = metadata,
                Number = number,
                Resolution = request.Resolution.ToDomain(),
                Reviewer = request.Reviewer,
                Note = request.Note,
                Correction = correction,
            };
        }, (g, c) => g.ResolveException(c), request.Name);
        return new ResolvePurchaseOrderExceptionResponse { PurchaseOrder = order.ToProto(), Outcome = outcome };
    }

    /// <summary>Lists span vendors; a supplier reads its own orders one by one.</summary>
    private void NoSupplierLists(ServerCallContext context)
    {
        if (context.Caller(service.ErrorDomain).Vendor is { } vendor)
        {
            throw RpcErrors.Create(StatusCode.PermissionDenied, $"supplier:{vendor} may not list a plant's purchase orders; read your own with GetPurchaseOrder.",
                Common.V1.ErrorReason.NotPermitted, service.ErrorDomain);
        }
    }

    /// <summary>
    /// A command on an existing order: parses the order's name and the metadata, builds the command
    /// (which may report more violations), throws INVALID_ARGUMENT listing them all, calls the grain.
    /// </summary>
    private async Task<(Domain.PurchaseOrder Order, Common.V1.CommandOutcome Outcome)> Apply<TCommand>(
        ServerCallContext context, string name, string nameField, Common.V1.CommandMetadata? wireMetadata,
        Func<CommandMetadata, Violations, TCommand> build,
        Func<IPurchaseOrderGrain, TCommand, Task<CommandResult<Domain.PurchaseOrder>>> call,
        string? resourceName = null)
    {
        var violations = new Violations();
        var key = name.Length == 0 ? null : ResourceNames.ParseKey(name, "purchaseOrders", nameField, violations);
        var metadata = wireMetadata.ToDomain("metadata", violations, context.SourceSystem(service.ErrorDomain));
        var command = build(metadata ?? new CommandMetadata("", default), violations);
        violations.ThrowIfInvalid(service.ErrorDomain, resourceName ?? name);
        var result = await call(grains.GetGrain<IPurchaseOrderGrain>(key!), command);
        return (result.Unwrap(service.ErrorDomain, resourceName ?? name), result.ToOutcome());
    }
}
