using Manufacturing.Domain;
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

    /// <summary>Applies <paramref name="command"/> exactly once through <paramref name="rule"/>.</summary>
    protected async Task<CommandResult<T>> Execute<TCommand>(TCommand command, Func<string, T?, TCommand, Transition<T>> rule)
        where TCommand : ICommand
    {
        var key = Key;
        var decision = CommandHandler.Decide(state.State, command, (current, c) => rule(key, current, c));
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
}
