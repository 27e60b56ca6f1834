using Grpc.Core;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Procurement.Api.Mapping;
using Manufacturing.Procurement.V1;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;

namespace Manufacturing.Procurement.Api.Grpc;

/// <summary>Procurement's gRPC (and REST) contract: maps requests, delegates to purchase order grains, maps results.</summary>
internal sealed class ProcurementGrpcService(IGrainFactory grains, ServiceIdentity service) : ProcurementService.ProcurementServiceBase
{
    public override async Task<CreatePurchaseOrderResponse> CreatePurchaseOrder(CreatePurchaseOrderRequest request, ServerCallContext context)
    {
        var (key, command) = PurchaseOrderMapping.ToCommand(request, service.ErrorDomain);
        var result = await grains.GetGrain<IPurchaseOrderGrain>(key).Create(command);
        var order = result.Unwrap(service.ErrorDomain, ResourceNames.FromKey("purchaseOrders", key));
        return new CreatePurchaseOrderResponse { PurchaseOrder = order.ToProto(), Outcome = result.ToOutcome() };
    }

    public override async Task<GetPurchaseOrderResponse> GetPurchaseOrder(GetPurchaseOrderRequest request, ServerCallContext context)
    {
        var order = await grains.ReadAsync<IPurchaseOrderGrain, Manufacturing.Procurement.Domain.PurchaseOrder>(request.Name, "purchaseOrders", service.ErrorDomain, g => g.Get());
        return new GetPurchaseOrderResponse { PurchaseOrder = order.ToProto() };
    }
}
