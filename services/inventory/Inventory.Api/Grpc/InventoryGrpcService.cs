using Grpc.Core;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Api.Mapping;
using Manufacturing.Inventory.V1;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;

namespace Manufacturing.Inventory.Api.Grpc;

/// <summary>Inventory's gRPC (and REST) contract: maps requests, delegates to lot grains, maps results.</summary>
internal sealed class InventoryGrpcService(IGrainFactory grains, ServiceIdentity service) : InventoryService.InventoryServiceBase
{
    public override async Task<ReceiveLotResponse> ReceiveLot(ReceiveLotRequest request, ServerCallContext context)
    {
        var (key, command) = LotMapping.ToCommand(request, service.ErrorDomain);
        var result = await grains.GetGrain<ILotGrain>(key).Receive(command);
        var lot = result.Unwrap(service.ErrorDomain, ResourceNames.FromKey("lots", key));
        return new ReceiveLotResponse { Lot = lot.ToProto(), Outcome = result.ToOutcome() };
    }

    public override async Task<GetLotResponse> GetLot(GetLotRequest request, ServerCallContext context)
    {
        var lot = await grains.ReadAsync<ILotGrain, Manufacturing.Inventory.Domain.Lot>(request.Name, "lots", service.ErrorDomain, g => g.Get());
        return new GetLotResponse { Lot = lot.ToProto() };
    }
}
