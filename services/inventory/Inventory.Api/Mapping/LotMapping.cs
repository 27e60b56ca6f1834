using Manufacturing.Domain;
using Manufacturing.Inventory.Domain;
using Manufacturing.ServiceDefaults.Grpc;
using Proto = Manufacturing.Inventory.V1;

namespace Manufacturing.Inventory.Api.Mapping;

/// <summary>Lots between the v1 contract and the domain.</summary>
internal static class LotMapping
{
    /// <summary>Parses a receipt into the lot's key and the domain command, or throws INVALID_ARGUMENT listing every bad field.</summary>
    public static (string Key, ReceiveLot Command) ToCommand(Proto.ReceiveLotRequest request, SourceSystem source, CodeMap codes, string errorDomain)
    {
        var violations = new Violations();
        var plant = ResourceNames.ParsePlant(request.Parent, "parent", violations);
        var id = ResourceNames.ParseId(request.LotId, "lot_id", violations);
        var metadata = request.Metadata.ToDomain("metadata", violations, source);
        var quantity = request.Quantity.ToDomain("quantity", violations);
        var expiry = request.ExpiryDate.ToDomain("expiry_date", violations);
        violations.ThrowIfInvalid(errorDomain);

        var command = new ReceiveLot
        {
            Metadata = metadata!,
            Material = codes.Canonical(source, request.Material),
            Quantity = quantity!,
            Location = request.Location,
            SupplierLot = request.SupplierLot,
            ExpiryDate = expiry,
            InspectionRequired = request.InspectionRequired,
        };
        if (LotRules.Validate(command) is { } invalid)
        {
            throw RpcErrors.ToRpcException(invalid, errorDomain, null);
        }

        return (ResourceNames.Key(plant!, id!), command);
    }
}
