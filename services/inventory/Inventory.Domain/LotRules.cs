using System.Collections.Immutable;
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
            PurchaseOrder = command.PurchaseOrder,
            Vendor = command.Vendor,
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

    /// <summary>Locations whose code starts with this are quarantine: a blocked lot may only move into one.</summary>
    public const string QuarantinePrefix = "QUAR";

    /// <summary>
    /// Draws stock into a production order. Only an AVAILABLE lot can be consumed; the lot never goes
    /// negative; drawing the last stock makes it CONSUMED. The draw is recorded for genealogy.
    /// </summary>
    public static Transition<Lot> Consume(string key, Lot? current, ConsumeLot command, UnitCatalog? units = null)
    {
        var violations = new Violations();
        PositiveQuantity(command.Quantity, "quantity", violations);
        violations.OptionalText(command.Location, "location", 64);
        violations.RequireText(command.ProductionOrder, "production_order", 140);
        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (current is not { } lot)
        {
            return DomainError.NotFound($"Lot {ResourceNames.FromKey("lots", key)} does not exist.");
        }

        if (command.Material.Length > 0 && command.Material != lot.Material)
        {
            return DomainError.InvalidState("MATERIAL_MISMATCH", $"Lot {lot.Name} holds {lot.Material}, not {command.Material}.");
        }

        if (UsableRefusal(lot, "consumed") is { } refusal)
        {
            return refusal;
        }

        var (quantity, unitError) = (units ?? UnitCatalog.Default).Convert(command.Quantity, lot.Unit, lot.Material, "quantity");
        if (unitError is not null)
        {
            return unitError;
        }

        var (stock, missing) = Draw(lot.Stock, quantity!.Value, command.Location);
        if (missing > 0)
        {
            var where = command.Location.Length > 0 ? $" at {command.Location}" : "";
            return DomainError.InvalidState("INSUFFICIENT_STOCK",
                $"Lot {lot.Name} holds {Available(lot, command.Location)} {lot.Unit}{where}; {command.Quantity} cannot be drawn.");
        }

        var consumption = new LotConsumption { ProductionOrder = command.ProductionOrder, Quantity = quantity, At = command.Metadata.OccurredAt };
        return Transition<Lot>.To(lot with
        {
            Stock = stock,
            Consumptions = (lot.Consumptions.IsDefault ? [] : lot.Consumptions).Add(consumption),
            Status = stock.IsEmpty ? LotStatus.Consumed : lot.Status,
        });
    }

    /// <summary>
    /// Production output: a new lot is AVAILABLE and knows its production order; more output adds to
    /// the same lot only from the same order and material.
    /// </summary>
    public static Transition<Lot> Produce(string key, Lot? current, ProduceLot command, UnitCatalog? units = null)
    {
        var violations = new Violations();
        violations.RequireText(command.Material, "material", 64);
        violations.RequireText(command.Location, "location", 64);
        violations.RequireText(command.ProductionOrder, "production_order", 140);
        PositiveQuantity(command.Quantity, "quantity", violations);
        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (current is null)
        {
            return Transition<Lot>.To(new Lot
            {
                Key = key,
                Material = command.Material,
                Unit = command.Quantity.Unit,
                Stock = [new LocationStock(command.Location, command.Quantity)],
                Status = LotStatus.Available,
                ReceivedAt = command.Metadata.OccurredAt,
                ProducedBy = command.ProductionOrder,
            });
        }

        if (current.ProducedBy != command.ProductionOrder || current.Material != command.Material)
        {
            return DomainError.InvalidState("LOT_OF_ANOTHER_ORIGIN",
                $"Lot {current.Name} holds {current.Material} from {current.ProducedBy ?? "a goods receipt"}; output of {command.Material} from {command.ProductionOrder} cannot be added to it.");
        }

        if (current.Status is LotStatus.Scrapped or LotStatus.Returned)
        {
            return DomainError.InvalidState("LOT_DISPOSED", $"Lot {current.Name} is {current.Status}; declare the output into a new lot.");
        }

        var (quantity, unitError) = (units ?? UnitCatalog.Default).Convert(command.Quantity, current.Unit, current.Material, "quantity");
        if (unitError is not null)
        {
            return unitError;
        }

        return Transition<Lot>.To(current with
        {
            Stock = Add(current.Stock, command.Location, quantity!),
            Status = current.Status == LotStatus.Consumed ? LotStatus.Available : current.Status,
        });
    }

    /// <summary>Moves stock between locations. A blocked lot may only move into quarantine; a lot in inspection may move.</summary>
    public static Transition<Lot> Transfer(string key, Lot? current, TransferLot command, UnitCatalog? units = null)
    {
        var violations = new Violations();
        violations.RequireText(command.From, "from_location", 64);
        violations.RequireText(command.To, "to_location", 64);
        PositiveQuantity(command.Quantity, "quantity", violations);
        if (command.From.Length > 0 && command.From == command.To)
        {
            violations.Add("to_location", "must differ from from_location");
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (current is not { } lot)
        {
            return DomainError.NotFound($"Lot {ResourceNames.FromKey("lots", key)} does not exist.");
        }

        if (lot.Status is LotStatus.Consumed or LotStatus.Scrapped or LotStatus.Returned)
        {
            return DomainError.InvalidState("LOT_DEPLETED", $"Lot {lot.Name} is {lot.Status} and holds no stock.");
        }

        if (lot.Status == LotStatus.Blocked && !command.To.StartsWith(QuarantinePrefix, StringComparison.Ordinal))
        {
            return DomainError.InvalidState("LOT_BLOCKED",
                $"Lot {lot.Name} is blocked ({lot.StatusReason}); it may only move into a quarantine location ({QuarantinePrefix}…).");
        }

        var (quantity, unitError) = (units ?? UnitCatalog.Default).Convert(command.Quantity, lot.Unit, lot.Material, "quantity");
        if (unitError is not null)
        {
            return unitError;
        }

        var (stock, missing) = Draw(lot.Stock, quantity!.Value, command.From);
        if (missing > 0)
        {
            return DomainError.InvalidState("INSUFFICIENT_STOCK",
                $"Lot {lot.Name} holds {Available(lot, command.From)} {lot.Unit} at {command.From}; {command.Quantity} cannot be moved.");
        }

        return Transition<Lot>.To(lot with { Stock = Add(stock, command.To, quantity) });
    }

    /// <summary>
    /// A cycle count: the location's quantity becomes what was counted (never negative). Counting the
    /// whole lot to zero makes an AVAILABLE lot CONSUMED; counting stock into a depleted lot is refused.
    /// </summary>
    public static Transition<Lot> Adjust(string key, Lot? current, AdjustLot command, UnitCatalog? units = null)
    {
        var violations = new Violations();
        violations.RequireText(command.Location, "location", 64);
        violations.RequireText(command.Reason, "reason", 512);
        if (command.Counted.Value < 0)
        {
            violations.Add("counted_quantity.value", "must be zero or more");
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (current is not { } lot)
        {
            return DomainError.NotFound($"Lot {ResourceNames.FromKey("lots", key)} does not exist.");
        }

        if (lot.Status is LotStatus.Scrapped or LotStatus.Returned)
        {
            return DomainError.InvalidState("LOT_DISPOSED", $"Lot {lot.Name} is {lot.Status}; it has no stock to count.");
        }

        var (counted, unitError) = (units ?? UnitCatalog.Default).Convert(command.Counted, lot.Unit, lot.Material, "counted_quantity");
        if (unitError is not null)
        {
            return unitError;
        }

        var others = lot.Stock.Where(s => s.Location != command.Location);
        var stock = counted!.Value > 0
            ? [.. others, new LocationStock(command.Location, counted)]
            : others.ToImmutableArray();
        var status = stock.IsEmpty && lot.Status == LotStatus.Available ? LotStatus.Consumed
            : !stock.IsEmpty && lot.Status == LotStatus.Consumed ? LotStatus.Available
            : lot.Status;
        return stock.SequenceEqual(lot.Stock)
            ? Transition<Lot>.Unchanged()
            : Transition<Lot>.To(lot with { Stock = stock, Status = status });
    }

    /// <summary>
    /// Quality's decision: release (from inspection or a block) makes the lot AVAILABLE; scrap and
    /// return to supplier empty it. A decision already in force is accepted unchanged.
    /// </summary>
    public static Transition<Lot> DecideQuality(string key, Lot? current, DecideLotQuality command)
    {
        var violations = new Violations();
        violations.RequireText(command.Reason, "reason", 512);
        if (command.Decision == QualityDecision.Unspecified)
        {
            violations.Add("decision", "is required");
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (current is not { } lot)
        {
            return DomainError.NotFound($"Lot {ResourceNames.FromKey("lots", key)} does not exist.");
        }

        var target = command.Decision switch
        {
            QualityDecision.Release or QualityDecision.PassInspection => LotStatus.Available,
            QualityDecision.Scrap => LotStatus.Scrapped,
            _ => LotStatus.Returned,
        };
        if (lot.Status == target || lot.Status == LotStatus.Consumed)
        {
            // Already so, or nothing left to decide about: a consumed lot's stock went into production.
            return Transition<Lot>.Unchanged();
        }

        return (lot.Status, command.Decision) switch
        {
            (LotStatus.Scrapped or LotStatus.Returned, _) => DomainError.InvalidState(
                "LOT_DEPLETED", $"Lot {lot.Name} is {lot.Status}; quality can no longer {command.Decision} it."),
            (LotStatus.QualityInspection, QualityDecision.PassInspection) => Transition<Lot>.To(lot with { Status = LotStatus.Available, StatusReason = command.Reason }),
            (_, QualityDecision.PassInspection) => Transition<Lot>.Unchanged(),
            (_, QualityDecision.Release) => Transition<Lot>.To(lot with { Status = LotStatus.Available, StatusReason = command.Reason }),
            _ => Transition<Lot>.To(lot with { Status = target, StatusReason = command.Reason, Stock = [] }),
        };
    }

    private static void PositiveQuantity(Quantity quantity, string field, Violations violations)
    {
        if (quantity.Value <= 0)
        {
            violations.Add($"{field}.value", "must be greater than zero");
        }
    }

    private static DomainError? UsableRefusal(Lot lot, string verb) => lot.Status switch
    {
        LotStatus.Available => null,
        LotStatus.Blocked => DomainError.InvalidState("LOT_BLOCKED", $"Lot {lot.Name} is blocked ({lot.StatusReason}) and cannot be {verb}."),
        LotStatus.QualityInspection => DomainError.InvalidState("LOT_IN_INSPECTION", $"Lot {lot.Name} is waiting for quality inspection and cannot be {verb}."),
        _ => DomainError.InvalidState("LOT_DEPLETED", $"Lot {lot.Name} is {lot.Status} and holds no stock."),
    };

    private static decimal Available(Lot lot, string location) =>
        lot.Stock.Where(s => location.Length == 0 || s.Location == location).Sum(s => s.Quantity.Value);

    /// <summary>Takes <paramref name="amount"/> from one location (or from all in order); returns what is left and what could not be taken.</summary>
    private static (ImmutableArray<LocationStock> Stock, decimal Missing) Draw(ImmutableArray<LocationStock> stock, decimal amount, string location)
    {
        var remaining = amount;
        var result = ImmutableArray.CreateBuilder<LocationStock>();
        foreach (var line in stock.IsDefault ? [] : stock)
        {
            if (remaining > 0 && (location.Length == 0 || line.Location == location))
            {
                var take = Math.Min(remaining, line.Quantity.Value);
                remaining -= take;
                if (line.Quantity.Value - take > 0)
                {
                    result.Add(new LocationStock(line.Location, new Quantity(line.Quantity.Value - take, line.Quantity.Unit)));
                }

                continue;
            }

            result.Add(line);
        }

        return (result.ToImmutable(), remaining);
    }

    private static ImmutableArray<LocationStock> Add(ImmutableArray<LocationStock> stock, string location, Quantity quantity)
    {
        var lines = stock.IsDefault ? [] : stock;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Location == location)
            {
                return lines.SetItem(i, new LocationStock(location, lines[i].Quantity.Plus(quantity)));
            }
        }

        return lines.Add(new LocationStock(location, quantity));
    }
}
