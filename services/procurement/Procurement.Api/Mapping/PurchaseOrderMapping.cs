using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.Procurement.Domain;
using Manufacturing.ServiceDefaults.Grpc;
using Proto = Manufacturing.Procurement.V1;

namespace Manufacturing.Procurement.Api.Mapping;

/// <summary>Purchase orders between the v1 contract and the domain.</summary>
internal static class PurchaseOrderMapping
{
    /// <summary>Parses a create request into the order's key and the domain command, or throws INVALID_ARGUMENT listing every bad field.</summary>
    public static (string Key, CreatePurchaseOrder Command) ToCommand(Proto.CreatePurchaseOrderRequest request, string errorDomain)
    {
        var violations = new Violations();
        var plant = ResourceNames.ParsePlant(request.Parent, "parent", violations);
        var id = ResourceNames.ParseId(request.PurchaseOrderId, "purchase_order_id", violations);
        var metadata = request.Metadata.ToDomain("metadata", violations);
        var order = request.PurchaseOrder;
        if (order is null)
        {
            violations.Add("purchase_order", "is required");
            violations.ThrowIfInvalid(errorDomain);
        }

        var lines = order!.Lines.Select((line, i) =>
        {
            var field = $"purchase_order.lines[{i}]";
            var quantity = line.Quantity.ToDomain($"{field}.quantity", violations);
            var price = Quantity.ParseDecimal(line.UnitPrice, $"{field}.unit_price", violations);
            var delivery = line.RequestedDeliveryDate.ToDomain($"{field}.requested_delivery_date", violations);
            if (line.RequestedDeliveryDate is null)
            {
                violations.Add($"{field}.requested_delivery_date", "is required");
            }

            return new PurchaseOrderLine
            {
                LineId = line.LineId,
                Material = line.Material,
                Quantity = quantity!,
                UnitPrice = price ?? 0,
                RequestedDelivery = delivery ?? default,
            };
        }).ToImmutableArray();
        violations.ThrowIfInvalid(errorDomain);

        var command = new CreatePurchaseOrder { Metadata = metadata!, Vendor = order.Vendor, Currency = order.Currency, Lines = lines };
        if (PurchaseOrderRules.Validate(command) is { } invalid)
        {
            throw RpcErrors.ToRpcException(invalid, errorDomain, null);
        }

        return (ResourceNames.Key(plant!, id!), command);
    }

    /// <summary>The order on the wire.</summary>
    public static Proto.PurchaseOrder ToProto(this PurchaseOrder order)
    {
        var proto = new Proto.PurchaseOrder
        {
            Name = order.Name,
            Vendor = order.Vendor,
            Currency = order.Currency,
            State = (Proto.PurchaseOrderState)(int)order.Status,
            Version = order.Version,
            CreateTime = order.CreatedAt.ToProto(),
        };
        proto.Lines.AddRange(order.Lines.Select(l => new Proto.PurchaseOrderLine
        {
            LineId = l.LineId,
            Material = l.Material,
            Quantity = l.Quantity.ToProto(),
            UnitPrice = l.UnitPrice.ToString(System.Globalization.CultureInfo.InvariantCulture),
            RequestedDeliveryDate = l.RequestedDelivery.ToProto(),
        }));
        return proto;
    }
}
