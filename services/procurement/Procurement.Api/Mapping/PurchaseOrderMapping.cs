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
    public static (string Key, CreatePurchaseOrder Command) ToCommand(Proto.CreatePurchaseOrderRequest request, SourceSystem source, CodeMap codes, string errorDomain)
    {
        var violations = new Violations();
        var plant = ResourceNames.ParsePlant(request.Parent, "parent", violations);
        var id = ResourceNames.ParseId(request.PurchaseOrderId, "purchase_order_id", violations);
        var metadata = request.Metadata.ToDomain("metadata", violations, source);
        var order = request.PurchaseOrder;
        if (order is null)
        {
            violations.Add("purchase_order", "is required");
            violations.ThrowIfInvalid(errorDomain);
        }

        var lines = ParseLines(order!.Lines, "purchase_order.lines", source, codes, violations);
        violations.ThrowIfInvalid(errorDomain);

        var command = new CreatePurchaseOrder { Metadata = metadata!, Vendor = order.Vendor, Currency = order.Currency, Lines = lines };
        if (PurchaseOrderRules.Validate(command) is { } invalid)
        {
            throw RpcErrors.ToRpcException(invalid, errorDomain, null);
        }

        return (ResourceNames.Key(plant!, id!), command);
    }

    /// <summary>Wire lines as domain lines, materials in canonical codes; violations under <paramref name="field"/>.</summary>
    public static ImmutableArray<PurchaseOrderLine> ParseLines(IEnumerable<Proto.PurchaseOrderLine> wire, string field, SourceSystem source, CodeMap codes, Violations violations) =>
        wire.Select((line, i) =>
        {
            var path = $"{field}[{i}]";
            var quantity = line.Quantity.ToDomain($"{path}.quantity", violations);
            var price = Quantity.ParseDecimal(line.UnitPrice, $"{path}.unit_price", violations);
            var delivery = line.RequestedDeliveryDate.ToDomain($"{path}.requested_delivery_date", violations);
            if (line.RequestedDeliveryDate is null)
            {
                violations.Add($"{path}.requested_delivery_date", "is required");
            }

            return new PurchaseOrderLine
            {
                LineId = line.LineId,
                Material = codes.Canonical(source, line.Material),
                Quantity = quantity ?? new Quantity(0, "EA"),
                UnitPrice = price ?? 0,
                RequestedDelivery = delivery ?? default,
                InspectionRequired = line.InspectionRequired,
            };
        }).ToImmutableArray();

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
            InspectionRequired = l.InspectionRequired,
            Confirmation = l.Confirmation is { } c ? new Proto.LineConfirmation
            {
                Quantity = c.Quantity.ToProto(),
                DeliveryDate = c.Delivery.ToProto(),
                ConfirmTime = c.ConfirmedAt.ToProto(),
                Exception = c.ViaException is { } n ? order.ExceptionName(n) : "",
            } : null,
            ReceivedQuantity = Quantity.Format(l.ReceivedQuantity),
            ShippedQuantity = Quantity.Format(l.ShippedQuantity),
        }));
        proto.ShipmentNotices.AddRange(order.ShipmentNotices.Select(n => n.ToProto()));
        proto.Receipts.AddRange(order.Receipts.Select(r => new Proto.GoodsReceipt
        {
            LineId = r.LineId,
            Quantity = r.Quantity.ToProto(),
            Lot = ResourceNames.FromKey("lots", r.LotKey),
            Location = r.Location,
            ReceiveTime = r.Metadata.OccurredAt.ToProto(),
        }));
        proto.Exceptions.AddRange(order.Exceptions.Select(e => e.ToProto(order.ExceptionName(e.Number))));
        return proto;
    }

    /// <summary>A shipment notice on the wire.</summary>
    public static Proto.ShipmentNotice ToProto(this ShipmentNotice notice)
    {
        var proto = new Proto.ShipmentNotice { NoticeId = notice.NoticeId, ExpectedArrivalTime = notice.ExpectedArrival.ToProto() };
        proto.Lines.AddRange(notice.Lines.Select(l => new Proto.ShipmentLine { LineId = l.LineId, Quantity = l.Quantity.ToProto(), SupplierLot = l.SupplierLot }));
        return proto;
    }

    /// <summary>A wire shipment notice as the domain's; violations are reported under <c>shipment_notice</c>.</summary>
    public static ShipmentNotice ToDomain(this Proto.ShipmentNotice? notice, Violations violations)
    {
        if (notice is null)
        {
            violations.Add("shipment_notice", "is required");
            return new ShipmentNotice { NoticeId = "" };
        }

        var arrival = notice.ExpectedArrivalTime.ToDomain("shipment_notice.expected_arrival_time", violations);
        var lines = notice.Lines.Select((l, i) => new ShipmentLine
        {
            LineId = l.LineId,
            Quantity = l.Quantity.ToDomain($"shipment_notice.lines[{i}].quantity", violations) ?? new Quantity(0, "EA"),
            SupplierLot = l.SupplierLot,
        }).ToImmutableArray();
        return new ShipmentNotice { NoticeId = notice.NoticeId, ExpectedArrival = arrival ?? default, Lines = lines };
    }
}
