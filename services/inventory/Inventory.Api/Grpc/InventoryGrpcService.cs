using Grpc.Core;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.Api.Mapping;
using Manufacturing.Inventory.V1;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;
using Domain = Manufacturing.Inventory.Domain;

namespace Manufacturing.Inventory.Api.Grpc;

/// <summary>Inventory's gRPC (and REST) contract: maps requests, delegates to lot grains, maps results.</summary>
internal sealed class InventoryGrpcService(IGrainFactory grains, ServiceIdentity service, LotTracer tracer, CodeMap codes) : InventoryService.InventoryServiceBase
{
    public override async Task<ReceiveLotResponse> ReceiveLot(ReceiveLotRequest request, ServerCallContext context)
    {
        var (key, command) = LotMapping.ToCommand(request, context.SourceSystem(service.ErrorDomain), codes, service.ErrorDomain);
        var result = await grains.GetGrain<ILotGrain>(key).Receive(command);
        var lot = result.Unwrap(service.ErrorDomain, ResourceNames.FromKey("lots", key));
        return new ReceiveLotResponse { Lot = lot.ToProto(), Outcome = result.ToOutcome() };
    }

    public override async Task<GetLotResponse> GetLot(GetLotRequest request, ServerCallContext context)
    {
        var lot = await grains.ReadAsync<ILotGrain, Domain.Lot>(request.Name, "lots", service.ErrorDomain, g => g.Get());
        return new GetLotResponse { Lot = lot.ToProto() };
    }

    public override async Task<TransferLotResponse> TransferLot(TransferLotRequest request, ServerCallContext context)
    {
        var (lot, outcome) = await Apply(context, request.Name, request.Metadata, (metadata, violations) => new Domain.TransferLot
        {
            Metadata = metadata,
            From = request.FromLocation,
            To = request.ToLocation,
            Quantity = request.Quantity.ToDomain("quantity", violations)!,
        }, (g, c) => g.Transfer(c));
        return new TransferLotResponse { Lot = lot, Outcome = outcome };
    }

    public override async Task<AdjustLotResponse> AdjustLot(AdjustLotRequest request, ServerCallContext context)
    {
        var (lot, outcome) = await Apply(context, request.Name, request.Metadata, (metadata, violations) => new Domain.AdjustLot
        {
            Metadata = metadata,
            Location = request.Location,
            Counted = request.CountedQuantity.ToDomain("counted_quantity", violations, mustBePositive: false)!,
            Reason = request.Reason,
        }, (g, c) => g.Adjust(c));
        return new AdjustLotResponse { Lot = lot, Outcome = outcome };
    }

    public override async Task<TraceLotResponse> TraceLot(TraceLotRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var key = ResourceNames.ParseKey(request.Name, "lots", "name", violations);
        if (request.MaxDepth is < 0 or > LotTracer.MaxDepthLimit)
        {
            violations.Add("max_depth", $"must be 1 to {LotTracer.MaxDepthLimit} (0 means {LotTracer.DefaultDepth})");
        }

        violations.ThrowIfInvalid(service.ErrorDomain, request.Name);
        var depth = request.MaxDepth == 0 ? LotTracer.DefaultDepth : request.MaxDepth;
        var direction = request.Direction == TraceDirection.Unspecified ? TraceDirection.Both : request.Direction;
        return await tracer.TraceAsync(key!, direction, depth, service.ErrorDomain);
    }

    /// <summary>Parses the lot's name and metadata, builds the command, throws INVALID_ARGUMENT listing every bad field, calls the grain.</summary>
    private async Task<(Lot Lot, Common.V1.CommandOutcome Outcome)> Apply<TCommand>(
        ServerCallContext context, string name, Common.V1.CommandMetadata? wireMetadata,
        Func<CommandMetadata, Violations, TCommand> build,
        Func<ILotGrain, TCommand, Task<CommandResult<Domain.Lot>>> call)
    {
        var violations = new Violations();
        var key = ResourceNames.ParseKey(name, "lots", "name", violations);
        var metadata = wireMetadata.ToDomain("metadata", violations, context.SourceSystem(service.ErrorDomain));
        var command = build(metadata ?? new CommandMetadata("", default), violations);
        violations.ThrowIfInvalid(service.ErrorDomain, name);
        var result = await call(grains.GetGrain<ILotGrain>(key!), command);
        return (result.Unwrap(service.ErrorDomain, name).ToProto(), result.ToOutcome());
    }
}
