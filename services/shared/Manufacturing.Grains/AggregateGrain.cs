using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Reflection;
using Manufacturing.Domain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace Manufacturing.Grains;

/// <summary>
/// Base of the grains that own one aggregate: load → decide (pure rules) → persist → answer. A
/// change is acknowledged only after its state write; when the write fails the grain deactivates, so
/// the next call reloads what storage really holds, and the caller sees the failure.
/// </summary>
public abstract class AggregateGrain<T>(IPersistentState<AggregateState<T>> state) : Grain
    where T : class, IAggregate<T>
{
    /// <summary>The aggregate, or null before its creating command.</summary>
    protected T? Current => state.State.Current;

    /// <summary>The persisted state (for subclasses that decide in several steps).</summary>
    protected AggregateState<T> State => state.State;

    /// <summary>The grain's key.</summary>
    protected string Key => this.GetPrimaryKeyString();

    /// <summary>
    /// Applies <paramref name="command"/> exactly once through <paramref name="rule"/>, after checking
    /// that its source system owns the command's transition at this plant.
    /// </summary>
    protected Task<CommandResult<T>> Execute<TCommand>(TCommand command, Func<string, T?, TCommand, Transition<T>> rule)
        where TCommand : ICommand => Commit(Decide(command, rule));

    /// <summary>
    /// Decides what <paramref name="command"/> would do (ownership, idempotency, then the rule) without
    /// persisting it; for grains that must perform a cross-domain effect before they commit.
    /// </summary>
    protected Decision<T> Decide<TCommand>(TCommand command, Func<string, T?, TCommand, Transition<T>> rule)
        where TCommand : ICommand
    {
        var key = Key;
        if (Authorize(command) is { } denied)
        {
            return new Decision<T>(null, CommandResult<T>.Refused(denied));
        }

        return CommandHandler.Decide(state.State, command, (current, c) => rule(key, current, c));
    }

    /// <summary>Persists a decision's state (when it changed anything) and returns its result.</summary>
    protected async Task<CommandResult<T>> Commit(Decision<T> decision)
    {
        if (decision.NextState is { } next)
        {
            var previous = state.State;
            state.State = next;
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                state.State = previous;
                DeactivateOnIdle();
                throw;
            }
        }

        return decision.Result;
    }

    /// <summary>
    /// The ownership check: null when the command's source owns its transition here; otherwise the
    /// refusal, which is recorded (a warning log and the <c>mfg.ownership.refusals</c> counter).
    /// </summary>
    protected DomainError? Authorize(ICommand command)
    {
        var owned = OwnedTransitions.Of(command.GetType());
        var plant = ResourceNames.SplitKey(Key).Plant;
        var policy = ServiceProvider.GetRequiredService<OwnershipPolicy>();
        if (policy.Authorize(owned.Aggregate, owned.Transition, plant, command.Metadata.Source) is not { } denied)
        {
            return null;
        }

        OwnershipRefusals.Add(1,
            new KeyValuePair<string, object?>("mfg.aggregate", owned.Aggregate),
            new KeyValuePair<string, object?>("mfg.transition", owned.Transition),
            new KeyValuePair<string, object?>("mfg.source", SourceSystems.WireName(command.Metadata.Source)),
            new KeyValuePair<string, object?>("mfg.plant", plant));
        ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Manufacturing.Ownership").LogWarning(
            "Ownership refusal: {Source} tried {Aggregate}.{Transition} on {Key} (message {MessageId}): {Reason}",
            SourceSystems.WireName(command.Metadata.Source), owned.Aggregate, owned.Transition, Key, command.Metadata.MessageId, denied.Message);
        return denied;
    }

    private static readonly Counter<long> OwnershipRefusals = GrainMeters.Meter.CreateCounter<long>(
        "mfg.ownership.refusals", description: "Writes refused because the caller's source system does not own the transition.");
}

/// <summary>The meters the grains report on.</summary>
public static class GrainMeters
{
    /// <summary>The meter's name, for OpenTelemetry registration.</summary>
    public const string Name = "Manufacturing.Grains";

    /// <summary>The meter.</summary>
    public static readonly Meter Meter = new(Name);
}

/// <summary>The owned transition of each command class, read once from its <see cref="OwnedTransitionAttribute"/>.</summary>
public static class OwnedTransitions
{
    private static readonly ConcurrentDictionary<Type, OwnedTransitionAttribute> Cache = new();

    /// <summary>The transition <paramref name="commandType"/> performs; throws when the class declares none.</summary>
    public static OwnedTransitionAttribute Of(Type commandType) => Cache.GetOrAdd(commandType, static t =>
        t.GetCustomAttribute<OwnedTransitionAttribute>()
        ?? throw new InvalidOperationException($"Command {t.Name} declares no [OwnedTransition]; every command must name the transition it performs."));
}
