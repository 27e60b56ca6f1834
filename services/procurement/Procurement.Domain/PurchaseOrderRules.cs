using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Manufacturing.Domain;

namespace Manufacturing.Procurement.Domain;

/// <summary>The purchase order's state machine. Pure: the grain loads, calls these, and persists.</summary>
public static partial class PurchaseOrderRules
{
    /// <summary>Checks a create command's payload; field paths are those of the CreatePurchaseOrder request.</summary>
    public static DomainError? Validate(CreatePurchaseOrder command)
    {
        var violations = new Violations();
        const string order = "purchase_order";
        violations.RequireText(command.Vendor, $"{order}.vendor", 64);
        violations.RequireText(command.Currency, $"{order}.currency", 3, CurrencyCode(), "must be an ISO 4217 code such as \"EUR\"");
        if (command.Lines.IsDefaultOrEmpty)
        {
            violations.Add($"{order}.lines", "must hold at least one line");
        }

        var lineIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (command.Lines.IsDefault ? 0 : command.Lines.Length); i++)
        {
            var line = command.Lines[i];
            var field = $"{order}.lines[{i}]";
            violations.RequireText(line.LineId, $"{field}.line_id", 16);
            violations.RequireText(line.Material, $"{field}.material", 64);
            if (line.Quantity.Value <= 0)
            {
                violations.Add($"{field}.quantity.value", "must be greater than zero");
            }

            if (line.UnitPrice < 0)
            {
                violations.Add($"{field}.unit_price", "must not be negative");
            }

            if (!lineIds.Add(line.LineId))
            {
                violations.Add($"{field}.line_id", $"'{line.LineId}' appears more than once");
            }
        }

