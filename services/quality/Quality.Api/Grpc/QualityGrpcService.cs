using Grpc.Core;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Quality.Domain;
using Manufacturing.Quality.V1;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;

namespace Manufacturing.Quality.Api.Grpc;

/// <summary>Quality's gRPC (and REST) contract: maps requests, delegates to the lot-quality grains, maps results.</summary>
internal sealed class QualityGrpcService(IGrainFactory grains, ServiceIdentity service) : QualityService.QualityServiceBase
{
    public override async Task<BlockLotResponse> BlockLot(BlockLotRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var key = ResourceNames.ParseKey(request.Lot, "lots", "lot", violations);
        var metadata = request.Metadata.ToDomain("metadata", violations);
        violations.ThrowIfInvalid(service.ErrorDomain, request.Lot);
        var command = new PlaceLotHold { Metadata = metadata!, Reason = request.Reason };
        if (LotHoldRules.Validate(command) is { } invalid)
        {
            throw RpcErrors.ToRpcException(invalid, service.ErrorDomain, request.Lot);
        }

        var result = await grains.GetGrain<ILotQualityGrain>(key!).PlaceHold(command);
        var lot = result.Unwrap(service.ErrorDomain, request.Lot);
        return new BlockLotResponse { Lot = lot.ToProto(), Outcome = result.ToOutcome() };
    }
}
