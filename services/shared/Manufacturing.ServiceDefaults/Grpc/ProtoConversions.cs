using Google.Protobuf.WellKnownTypes;
using Manufacturing.Domain;
using Manufacturing.Inventory.Domain;
using InventoryProto = Manufacturing.Inventory.V1;
using Proto = Manufacturing.Common.V1;

namespace Manufacturing.ServiceDefaults.Grpc;

/// <summary>Conversions between the common contract types and the domain, with field-level validation.</summary>
public static class ProtoConversions
{
    /// <summary>A wire quantity as a domain quantity; violations are reported under <paramref name="field"/>.</summary>
    public static Quantity? ToDomain(this Proto.Quantity? quantity, string field, Violations violations, bool mustBePositive = true)
    {
        if (quantity is null)
        {
            violations.Add(field, "is required");
            return null;
        }

        return Quantity.Parse(quantity.Value, quantity.UnitOfMeasure, field, violations, mustBePositive);
    }

    /// <summary>A domain quantity on the wire.</summary>
    public static Proto.Quantity ToProto(this Quantity quantity) => new() { Value = quantity.ValueText, UnitOfMeasure = quantity.Unit };

    /// <summary>
    /// Wire metadata as domain metadata, with the caller's <paramref name="source"/> (from the call, not
    /// the body); times become UTC so that equal payloads fingerprint equal.
    /// </summary>
    public static CommandMetadata? ToDomain(this Proto.CommandMetadata? metadata, string field, Violations violations, SourceSystem source)
    {
        if (metadata is null)
        {
            violations.Add(field, "is required (message_id and occurred_at)");
            return null;
        }

        return CommandMetadata.Parse(metadata.MessageId, metadata.OccurredAt.ToDomain($"{field}.occurred_at", violations, required: false), field, violations) is { } parsed
            ? parsed with { Source = source, ExpectedVersion = metadata.HasExpectedVersion ? metadata.ExpectedVersion : null }
            : null;
    }

    /// <summary>A wire timestamp as a UTC time; null when absent (reported when <paramref name="required"/>).</summary>
    public static DateTimeOffset? ToDomain(this Timestamp? timestamp, string field, Violations violations, bool required = true)
    {
        if (timestamp is null)
        {
            if (required)
            {
                violations.Add(field, "is required");
            }

            return null;
        }

        try
        {
            return timestamp.ToDateTimeOffset();
        }
        catch (InvalidOperationException)
        {
            violations.Add(field, "is not a valid timestamp (seconds within 0001-01-01 to 9999-12-31, nanos 0 to 999999999)");
            return null;
        }
    }

    /// <summary>A wire date as a date; null when absent or invalid (invalid is reported).</summary>
    public static DateOnly? ToDomain(this Google.Type.Date? date, string field, Violations violations)
    {
        if (date is null)
        {
            return null;
        }

        try
        {
            return new DateOnly(date.Year, date.Month, date.Day);
        }
        catch (ArgumentOutOfRangeException)
        {
            violations.Add(field, "is not a valid calendar date");
            return null;
        }
    }

    /// <summary>A date on the wire.</summary>
    public static Google.Type.Date ToProto(this DateOnly date) => new() { Year = date.Year, Month = date.Month, Day = date.Day };

    /// <summary>A time on the wire.</summary>
    public static Timestamp ToProto(this DateTimeOffset time) => Timestamp.FromDateTimeOffset(time);

    /// <summary>What a command did, on the wire.</summary>
    public static Proto.CommandOutcome ToOutcome<T>(this CommandResult<T> result) where T : class =>
        new() { Duplicate = result.Duplicate, ResourceVersion = result.Version };

    /// <summary>The lot on the wire (inventory and quality both return lots).</summary>
    public static InventoryProto.Lot ToProto(this Lot lot)
    {
        var proto = new InventoryProto.Lot
        {
            Name = lot.Name,
            Material = lot.Material,
            QuantityOnHand = lot.QuantityOnHand.ToProto(),
            Status = (InventoryProto.LotStatus)(int)lot.Status,
            StatusReason = lot.StatusReason,
            SupplierLot = lot.SupplierLot,
            ExpiryDate = lot.ExpiryDate?.ToProto(),
            Version = lot.Version,
            ReceiveTime = lot.ReceivedAt.ToProto(),
            ProducedBy = lot.ProducedBy is { } order ? ResourceNames.FromKey("productionOrders", order) : "",
            PurchaseOrder = lot.PurchaseOrder is { } po ? ResourceNames.FromKey("purchaseOrders", po) : "",
            Vendor = lot.Vendor ?? "",
        };
        proto.ConsumedInto.AddRange(lot.ConsumedInto.Select(o => ResourceNames.FromKey("productionOrders", o)));
        proto.Stock.AddRange(lot.Stock.Select(s => new InventoryProto.LocationStock { Location = s.Location, Quantity = s.Quantity.ToProto() }));
        return proto;
    }
}
