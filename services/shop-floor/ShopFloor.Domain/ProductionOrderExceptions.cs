using System.Collections.Immutable;
using Manufacturing.Domain;
using Orleans;

namespace Manufacturing.ShopFloor.Domain;

/// <summary>A reviewer's corrected consumption; unset fields keep what arrived.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.ConsumptionCorrection")]
public sealed record ConsumptionCorrection
{
    /// <summary>The corrected lot id, if corrected.</summary>
    [Id(0)] public string? LotId { get; init; }

    /// <summary>The corrected component, if corrected.</summary>
    [Id(1)] public string? Component { get; init; }

    /// <summary>The corrected quantity, if corrected.</summary>
    [Id(2)] public Quantity? Quantity { get; init; }
}

/// <summary>A reviewer approves, rejects or corrects an exception parked on a production order.</summary>
[GenerateSerializer, Immutable, Alias("shopfloor.ResolveProductionOrderException"), OwnedTransition("production_order", "resolve_exception")]
public sealed record ResolveProductionOrderException : ICommand
{
    /// <inheritdoc />
    [Id(0)] public required CommandMetadata Metadata { get; init; }

    /// <summary>The exception's number.</summary>
    [Id(1)] public required int Number { get; init; }

    /// <summary>What the reviewer decided.</summary>
    [Id(2)] public required ExceptionResolution Resolution { get; init; }

    /// <summary>Who decided (name or id).</summary>
    [Id(3)] public required string Reviewer { get; init; }

    /// <summary>Why.</summary>
    [Id(4)] public string Note { get; init; } = "";

    /// <summary>The corrected values, for <see cref="ExceptionResolution.Correct"/>.</summary>
    [Id(5)] public ConsumptionCorrection? Correction { get; init; }
}

/// <summary>Exceptions parked on a production order, and their resolution. Pure.</summary>
public static class ProductionOrderExceptions
{
    /// <summary>Parks <paramref name="command"/> as an open exception and answers the caller with its name.</summary>
    public static Transition<ProductionOrder> Park(ProductionOrder order, ConsumeMaterial command, string kind, string reason,
        IEnumerable<(string Key, string Value)> held)
    {
        var exception = new ParkedException
        {
            Number = order.Exceptions.IsDefaultOrEmpty ? 1 : order.Exceptions.Max(e => e.Number) + 1,
            Kind = kind,
            Reason = reason,
            Arrived = ImmutableDictionary.CreateRange(new[]
            {
                KeyValuePair.Create("component", command.Component),
                KeyValuePair.Create("lot_id", command.LotId),
                KeyValuePair.Create("quantity", command.Quantity.ToString()),
                KeyValuePair.Create("location", command.Location),
            }),
            Held = held.ToImmutableDictionary(h => h.Key, h => h.Value),
            Parked = command,
            State = ExceptionState.Open,
            RaisedAt = command.Metadata.OccurredAt,
            Source = command.Metadata.Source,
            MessageId = command.Metadata.MessageId,
        };
        var name = order.ExceptionName(exception.Number);
        return Transition<ProductionOrder>.Park(order with { Exceptions = order.Exceptions.Add(exception) },
            DomainError.Parked(kind, name, $"{reason} Parked as exception {name} for a reviewer; nothing was drawn down."));
    }

    /// <summary>
    /// A reviewer resolves an open exception. Approve applies the parked consumption as it arrived
    /// (accepting a substitute component, or a lot that has since been received); correct applies it
    /// with the reviewer's lot, component or quantity; reject applies nothing. Approve and correct
    /// record the consumption here and the grain draws the lot down before committing, so a lot that
    /// is still unknown or blocked refuses the resolution and the exception stays open. Repeating the
    /// decision already taken is accepted unchanged; a different decision is refused.
    /// </summary>
    public static Transition<ProductionOrder> Resolve(string key, ProductionOrder? order, ResolveProductionOrderException command)
    {
        var violations = new Violations();
        ExceptionReviews.Validate(violations, command.Reviewer, command.Note, command.Resolution, command.Correction is not null);
        if (command.Correction is { } correction && command.Resolution == ExceptionResolution.Correct)
        {
            if (correction.LotId is not null)
            {
                ResourceNames.ParseId(correction.LotId, "correction.lot_id", violations);
            }

            if (correction.Component is not null)
            {
                violations.RequireText(correction.Component, "correction.component", 64);
            }

            if (correction.Quantity is { Value: <= 0 })
            {
                violations.Add("correction.quantity.value", "must be greater than zero");
            }
        }

        if (violations.ToError() is { } invalid)
        {
            return invalid;
        }

        if (order is null)
        {
            return DomainError.NotFound($"Production order {ResourceNames.FromKey("productionOrders", key)} does not exist.");
        }

        var (found, error) = ExceptionReviews.Find(order.Exceptions, command.Number, command.Resolution, order.ExceptionName);
        if (error is not null)
        {
            return error;
        }

        if (found is not { } review)
        {
            return Transition<ProductionOrder>.Unchanged();
        }

        var next = order;
        if (command.Resolution != ExceptionResolution.Reject && review.Exception.Parked is ConsumeMaterial parked)
        {
            if (ProductionOrderMaterials.Accepting(key, order) is { } closed)
            {
                return closed;
            }

            var applied = command.Resolution == ExceptionResolution.Correct
                ? parked with
                {
                    LotId = command.Correction!.LotId ?? parked.LotId,
                    Component = command.Correction.Component ?? parked.Component,
                    Quantity = command.Correction.Quantity ?? parked.Quantity,
                }
                : parked;
            next = ProductionOrderMaterials.WithConsumption(order, applied, review.Exception.Number);
        }

        var resolved = review.Resolved(command.Reviewer, command.Note, command.Metadata.OccurredAt);
        return Transition<ProductionOrder>.To(next with { Exceptions = next.Exceptions.SetItem(review.Index, resolved) });
    }
}