        return violations.ToError();
    }

    /// <summary>Creates a new order. An order is created once; a second create is ALREADY_EXISTS.</summary>
    public static Transition<PurchaseOrder> Create(string key, PurchaseOrder? current, CreatePurchaseOrder command)
    {
        if (Validate(command) is { } invalid)
        {
            return invalid;
        }

        if (current is not null)
        {
            return DomainError.AlreadyExists($"Purchase order {current.Name} was already created.");
        }

        return Transition<PurchaseOrder>.To(new PurchaseOrder
        {
            Key = key,
            Vendor = command.Vendor,
            Currency = command.Currency,
            Lines = command.Lines,
            Status = PurchaseOrderStatus.Created,
            CreatedAt = command.Metadata.OccurredAt,
        });
    }

    /// <summary>
    /// The ERP changes lines or adds them. A line's quantity cannot drop below what was received
    /// (<c>BELOW_RECEIVED</c>); its material cannot change once goods were received
    /// (<c>LINE_RECEIVED</c>). A changed quantity or requested date withdraws the supplier's
    /// confirmation of that line (the supplier must confirm again), and a CONFIRMED order goes back
    /// to CREATED. Identical lines change nothing.
    /// </summary>
    public static Transition<PurchaseOrder> Change(string key, PurchaseOrder? current, ChangePurchaseOrder command)
    {
        var violations = new Violations();
        if (command.Lines.IsDefaultOrEmpty)
        {
            violations.Add("lines", "must hold at least one line");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (command.Lines.IsDefault ? 0 : command.Lines.Length); i++)
        {
            var line = command.Lines[i];
            violations.RequireText(line.LineId, $"lines[{i}].line_id", 16);
            violations.RequireText(line.Material, $"lines[{i}].material", 64);
            if (line.Quantity.Value <= 0)
            {
                violations.Add($"lines[{i}].quantity.value", "must be greater than zero");
            }

            if (line.UnitPrice < 0)
            {
                violations.Add($"lines[{i}].unit_price", "must not be negative");
            }

            if (!seen.Add(line.LineId))
            {
                violations.Add($"lines[{i}].line_id", $"'{line.LineId}' appears more than once");
            }
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (Open(key, current) is { } closed)
        {
            return closed;
        }

        var order = current!;
        var lines = order.Lines.ToList();
        foreach (var change in command.Lines)
        {
            var index = lines.FindIndex(l => l.LineId == change.LineId);
            if (index < 0)
            {
                lines.Add(change with { Confirmation = null, ReceivedQuantity = 0, ShippedQuantity = 0 });
                continue;
            }

            var existing = lines[index];
            if (change.Quantity.Unit != existing.Quantity.Unit)
            {
                return DomainError.Invalid($"Line {existing.LineId} is ordered in {existing.Quantity.Unit}.",
                    new FieldViolation("lines.quantity.unit_of_measure", $"must stay {existing.Quantity.Unit}"));
            }

            if (change.Quantity.Value < existing.ReceivedQuantity)
            {
                return DomainError.InvalidState("BELOW_RECEIVED",
                    $"Line {existing.LineId} already received {Invariant(existing.ReceivedQuantity)} {existing.Quantity.Unit}; it cannot be reduced to {change.Quantity}.");
            }

            if (change.Material != existing.Material && existing.ReceivedQuantity > 0)
            {
                return DomainError.InvalidState("LINE_RECEIVED", $"Line {existing.LineId} already received {existing.Material}; its material cannot change.");
            }

            var reconfirm = change.Quantity != existing.Quantity || change.RequestedDelivery != existing.RequestedDelivery || change.Material != existing.Material;
            lines[index] = existing with
            {
                Material = change.Material,
                Quantity = change.Quantity,
                UnitPrice = change.UnitPrice,
                RequestedDelivery = change.RequestedDelivery,
                InspectionRequired = change.InspectionRequired,
                Confirmation = reconfirm ? null : existing.Confirmation,
            };
        }

        if (lines.SequenceEqual(order.Lines))
        {
            return Transition<PurchaseOrder>.Unchanged();
        }

        var status = order.Status == PurchaseOrderStatus.Confirmed && lines.Any(l => l.Confirmation is null) ? PurchaseOrderStatus.Created
            : order.Status is PurchaseOrderStatus.Received && lines.Any(l => !l.FullyReceived) ? PurchaseOrderStatus.PartiallyReceived
            : order.Status;
        return Transition<PurchaseOrder>.To(order with { Lines = [.. lines], Status = status });
    }

    /// <summary>
    /// The supplier confirms a line. Within tolerance (quantity ±%, date ±days) it is applied; outside
    /// it, or for a line the order does not have, it is parked as an exception and nothing of it is
    /// applied. When every line is confirmed the order is CONFIRMED.
    /// </summary>
    public static Transition<PurchaseOrder> Confirm(string key, PurchaseOrder? current, ConfirmLine command, TolerancePolicy policy, UnitCatalog? units = null)
    {
        var violations = new Violations();
        violations.RequireText(command.LineId, "line_id", 16);
        if (command.Quantity.Value < 0)
        {
            violations.Add("confirmed_quantity.value", "must be zero or more");
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (Open(key, current) is { } closed)
        {
            return closed;
        }

        var order = current!;
        var arrived = Fields(("line_id", command.LineId), ("quantity", command.Quantity.ToString()), ("delivery_date", Date(command.Delivery)));
        if (order.Line(command.LineId) is not { } line)
        {
            return Park(order, command, "UNKNOWN_LINE", $"The order has no line {command.LineId}.", arrived, Fields(("lines", string.Join(", ", order.Lines.Select(l => l.LineId)))));
        }

        var (confirmed, unitError) = (units ?? UnitCatalog.Default).Convert(command.Quantity, line.Quantity.Unit, line.Material, "confirmed_quantity");
        if (unitError is not null)
        {
            return unitError;
        }

        command = command with { Quantity = confirmed! };

        var held = Fields(("line_id", line.LineId), ("quantity", line.Quantity.ToString()), ("requested_delivery_date", Date(line.RequestedDelivery)),
            ("quantity_tolerance_percent", Invariant(policy.QuantityPercent)), ("date_tolerance_days", Invariant(policy.DateDays)));
        var deviation = line.Quantity.Value == 0 ? 0 : Math.Abs(command.Quantity.Value - line.Quantity.Value) * 100m / line.Quantity.Value;
        var days = Math.Abs(command.Delivery.DayNumber - line.RequestedDelivery.DayNumber);
        var reasons = new List<string>();
        if (deviation > policy.QuantityPercent)
        {
            reasons.Add($"quantity {command.Quantity} deviates {Invariant(decimal.Round(deviation, 2))}% from the ordered {line.Quantity} (tolerance {Invariant(policy.QuantityPercent)}%)");
        }

        if (days > policy.DateDays)
        {
            reasons.Add($"date {Date(command.Delivery)} is {days} days from the requested {Date(line.RequestedDelivery)} (tolerance {policy.DateDays} days)");
        }

        if (reasons.Count > 0)
        {
            return Park(order, command, "CONFIRMATION_OUTSIDE_TOLERANCE", $"Confirmation of line {line.LineId}: {string.Join("; ", reasons)}.", arrived, held);
        }

        return Transition<PurchaseOrder>.To(ApplyConfirmation(order, line.LineId, command.Quantity, command.Delivery, command.Metadata.OccurredAt, null));
    }

    /// <summary>An ASN is recorded when every line it names is on the order; otherwise it is parked.</summary>
    public static Transition<PurchaseOrder> NotifyShipment(string key, PurchaseOrder? current, NotifyShipment command, UnitCatalog? units = null)
    {
        var violations = new Violations();
        var notice = command.Notice;
        violations.RequireText(notice.NoticeId, "shipment_notice.notice_id", 64);
        if (notice.Lines.IsDefaultOrEmpty)
        {
            violations.Add("shipment_notice.lines", "must hold at least one line");
        }

        for (var i = 0; i < (notice.Lines.IsDefault ? 0 : notice.Lines.Length); i++)
        {
            violations.RequireText(notice.Lines[i].LineId, $"shipment_notice.lines[{i}].line_id", 16);
            violations.OptionalText(notice.Lines[i].SupplierLot, $"shipment_notice.lines[{i}].supplier_lot", 64);
            if (notice.Lines[i].Quantity.Value <= 0)
            {
                violations.Add($"shipment_notice.lines[{i}].quantity.value", "must be greater than zero");
            }
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (Open(key, current) is { } closed)
        {
            return closed;
        }

        var order = current!;
        if (order.ShipmentNotices.Any(n => n.NoticeId == notice.NoticeId))
        {
            return DomainError.AlreadyExists($"Shipment notice {notice.NoticeId} of {order.Name} was already recorded.");
        }

        var unknown = notice.Lines.Where(l => order.Line(l.LineId) is null).Select(l => l.LineId).ToList();
        if (unknown.Count > 0)
        {
            return Park(order, command, "UNKNOWN_LINE", $"Shipment notice {notice.NoticeId} names lines the order does not have: {string.Join(", ", unknown)}.",
                Fields(("notice_id", notice.NoticeId), ("lines", string.Join(", ", notice.Lines.Select(l => $"{l.LineId}={l.Quantity}")))),
                Fields(("lines", string.Join(", ", order.Lines.Select(l => l.LineId)))));
        }

        var converted = ImmutableArray.CreateBuilder<ShipmentLine>();
        for (var i = 0; i < notice.Lines.Length; i++)
        {
            var ordered = order.Line(notice.Lines[i].LineId)!;
            var (quantity, unitError) = (units ?? UnitCatalog.Default).Convert(notice.Lines[i].Quantity, ordered.Quantity.Unit, ordered.Material, $"shipment_notice.lines[{i}].quantity");
            if (unitError is not null)
            {
                return unitError;
            }

            converted.Add(notice.Lines[i] with { Quantity = quantity! });
        }

        return Transition<PurchaseOrder>.To(ApplyShipment(order, notice with { Lines = converted.ToImmutable() }));
    }

    /// <summary>
    /// A goods receipt against a line: recorded (the grain then creates the lot) unless the line is
    /// unknown or the total received would exceed the over-receipt tolerance: then it is parked.
    /// </summary>
    public static Transition<PurchaseOrder> ReceiveGoods(string key, PurchaseOrder? current, ReceiveGoods command, TolerancePolicy policy, UnitCatalog? units = null)
    {
        var violations = new Violations();
        violations.RequireText(command.LineId, "line_id", 16);
        ResourceNames.ParseId(command.LotId, "lot_id", violations);
        violations.RequireText(command.Location, "location", 64);
        violations.OptionalText(command.SupplierLot, "supplier_lot", 64);
        if (command.Quantity.Value <= 0)
        {
            violations.Add("quantity.value", "must be greater than zero");
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (Open(key, current) is { } closed)
        {
            return closed;
        }

        var order = current!;
        var arrived = Fields(("line_id", command.LineId), ("quantity", command.Quantity.ToString()), ("lot_id", command.LotId), ("location", command.Location));
        if (order.Line(command.LineId) is not { } line)
        {
            return Park(order, command, "UNKNOWN_LINE", $"The order has no line {command.LineId}.", arrived, Fields(("lines", string.Join(", ", order.Lines.Select(l => l.LineId)))));
        }

        var (received, unitError) = (units ?? UnitCatalog.Default).Convert(command.Quantity, line.Quantity.Unit, line.Material, "quantity");
        if (unitError is not null)
        {
            return unitError;
        }

        command = command with { Quantity = received! };

        var limit = line.Quantity.Value * (100m + policy.OverReceiptPercent) / 100m;
        if (line.ReceivedQuantity + command.Quantity.Value > limit)
        {
            return Park(order, command, "OVER_RECEIPT",
                $"Receiving {command.Quantity} on line {line.LineId} brings it to {Invariant(line.ReceivedQuantity + command.Quantity.Value)} {line.Quantity.Unit}, over the ordered {line.Quantity} plus {Invariant(policy.OverReceiptPercent)}%.",
                arrived, Fields(("ordered", line.Quantity.ToString()), ("received", Invariant(line.ReceivedQuantity)), ("over_receipt_tolerance_percent", Invariant(policy.OverReceiptPercent))));
        }

        return Transition<PurchaseOrder>.To(ApplyReceipt(order, command with { LineId = line.LineId }));
    }

    /// <summary>
    /// A reviewer resolves an open exception: approve applies the parked change as it arrived, correct
    /// applies the reviewer's values, reject applies nothing. Repeating the decision already taken is
    /// accepted unchanged (approving twice applies once); a different decision is refused.
    /// </summary>
    public static Transition<PurchaseOrder> Resolve(string key, PurchaseOrder? current, ResolvePurchaseOrderException command, UnitCatalog? units = null)
    {
        var violations = new Violations();
        ExceptionReviews.Validate(violations, command.Reviewer, command.Note, command.Resolution, command.Correction is not null);
        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (current is null)
        {
            return DomainError.NotFound($"Purchase order {ResourceNames.FromKey("purchaseOrders", key)} does not exist.");
        }

        var (found, error) = ExceptionReviews.Find(current.Exceptions, command.Number, command.Resolution, current.ExceptionName);
        if (error is not null)
        {
            return error;
        }

        if (found is not { } review)
        {
            return Transition<PurchaseOrder>.Unchanged();
        }

        var order = current;
        if (command.Resolution != ExceptionResolution.Reject)
        {
            var applied = ApplyParked(order, review.Exception, command, units ?? UnitCatalog.Default);
            if (applied.Error is { } cannot)
            {
                return cannot;
            }

            order = applied.Order!;
        }

        var resolved = review.Resolved(command.Reviewer, command.Note, command.Metadata.OccurredAt);
        return Transition<PurchaseOrder>.To(order with { Exceptions = order.Exceptions.SetItem(review.Index, resolved) });
    }

    /// <summary>
    /// Raised by the order's reminder: when some line is still unconfirmed and the order is open, an
    /// OVERDUE_ACKNOWLEDGEMENT exception is raised once.
    /// </summary>
    public static Transition<PurchaseOrder> RaiseOverdue(string key, PurchaseOrder? current, RaiseOverdueAcknowledgement command)
    {
        if (current is null || current.Status is not (PurchaseOrderStatus.Created or PurchaseOrderStatus.PartiallyReceived)
            || current.Lines.All(l => l.Confirmation is not null)
            || current.Exceptions.Any(e => e.Kind == OverdueKind))
        {
            return Transition<PurchaseOrder>.Unchanged();
        }

        var unconfirmed = current.Lines.Where(l => l.Confirmation is null).Select(l => l.LineId).ToList();
        var exception = new ParkedException
        {
            Number = NextNumber(current),
            Kind = OverdueKind,
            Reason = $"Vendor {current.Vendor} has not confirmed line(s) {string.Join(", ", unconfirmed)} since {current.CreatedAt:u}; acknowledgement was due {command.DueAt:u}.",
            Held = Fields(("vendor", current.Vendor), ("unconfirmed_lines", string.Join(", ", unconfirmed)), ("due_at", command.DueAt.ToString("u", CultureInfo.InvariantCulture))),
            State = ExceptionState.Open,
            RaisedAt = command.Metadata.OccurredAt,
            Source = command.Metadata.Source,
            MessageId = command.Metadata.MessageId,
        };
        return Transition<PurchaseOrder>.To(current with { Exceptions = current.Exceptions.Add(exception) });
    }

    /// <summary>The kind of the exception raised when the supplier does not confirm in time.</summary>
    public const string OverdueKind = "OVERDUE_ACKNOWLEDGEMENT";

    /// <summary>True while the reminder still has something to watch: some line unconfirmed and no overdue exception yet.</summary>
    public static bool AwaitsAcknowledgement(PurchaseOrder? order) =>
        order is { Status: PurchaseOrderStatus.Created or PurchaseOrderStatus.PartiallyReceived }
        && order.Lines.Any(l => l.Confirmation is null)
        && !order.Exceptions.Any(e => e.Kind == OverdueKind);

    private static (PurchaseOrder? Order, DomainError? Error) ApplyParked(PurchaseOrder order, ParkedException exception, ResolvePurchaseOrderException command, UnitCatalog units)
    {
        var correction = command.Resolution == ExceptionResolution.Correct ? command.Correction : null;
        switch (exception.Parked)
        {
            case ConfirmLine confirm:
                var lineId = correction?.LineId ?? confirm.LineId;
                if (order.Line(lineId) is not { } line)
                {
                    return (null, DomainError.InvalidState("UNKNOWN_LINE", $"The order has no line {lineId}; correct the exception with an existing line_id, or reject it."));
                }

                var (quantity, unitError) = units.Convert(correction?.Quantity ?? confirm.Quantity, line.Quantity.Unit, line.Material, "correction.quantity");
                if (unitError is not null)
                {
                    return (null, unitError);
                }

                return (ApplyConfirmation(order, lineId, quantity!, correction?.Date ?? confirm.Delivery, confirm.Metadata.OccurredAt, exception.Number), null);
            case ReceiveGoods receipt:
                var receivedLine = correction?.LineId ?? receipt.LineId;
                if (order.Line(receivedLine) is not { } target)
                {
                    return (null, DomainError.InvalidState("UNKNOWN_LINE", $"The order has no line {receivedLine}; correct the exception with an existing line_id, or reject it."));
                }

                var (received, receivedError) = units.Convert(correction?.Quantity ?? receipt.Quantity, target.Quantity.Unit, target.Material, "correction.quantity");
                if (receivedError is not null)
                {
                    return (null, receivedError);
                }

                return (ApplyReceipt(order, receipt with { LineId = receivedLine, Quantity = received! }), null);
            case NotifyShipment shipment:
                if (correction?.LineId is { } fixedLine && order.Line(fixedLine) is not null)
                {
                    var lines = shipment.Notice.Lines.Select(l => order.Line(l.LineId) is null ? l with { LineId = fixedLine } : l).ToImmutableArray();
                    return (ApplyShipment(order, shipment.Notice with { Lines = lines }), null);
                }

                return shipment.Notice.Lines.All(l => order.Line(l.LineId) is not null)
                    ? (ApplyShipment(order, shipment.Notice), null)
                    : (null, DomainError.InvalidState("UNKNOWN_LINE", "The notice names lines the order does not have; correct the exception with an existing line_id, or reject it."));
            default:
                // Raised by the order itself (overdue acknowledgement): approving acknowledges it, nothing to apply.
                return (order, null);
        }
    }

    private static PurchaseOrder ApplyConfirmation(PurchaseOrder order, string lineId, Quantity quantity, DateOnly delivery, DateTimeOffset at, int? viaException)
    {
        var lines = order.Lines.Select(l => l.LineId == lineId
            ? l with { Confirmation = new LineConfirmation { Quantity = quantity, Delivery = delivery, ConfirmedAt = at, ViaException = viaException } }
            : l).ToImmutableArray();
        var status = order.Status == PurchaseOrderStatus.Created && lines.All(l => l.Confirmation is not null) ? PurchaseOrderStatus.Confirmed : order.Status;
        return order with { Lines = lines, Status = status };
    }

    private static PurchaseOrder ApplyShipment(PurchaseOrder order, ShipmentNotice notice)
    {
        var lines = order.Lines.Select(l => l with
        {
            ShippedQuantity = l.ShippedQuantity + notice.Lines.Where(s => s.LineId == l.LineId).Sum(s => s.Quantity.Value),
        }).ToImmutableArray();
        return order with { Lines = lines, ShipmentNotices = order.ShipmentNotices.Add(notice) };
    }

    private static PurchaseOrder ApplyReceipt(PurchaseOrder order, ReceiveGoods command)
    {
        var (plant, _) = ResourceNames.SplitKey(order.Key);
        var receipt = new GoodsReceipt
        {
            LineId = command.LineId,
            Quantity = command.Quantity,
            LotKey = ResourceNames.Key(plant, command.LotId),
            Location = command.Location,
            SupplierLot = command.SupplierLot,
            ExpiryDate = command.ExpiryDate,
            Metadata = command.Metadata,
        };
        var lines = order.Lines.Select(l => l.LineId == command.LineId ? l with { ReceivedQuantity = l.ReceivedQuantity + command.Quantity.Value } : l).ToImmutableArray();
        var status = lines.All(l => l.FullyReceived) ? PurchaseOrderStatus.Received : PurchaseOrderStatus.PartiallyReceived;
        return order with { Lines = lines, Receipts = order.Receipts.Add(receipt), Status = status };
    }

    private static Transition<PurchaseOrder> Park(PurchaseOrder order, ICommand command, string kind, string reason,
        ImmutableDictionary<string, string> arrived, ImmutableDictionary<string, string> held)
    {
        var exception = new ParkedException
        {
            Number = NextNumber(order),
            Kind = kind,
            Reason = reason,
            Arrived = arrived,
            Held = held,
            Parked = command,
            State = ExceptionState.Open,
            RaisedAt = command.Metadata.OccurredAt,
            Source = command.Metadata.Source,
            MessageId = command.Metadata.MessageId,
        };
        var name = order.ExceptionName(exception.Number);
        return Transition<PurchaseOrder>.Park(order with { Exceptions = order.Exceptions.Add(exception) },
            DomainError.Parked(kind, name, $"{reason} Parked as exception {name} for a reviewer; nothing was applied."));
    }

    private static int NextNumber(PurchaseOrder order) => order.Exceptions.IsDefaultOrEmpty ? 1 : order.Exceptions.Max(e => e.Number) + 1;

    private static DomainError? Open(string key, PurchaseOrder? current) => current switch
    {
        null => DomainError.NotFound($"Purchase order {ResourceNames.FromKey("purchaseOrders", key)} does not exist."),
        { Status: PurchaseOrderStatus.Cancelled or PurchaseOrderStatus.Closed } => DomainError.InvalidState(
            "ORDER_CLOSED", $"Purchase order {current.Name} is {current.Status}; it takes no more supplier or receipt events."),
        _ => null,
    };

    private static ImmutableDictionary<string, string> Fields(params (string Key, string Value)[] fields) =>
        fields.ToImmutableDictionary(f => f.Key, f => f.Value);

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Invariant(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyCode();
}
