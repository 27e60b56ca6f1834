using Manufacturing.Domain;

namespace Manufacturing.ShopFloor.Domain;

/// <summary>The production order's state machine. Pure: the grain loads, calls these, and persists.</summary>
public static class ProductionOrderRules
{
    /// <summary>Checks a release command's payload; field paths are those of the release request.</summary>
    public static DomainError? Validate(ReleaseProductionOrder command)
    {
        var violations = new Violations();
        const string order = "production_order";
        violations.RequireText(command.Product, $"{order}.product", 64);
        if (command.Quantity.Value <= 0)
        {
            violations.Add($"{order}.quantity.value", "must be greater than zero");
        }

        var materials = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < command.Components.Length; i++)
        {
            var component = command.Components[i];
            var field = $"{order}.components[{i}]";
            violations.RequireText(component.Material, $"{field}.material", 64);
            if (component.QuantityPerUnit.Value <= 0)
            {
                violations.Add($"{field}.quantity_per_unit.value", "must be greater than zero");
            }

            if (!materials.Add(component.Material))
            {
                violations.Add($"{field}.material", $"'{component.Material}' appears more than once in the bill of materials");
            }
        }

        if (command.Operations.IsDefaultOrEmpty)
        {
            violations.Add($"{order}.operations", "must hold at least one operation: execution is reported per operation");
        }

        var operations = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (command.Operations.IsDefault ? 0 : command.Operations.Length); i++)
        {
            var operation = command.Operations[i];
            var field = $"{order}.operations[{i}]";
            violations.RequireText(operation.OperationId, $"{field}.operation_id", 32);
            violations.RequireText(operation.WorkCenter, $"{field}.work_center", 64);
            violations.OptionalText(operation.Description, $"{field}.description", 256);
            if (!operations.Add(operation.OperationId))
            {
                violations.Add($"{field}.operation_id", $"'{operation.OperationId}' appears more than once in the routing");
            }
        }

        if (command.PlannedEnd < command.PlannedStart)
        {
            violations.Add($"{order}.planned_end_time", "must not be before planned_start_time");
        }

        return violations.ToError();
    }

    /// <summary>Releases a new order. An order is released once; a second release is ALREADY_EXISTS.</summary>
    public static Transition<ProductionOrder> Release(string key, ProductionOrder? current, ReleaseProductionOrder command)
    {
        if (Validate(command) is { } invalid)
        {
            return invalid;
        }

        if (current is not null)
        {
            return DomainError.AlreadyExists($"Production order {current.Name} was already released.");
        }

        return Transition<ProductionOrder>.To(new ProductionOrder
        {
            Key = key,
            Product = command.Product,
            Quantity = command.Quantity,
            Components = command.Components,
            Operations = command.Operations,
            PlannedStart = command.PlannedStart,
            PlannedEnd = command.PlannedEnd,
            Status = ProductionOrderStatus.Released,
            ReleasedAt = command.Metadata.OccurredAt,
        });
    }
}
