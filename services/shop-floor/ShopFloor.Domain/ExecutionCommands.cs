using Manufacturing.Domain;
using Orleans;

namespace Manufacturing.ShopFloor.Domain;

/// <summary>The MES reports that an operation started.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.StartOperation"), OwnedTransition("production_order", "execute")]
public sealed record StartOperation : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The routing operation.</summary>
    [Id(1)] public required string OperationId { get; init; }
}

/// <summary>The MES reports that a running operation paused.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.PauseOperation"), OwnedTransition("production_order", "execute")]
public sealed record PauseOperation : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The routing operation.</summary>
    [Id(1)] public required string OperationId { get; init; }

    /// <summary>Why (for example a downtime reason code).</summary>
    [Id(2)] public required string Reason { get; init; }
}

/// <summary>The MES reports that a paused operation resumed.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.ResumeOperation"), OwnedTransition("production_order", "execute")]
public sealed record ResumeOperation : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The routing operation.</summary>
    [Id(1)] public required string OperationId { get; init; }
}

/// <summary>The MES reports that an operation completed, with its good and scrap quantities.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.CompleteOperation"), OwnedTransition("production_order", "execute")]
public sealed record CompleteOperation : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The routing operation.</summary>
    [Id(1)] public required string OperationId { get; init; }

    /// <summary>Good quantity, in the order's unit.</summary>
    [Id(2)] public required Quantity Good { get; init; }

    /// <summary>Scrap quantity, in the order's unit (zero allowed).</summary>
    [Id(3)] public required Quantity Scrap { get; init; }

    /// <summary>Why there is scrap; required when scrap is above zero.</summary>
    [Id(4)] public string ScrapReason { get; init; } = "";
}

/// <summary>The ERP amends a released order: a new quantity and/or new planned dates.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.AmendProductionOrder"), OwnedTransition("production_order", "amend")]
public sealed record AmendProductionOrder : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The new quantity, or null to keep it.</summary>
    [Id(1)] public Quantity? Quantity { get; init; }

    /// <summary>The new planned start, or null to keep it.</summary>
    [Id(2)] public DateTimeOffset? PlannedStart { get; init; }

    /// <summary>The new planned end, or null to keep it.</summary>
    [Id(3)] public DateTimeOffset? PlannedEnd { get; init; }
}

/// <summary>The ERP cancels an order that has not started.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.CancelProductionOrder"), OwnedTransition("production_order", "cancel")]
public sealed record CancelProductionOrder : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>Why.</summary>
    [Id(1)] public required string Reason { get; init; }
}

/// <summary>The ERP closes a completed order (for costing); nothing changes it afterwards.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.CloseProductionOrder"), OwnedTransition("production_order", "close")]
public sealed record CloseProductionOrder : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }
}
