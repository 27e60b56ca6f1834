using Manufacturing.Domain;

namespace Manufacturing.Inventory.Domain;

/// <summary>The lot's state machine. Pure: the grain loads, calls these, and persists.</summary>
public static class LotRules
{
    /// <summary>Checks a receipt's payload; field paths are those of the ReceiveLot request.</summary>
    public static DomainError? Validate(ReceiveLot command)
    {
        var violations = new Violations();
        violations.RequireText(command.Material, "material", 64);
        violations.RequireText(command.Location, "location", 64);
        violations.OptionalText(command.SupplierLot, "supplier_lot", 64);
        if (command.Quantity.Value <= 0)
        {
            violations.Add("quantity.value", "must be greater than zero");
        }

        return violations.ToError();
    }

    /// <summary>Receives a new lot. A lot is received once; another receipt of the same lot is ALREADY_EXISTS.</summary>
    public static Transition<Lot> Receive(string key, Lot? current, ReceiveLot command)
    {
        if (Validate(command) is { } invalid)
        {
            return invalid;
        }

        if (current is not null)
        {
            return DomainError.AlreadyExists($"Lot {current.Name} was already received.");
        }

        return Transition<Lot>.To(new Lot
        {
            Key = key,
            Material = command.Material,
            Unit = command.Quantity.Unit,
            Stock = [new LocationStock(command.Location, command.Quantity)],
            Status = command.InspectionRequired ? LotStatus.QualityInspection : LotStatus.Available,
            SupplierLot = command.SupplierLot,
            ExpiryDate = command.ExpiryDate,
            ReceivedAt = command.Metadata.OccurredAt,
        });
    }

    /// <summary>
    /// Blocks a lot. A lot already blocked stays blocked with its first reason (accepted, unchanged); a
    /// consumed or scrapped lot has nothing left to block.
    /// </summary>
    public static Transition<Lot> Block(string key, Lot? current, BlockLot command)
    {
        var violations = new Violations();
        violations.RequireText(command.Reason, "reason", 512);
        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (current is null)
        {
            return DomainError.NotFound($"Lot {ResourceNames.FromKey("lots", key)} does not exist.");
        }

        return current.Status switch
        {
            LotStatus.Blocked => Transition<Lot>.Unchanged(),
            LotStatus.Consumed or LotStatus.Scrapped => DomainError.InvalidState(
                "LOT_NOT_BLOCKABLE", $"Lot {current.Name} is {current.Status} and cannot be blocked."),
            _ => Transition<Lot>.To(current with { Status = LotStatus.Blocked, StatusReason = command.Reason }),
        };
    }
}
