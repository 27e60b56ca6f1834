using System.Collections.Concurrent;
using Orleans.Runtime;

namespace Manufacturing.Persistence.Tests;

[GenerateSerializer]
[Alias("mfg.tests.CounterState")]
public sealed class CounterState
{
    [Id(0)]
    public int Value { get; set; }

    [Id(1)]
    public string? Note { get; set; }
}

[Alias("mfg.tests.ICounterGrain")]
public interface ICounterGrain : IGrainWithStringKey
{
    [Alias("Increment")]
    Task<int> Increment();

    [Alias("Get")]
    Task<int> Get();
}

/// <summary>Persists through the silo's ADO.NET storage provider "store" (default serializer).</summary>
public sealed class CounterGrain([PersistentState("counter", "store")] IPersistentState<CounterState> state) : Grain, ICounterGrain
{
    public async Task<int> Increment()
    {
        state.State.Value++;
        await state.WriteStateAsync();
        return state.State.Value;
    }

    public Task<int> Get() => Task.FromResult(state.State.Value);
}

[Alias("mfg.tests.IReminderProbeGrain")]
public interface IReminderProbeGrain : IGrainWithStringKey
{
    [Alias("Start")]
    Task Start(TimeSpan dueTime, TimeSpan period);

    [Alias("Stop")]
    Task Stop();
}

/// <summary>Registers a reminder and reports every tick to <see cref="ReminderSignals"/>.</summary>
public sealed class ReminderProbeGrain(ReminderSignals signals) : Grain, IReminderProbeGrain, IRemindable
{
    public const string ReminderName = "probe";

    public Task Start(TimeSpan dueTime, TimeSpan period) => this.RegisterOrUpdateReminder(ReminderName, dueTime, period);

    public async Task Stop()
    {
        var reminder = await this.GetReminder(ReminderName);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        signals.Tick(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }
}

/// <summary>Silo singleton that lets a test wait, with a deadline, for a number of reminder ticks.</summary>
public sealed class ReminderSignals
{
    private readonly ConcurrentDictionary<string, Waiter> _waiters = new();

    public Task WaitForTicksAsync(string grainKey, int ticks) => _waiters.GetOrAdd(grainKey, _ => new Waiter()).WaitFor(ticks);

    public void Tick(string grainKey) => _waiters.GetOrAdd(grainKey, _ => new Waiter()).Tick();

    private sealed class Waiter
    {
        private readonly Lock _lock = new();
        private readonly List<(int Ticks, TaskCompletionSource Done)> _pending = [];
        private int _ticks;

        public Task WaitFor(int ticks)
        {
            lock (_lock)
            {
                if (_ticks >= ticks)
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _pending.Add((ticks, done));
                return done.Task;
            }
        }

        public void Tick()
        {
            lock (_lock)
            {
                _ticks++;
                foreach (var waiter in _pending.Where(p => p.Ticks <= _ticks).ToList())
                {
                    waiter.Done.TrySetResult();
                    _pending.Remove(waiter);
                }
            }
        }
    }
}
