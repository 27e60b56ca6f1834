using Grpc.Core;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;
using Manufacturing.ShopFloor.Api.Mapping;
using Manufacturing.ShopFloor.V1;

namespace Manufacturing.ShopFloor.Api.Grpc;

/// <summary>The shop floor's gRPC (and REST) contract: maps requests, delegates to grains, maps results.</summary>
internal sealed class ShopFloorGrpcService(IGrainFactory grains, ServiceIdentity service) : ShopFloorService.ShopFloorServiceBase
{
    public override async Task<ReleaseProductionOrderResponse> ReleaseProductionOrder(ReleaseProductionOrderRequest request, ServerCallContext context)
    {
        var (key, command) = ProductionOrderMapping.ToCommand(request, service.ErrorDomain);
        var result = await grains.GetGrain<IProductionOrderGrain>(key).Release(command);
        var order = result.Unwrap(service.ErrorDomain, ResourceNames.FromKey("productionOrders", key));
        return new ReleaseProductionOrderResponse { ProductionOrder = order.ToProto(), Outcome = result.ToOutcome() };
    }

    public override async Task<GetProductionOrderResponse> GetProductionOrder(GetProductionOrderRequest request, ServerCallContext context)
    {
        var order = await grains.ReadAsync<IProductionOrderGrain, Manufacturing.ShopFloor.Domain.ProductionOrder>(request.Name, "productionOrders", service.ErrorDomain, g => g.Get());
        return new GetProductionOrderResponse { ProductionOrder = order.ToProto() };
    }
}
