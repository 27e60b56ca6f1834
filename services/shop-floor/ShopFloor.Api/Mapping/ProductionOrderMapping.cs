using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.ServiceDefaults.Grpc;
using Manufacturing.ShopFloor.Domain;
using Proto = Manufacturing.ShopFloor.V1;

namespace Manufacturing.ShopFloor.Api.Mapping;

/// <summary>Production orders between the v1 contract and the domain.</summary>
internal static class ProductionOrderMapping
{
    /// <summary>Parses a release request into the order's key and the domain command, or throws INVALID_ARGUMENT listing every bad field.</summary>
    public static (string Key, ReleaseProductionOrder Command) ToCommand(Proto.ReleaseProductionOrderRequest request, SourceSystem source, CodeMap codes, string errorDomain)
    {
        var violations = new Violations();
        var plant = ResourceNames.ParsePlant(request.Parent, "parent", violations);
        var id = ResourceNames.ParseId(request.ProductionOrderId, "production_order_id", violations);
        var metadata = request.Metadata.ToDomain("metadata", violations, source);
        var order = request.ProductionOrder;
        if (order is null)
        {
            violations.Add("production_order", "is required");
            violations.ThrowIfInvalid(errorDomain);
        }

        var quantity = order!.Quantity.ToDomain("production_order.quantity", violations);
        var components = order.Components.Select((c, i) => new BomComponent(
            codes.Canonical(source, c.Material),
            c.QuantityPerUnit.ToDomain($"production_order.components[{i}].quantity_per_unit", violations)!)).ToImmutableArray();
        var operations = order.Operations.Select(o => new RoutingOperation(o.OperationId, o.WorkCenter, o.Description)).ToImmutableArray();
        var start = order.PlannedStartTime.ToDomain("production_order.planned_start_time", violations);
        var end = order.PlannedEndTime.ToDomain("production_order.planned_end_time", violations);
        violations.ThrowIfInvalid(errorDomain);

        var command = new ReleaseProductionOrder
        {
            Metadata = metadata!,
            Product = codes.Canonical(source, order.Product),
            Quantity = quantity!,
            Components = components,
            Operations = operations,
            PlannedStart = start!.Value,
            PlannedEnd = end!.Value,
        };

        // Report the domain's own checks together with the format checks, in one response.
        if (ProductionOrderRules.Validate(command) is { } invalid)
        {
            throw RpcErrors.ToRpcException(invalid, errorDomain, null);
        }

        return (ResourceNames.Key(plant!, id!), command);
    }

    /// <summary>The order on the wire.</summary>
    public static Proto.ProductionOrder ToProto(this ProductionOrder order)
    {
        var proto = new Proto.ProductionOrder
        {
            Name = order.Name,
            Product = order.Product,
            Quantity = order.Quantity.ToProto(),
            PlannedStartTime = order.PlannedStart.ToProto(),
            PlannedEndTime = order.PlannedEnd.ToProto(),
            State = (Proto.ProductionOrderState)(int)order.Status,
            Version = order.Version,
            ReleaseTime = order.ReleasedAt.ToProto(),
            AmendmentCount = order.Amendments,
            CancelReason = order.CancelReason,
        };
        proto.Components.AddRange(order.Components.Select(c => new Proto.Component { Material = c.Material, QuantityPerUnit = c.QuantityPerUnit.ToProto() }));
        proto.Operations.AddRange(order.Operations.Select(o => new Proto.Operation
        {
            OperationId = o.OperationId,
            WorkCenter = o.WorkCenter,
            Description = o.Description,
            State = o.Status switch
            {
                OperationStatus.Pending => Proto.OperationState.Pending,
                OperationStatus.Running => Proto.OperationState.Running,
                OperationStatus.Paused => Proto.OperationState.Paused,
                OperationStatus.Completed => Proto.OperationState.Completed,
                _ => Proto.OperationState.Unspecified,
            },
            StartTime = o.StartedAt?.ToProto(),
            CompleteTime = o.CompletedAt?.ToProto(),
            GoodQuantity = o.Status == OperationStatus.Completed ? new Quantity(o.GoodQuantity, order.Quantity.Unit).ToProto() : null,
            ScrapQuantity = o.Status == OperationStatus.Completed ? new Quantity(o.ScrapQuantity, order.Quantity.Unit).ToProto() : null,
            ScrapReason = o.ScrapReason,
            PauseReason = o.PauseReason,
            StartInferred = o.StartInferred,
        }));
        proto.Consumptions.AddRange(order.Consumptions.Select(c => new Proto.MaterialConsumption
        {
            Component = c.Component,
            Lot = ResourceNames.FromKey("lots", c.LotKey),
            Quantity = c.Quantity.ToProto(),
            ConsumeTime = c.At.ToProto(),
            Location = c.Location,
            Exception = c.ViaException is { } n ? order.ExceptionName(n) : "",
        }));
        proto.Outputs.AddRange(order.Outputs.Select(o => new Proto.OutputDeclaration
        {
            Lot = ResourceNames.FromKey("lots", o.LotKey),
            Quantity = o.Quantity.ToProto(),
            DeclareTime = o.At.ToProto(),
        }));
        proto.Nonconformances.AddRange(order.Nonconformances);
        proto.Exceptions.AddRange(order.Exceptions.Select(e => e.ToProto(order.ExceptionName(e.Number))));
        return proto;
    }
}
