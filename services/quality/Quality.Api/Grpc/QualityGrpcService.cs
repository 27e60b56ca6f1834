using System.Collections.Immutable;
using Grpc.Core;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Quality.Domain;
using Manufacturing.Quality.V1;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;
using Domain = Manufacturing.Quality.Domain;

namespace Manufacturing.Quality.Api.Grpc;

/// <summary>Quality's gRPC (and REST) contract: maps requests, delegates to the quality grains, maps results.</summary>
internal sealed class QualityGrpcService(IGrainFactory grains, ServiceIdentity service) : QualityService.QualityServiceBase
{
    public override async Task<BlockLotResponse> BlockLot(BlockLotRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var key = ResourceNames.ParseKey(request.Lot, "lots", "lot", violations);
        var metadata = request.Metadata.ToDomain("metadata", violations, context.SourceSystem(service.ErrorDomain));
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

    public override async Task<RecordInspectionResponse> RecordInspection(RecordInspectionRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var plant = ResourceNames.ParsePlant(request.Parent, "parent", violations);
        var id = ResourceNames.ParseId(request.InspectionId, "inspection_id", violations);
        var metadata = request.Metadata.ToDomain("metadata", violations, context.SourceSystem(service.ErrorDomain));
        var characteristics = request.Characteristics.Select((c, i) => new Domain.Characteristic
        {
            Name = c.Name,
            Value = Quantity.ParseDecimal(c.Value, $"characteristics[{i}].value", violations) ?? 0,
            Lower = Limit(c.LowerLimit, $"characteristics[{i}].lower_limit", violations),
            Upper = Limit(c.UpperLimit, $"characteristics[{i}].upper_limit", violations),
            Unit = c.Unit,
        }).ToImmutableArray();
        violations.ThrowIfInvalid(service.ErrorDomain);

        var key = ResourceNames.Key(plant!, id!);
        var name = ResourceNames.FromKey("inspections", key);
        var result = await grains.GetGrain<IInspectionGrain>(key).Record(new RecordInspection
        {
            Metadata = metadata!,
            LotId = request.LotId,
            Characteristics = characteristics,
            Inspector = request.Inspector,
        });
        return new RecordInspectionResponse { Inspection = result.Unwrap(service.ErrorDomain, name).ToProto(), Outcome = result.ToOutcome() };
    }

    public override async Task<GetInspectionResponse> GetInspection(GetInspectionRequest request, ServerCallContext context)
    {
        var inspection = await grains.ReadAsync<IInspectionGrain, Domain.Inspection>(request.Name, "inspections", service.ErrorDomain, g => g.Get());
        return new GetInspectionResponse { Inspection = inspection.ToProto() };
    }

    public override async Task<RaiseNonconformanceResponse> RaiseNonconformance(RaiseNonconformanceRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var plant = ResourceNames.ParsePlant(request.Parent, "parent", violations);
        var id = ResourceNames.ParseId(request.NonconformanceId, "nonconformance_id", violations);
        var metadata = request.Metadata.ToDomain("metadata", violations, context.SourceSystem(service.ErrorDomain));
        violations.ThrowIfInvalid(service.ErrorDomain);

        var key = ResourceNames.Key(plant!, id!);
        var result = await grains.GetGrain<INonconformanceGrain>(key).Raise(new RaiseNonconformance
        {
            Metadata = metadata!,
            LotIds = [.. request.LotIds],
            Description = request.Description,
        });
        var nc = result.Unwrap(service.ErrorDomain, ResourceNames.FromKey("nonconformances", key));
        return new RaiseNonconformanceResponse { Nonconformance = nc.ToProto(), Outcome = result.ToOutcome() };
    }

    public override async Task<DispositionNonconformanceResponse> DispositionNonconformance(DispositionNonconformanceRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var key = ResourceNames.ParseKey(request.Name, "nonconformances", "name", violations);
        var metadata = request.Metadata.ToDomain("metadata", violations, context.SourceSystem(service.ErrorDomain));
        violations.ThrowIfInvalid(service.ErrorDomain, request.Name);

        var result = await grains.GetGrain<INonconformanceGrain>(key!).Disposition(new DispositionNonconformance
        {
            Metadata = metadata!,
            Disposition = (Domain.Disposition)(int)request.Disposition,
            SupplierAccountable = request.SupplierAccountable,
            Note = request.Note,
        });
        var nc = result.Unwrap(service.ErrorDomain, request.Name);
        return new DispositionNonconformanceResponse { Nonconformance = nc.ToProto(), Outcome = result.ToOutcome() };
    }

    public override async Task<GetNonconformanceResponse> GetNonconformance(GetNonconformanceRequest request, ServerCallContext context)
    {
        var nc = await grains.ReadAsync<INonconformanceGrain, Domain.Nonconformance>(request.Name, "nonconformances", service.ErrorDomain, g => g.Get());
        return new GetNonconformanceResponse { Nonconformance = nc.ToProto() };
    }

    private static decimal? Limit(string? text, string field, Violations violations) =>
        string.IsNullOrEmpty(text) ? null : Quantity.ParseDecimal(text, field, violations);
}

/// <summary>Quality's aggregates on the wire.</summary>
internal static class QualityMapping
{
    public static V1.Inspection ToProto(this Domain.Inspection inspection)
    {
        var proto = new V1.Inspection
        {
            Name = inspection.Name,
            Lot = ResourceNames.FromKey("lots", inspection.LotKey),
            Result = (V1.InspectionResult)(int)inspection.Result,
            Inspector = inspection.Inspector,
            InspectTime = inspection.InspectedAt.ToProto(),
            Nonconformance = inspection.Nonconformance is { } nc ? ResourceNames.FromKey("nonconformances", nc) : "",
            Version = inspection.Version,
        };
        proto.Characteristics.AddRange(inspection.Characteristics.Select(c => new V1.Characteristic
        {
            Name = c.Name,
            Value = Quantity.Format(c.Value),
            LowerLimit = c.Lower is { } low ? Quantity.Format(low) : "",
            UpperLimit = c.Upper is { } high ? Quantity.Format(high) : "",
            Unit = c.Unit,
            Passed = c.Passes,
        }));
        return proto;
    }

    public static V1.Nonconformance ToProto(this Domain.Nonconformance nc)
    {
        var proto = new V1.Nonconformance
        {
            Name = nc.Name,
            Description = nc.Description,
            Inspection = nc.Inspection is { } i ? ResourceNames.FromKey("inspections", i) : "",
            State = (NonconformanceState)(int)nc.Status,
            Disposition = (V1.Disposition)(int)nc.Disposition,
            SupplierAccountable = nc.SupplierAccountable,
            RaiseTime = nc.RaisedAt.ToProto(),
            DispositionTime = nc.DispositionedAt?.ToProto(),
            DispositionNote = nc.DispositionNote,
            Version = nc.Version,
        };
        proto.Lots.AddRange(nc.Lots.Select(l => ResourceNames.FromKey("lots", l)));
        proto.Vendors.AddRange(nc.Vendors);
        proto.AffectedProductionOrders.AddRange(nc.AffectedProductionOrders.Select(o => ResourceNames.FromKey("productionOrders", o)));
        return proto;
    }
}
