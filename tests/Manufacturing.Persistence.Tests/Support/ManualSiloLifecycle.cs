using Orleans.Runtime;

namespace Manufacturing.Persistence.Tests.Support;

/// <summary>
/// Just enough of a silo lifecycle to start a provider (its Init runs in OnStart) outside a silo,
/// so a test can drive the real provider class directly, with etags under its control.
/// </summary>
internal sealed class ManualSiloLifecycle : ISiloLifecycle
{
    private readonly List<(int Stage, ILifecycleObserver Observer)> _observers = [];

    public int HighestCompletedStage { get; private set; } = int.MinValue;

    public int LowestStoppedStage { get; private set; } = int.MaxValue;

    public IDisposable Subscribe(string observerName, int stage, ILifecycleObserver observer)
    {
        _observers.Add((stage, observer));
        return new Unsubscriber(() => _observers.RemoveAll(o => ReferenceEquals(o.Observer, observer)));
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        foreach (var (stage, observer) in _observers.OrderBy(o => o.Stage))
        {
            await observer.OnStart(cancellationToken);
            HighestCompletedStage = stage;
        }
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
