using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using Manufacturing.Domain;
using Manufacturing.Integration.Connectors.Sap;
using Manufacturing.Integration.Grains;
using Manufacturing.Integration.V1;
using Manufacturing.Procurement.V1;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;
using CommandMetadata = Manufacturing.Common.V1.CommandMetadata;
using Quantity = Manufacturing.Common.V1.Quantity;

namespace Manufacturing.Integration.Api.Grpc;

/// <summary>
/// SAP IDocs in: reads the XML (<see cref="SapIdocs"/>), maps SAP plants to plants through the SAP
/// connectors' <c>SapPlants</c>, and calls ProcurementService (<c>Integration:Inbound:Procurement</c>)
/// with the caller's own credentials, so its identity, scopes and the ownership rules apply exactly as
/// if it had called procurement itself. The IDoc number makes the message id: a re-sent IDoc is a
/// duplicate, not a second order.
/// </summary>
public sealed class IdocIntake(IntegrationRuntime runtime, IConfiguration configuration, ServiceIdentity service) : IDisposable
{
    /// <summary>The largest IDoc taken.</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    private readonly Lazy<GrpcChannel?> _procurement = new(() => configuration["Integration:Inbound:Procurement"] is { Length: > 0 } address
        ? GrpcChannel.ForAddress(address)
        : null);

    /// <summary>Applies the IDoc in <paramref name="request"/> on behalf of the caller of <paramref name="context"/>.</summary>
    public async Task<ReceiveIdocResponse> ReceiveAsync(ReceiveIdocRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var body = request.Idoc?.Data ?? Google.Protobuf.ByteString.Empty;
        object idoc = null!;
        if (body.IsEmpty)
        {
            violations.Add("idoc", "is empty; send the IDoc XML as the body");
        }
        else if (body.Length > MaxBytes)
        {
            violations.Add("idoc", $"is {body.Length} bytes; at most {MaxBytes} are taken");
        }
        else
        {
            try
            {
                idoc = SapIdocs.Parse(body.ToStringUtf8());
            }
            catch (IdocException e)
            {
                violations.Add($"idoc.{e.Path}", e.Reason);
            }
        }

        violations.ThrowIfInvalid(service.ErrorDomain);
        var client = new ProcurementService.ProcurementServiceClient(_procurement.Value ?? throw new RpcException(new Status(StatusCode.FailedPrecondition,
            "The integration host has no procurement address (Integration__Inbound__Procurement), so it cannot apply IDocs.")));
        var headers = new Metadata();
        if (context.RequestHeaders.GetValue("authorization") is { } authorization)
        {
            headers.Add("authorization", authorization);
        }

        var options = new CallOptions(headers, context.Deadline, context.CancellationToken);
        return idoc switch
        {
            IdocPurchaseOrder order => await PurchaseOrderAsync(order, client, options, violations),
            IdocShipmentNotice notice => await ShipmentNoticeAsync(notice, client, options, violations),
            _ => throw new InvalidOperationException("SapIdocs.Parse answered neither an order nor a notice."),
        };
    }

    private async Task<ReceiveIdocResponse> PurchaseOrderAsync(IdocPurchaseOrder order, ProcurementService.ProcurementServiceClient client, CallOptions options, Violations violations)
    {
        var plant = Plant(order.Lines[0].Plant, "idoc.E1EDP01[1]/WERKS", violations);
        for (var i = 1; i < order.Lines.Count; i++)
        {
            if (order.Lines[i].Plant != order.Lines[0].Plant)
            {
                violations.Add($"idoc.E1EDP01[{i + 1}]/WERKS", $"is SAP plant {order.Lines[i].Plant}; one order is for one plant ({order.Lines[0].Plant})");
            }
        }

        violations.ThrowIfInvalid(service.ErrorDomain);
        var lines = order.Lines.Select(l => new Procurement.V1.PurchaseOrderLine
        {
            LineId = l.Item,
            Material = l.Material,
            Quantity = new Quantity { Value = Text(l.Quantity), UnitOfMeasure = l.Unit },
            UnitPrice = Text(l.UnitPrice),
            RequestedDeliveryDate = new Google.Type.Date { Year = l.Delivery.Year, Month = l.Delivery.Month, Day = l.Delivery.Day },
        }).ToList();
        var metadata = Metadata(order.Control, "");
        var response = new ReceiveIdocResponse { IdocNumber = order.Control.Number, MessageType = order.Control.MessageType };
        var name = ResourceNames.FromKey("purchaseOrders", ResourceNames.Key(plant!, order.Number));
        if (order.IsChange)
        {
            var changed = await client.ChangePurchaseOrderAsync(new ChangePurchaseOrderRequest { Name = name, Lines = { lines }, Metadata = metadata }, options);
            response.Commands.Add(new IdocCommand { Command = "ChangePurchaseOrder", Resource = name, Outcome = changed.Outcome });
        }
        else
        {
            var created = await client.CreatePurchaseOrderAsync(new CreatePurchaseOrderRequest
            {
                Parent = $"plants/{plant}",
                PurchaseOrderId = order.Number,
                PurchaseOrder = new Procurement.V1.PurchaseOrder { Vendor = order.Vendor, Currency = order.Currency, Lines = { lines } },
                Metadata = metadata,
            }, options);
            response.Commands.Add(new IdocCommand { Command = "CreatePurchaseOrder", Resource = created.PurchaseOrder.Name, Outcome = created.Outcome });
        }

        return response;
    }

    private async Task<ReceiveIdocResponse> ShipmentNoticeAsync(IdocShipmentNotice notice, ProcurementService.ProcurementServiceClient client, CallOptions options, Violations violations)
    {
        var orders = notice.Lines.Select((line, i) => (Line: line, Plant: Plant(line.Plant, $"idoc.E1EDL20/E1EDL24[{i + 1}]/WERKS", violations)))
            .GroupBy(l => (l.Plant, l.Line.PurchaseOrder)).ToList();
        violations.ThrowIfInvalid(service.ErrorDomain);
        var response = new ReceiveIdocResponse { IdocNumber = notice.Control.Number, MessageType = notice.Control.MessageType };
        foreach (var order in orders)
        {
            var name = ResourceNames.FromKey("purchaseOrders", ResourceNames.Key(order.Key.Plant!, order.Key.PurchaseOrder));
            var shipment = new ShipmentNotice
            {
                NoticeId = notice.Delivery,
                ExpectedArrivalTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(notice.ExpectedArrival),
            };
            shipment.Lines.AddRange(order.Select(l => new ShipmentLine
            {
                LineId = l.Line.Item,
                Quantity = new Quantity { Value = Text(l.Line.Quantity), UnitOfMeasure = l.Line.Unit },
                SupplierLot = l.Line.SupplierLot,
            }));
            var notified = await client.NotifyShipmentAsync(new NotifyShipmentRequest
            {
                PurchaseOrder = name, ShipmentNotice = shipment, Metadata = Metadata(notice.Control, order.Key.PurchaseOrder),
            }, options);
            response.Commands.Add(new IdocCommand { Command = "NotifyShipment", Resource = name, Outcome = notified.Outcome });
        }

        return response;
    }

    // SAP plant → plant, through every SAP connector's SapPlants.
    private string? Plant(string sapPlant, string field, Violations violations)
    {
        var plants = runtime.Connectors.Values.Where(c => c.Options.Kind == "sap")
            .SelectMany(c => c.Options.SapPlants).Where(p => p.Value == sapPlant).Select(p => p.Key).Distinct(StringComparer.Ordinal).ToList();
        if (plants.Count == 1)
        {
            return plants[0];
        }

        violations.Add(field, plants.Count == 0
            ? $"SAP plant {sapPlant} is not mapped to a plant by any SAP connector (Integration__Connectors__<name>__SapPlants__<plant>={sapPlant})"
            : $"SAP plant {sapPlant} is mapped to more than one plant ({string.Join(", ", plants)})");
        return null;
    }

    // The IDoc number makes the message id, and its creation time the command's time: a re-sent IDoc
    // (same sender, same DOCNUM) is the same command, a duplicate. Without CREDAT, the time it arrived.
    private static CommandMetadata Metadata(IdocControl control, string part) => new()
    {
        MessageId = $"idoc:{control.Sender}:{control.Number}" + (part.Length > 0 ? $":{part}" : ""),
        OccurredAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(control.Created ?? DateTimeOffset.UtcNow),
    };

    private static string Text(decimal value) => Manufacturing.Integration.Domain.Reconciliation.Text(value);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_procurement.IsValueCreated)
        {
            _procurement.Value?.Dispose();
        }
    }
}
