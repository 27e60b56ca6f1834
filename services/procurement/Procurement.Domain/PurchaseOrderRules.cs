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

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyCode();
}
