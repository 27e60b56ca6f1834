using Manufacturing.Integration.Domain;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Manufacturing.Integration.Connectors;

/// <summary>
/// An adapter behind the connector's resilience pipeline (Polly): at most
/// <see cref="ConnectorOptions.MaxConcurrency"/> deliveries at the ERP at once; each call bounded by
/// <see cref="ConnectorOptions.Timeout"/>; transient failures (connection errors, timeouts, 5xx,
/// 429 with its Retry-After) retried twice with exponential backoff and jitter; a circuit breaker
/// that opens when half the calls of the last 30 s failed (at least 4), for
/// <see cref="ConnectorOptions.BreakDuration"/>, so a sick ERP is left alone. Business refusals are
/// never retried here. What still fails comes out as an <see cref="ErpException"/>; the dispatcher
/// then schedules the next durable attempt or makes a dead letter. Reconciliation's reads go through
/// the same pipeline, so they too leave a sick ERP alone.
/// </summary>
public sealed class ResilientAdapter : IErpAdapter, IErpReconciler, IDisposable
{
    private readonly IErpAdapter _inner;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly SemaphoreSlim _concurrency;
    private readonly TimeSpan _timeout;

    /// <summary>Wraps <paramref name="inner"/> with the pipeline configured by <paramref name="options"/>.</summary>
    public ResilientAdapter(IErpAdapter inner, ConnectorOptions options, TimeProvider? time = null)
    {
        _inner = inner;
        _timeout = options.Timeout;
        BreakDuration = options.BreakDuration;
        _concurrency = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        var transient = new PredicateBuilder().Handle<ErpException>(e => e.Transient).Handle<TimeoutRejectedException>();
        var builder = new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is ErpException { RetryAfter: { } wait }
                    ? (TimeSpan?)TimeSpan.FromTicks(Math.Min(wait.Ticks, TimeSpan.FromSeconds(30).Ticks))
                    : null),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = options.BreakDuration,
                StateProvider = _circuit,
            })
            .AddTimeout(options.Timeout);
        _pipeline = builder.Build();
    }

    /// <summary>closed, open, half-open or isolated: for the status RPC and the circuit metric.</summary>
    public string CircuitState => _circuit.CircuitState switch
    {
        Polly.CircuitBreaker.CircuitState.Closed => "closed",
        Polly.CircuitBreaker.CircuitState.Open => "open",
        Polly.CircuitBreaker.CircuitState.HalfOpen => "half-open",
        _ => "isolated",
    };

    /// <summary>How long the circuit stays open once it opened.</summary>
    public TimeSpan BreakDuration { get; }

    /// <inheritdoc />
    public bool Supports(IntegrationEvent e) => _inner.Supports(e);

    /// <inheritdoc />
    public Task<DeliveryReceipt> DeliverAsync(IntegrationEvent e, CancellationToken cancellationToken) =>
        RunAsync(token => _inner.DeliverAsync(e, token), cancellationToken);

    /// <summary>What the adapter reconciles; none when it cannot read back.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Reconciled =>
        _inner is IErpReconciler reconciler ? reconciler.Reconciled : new Dictionary<string, IReadOnlyList<string>>();

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, ErpRecord>> ReadAsync(IReadOnlyList<OurRecord> records, CancellationToken cancellationToken) =>
        _inner is IErpReconciler reconciler
            ? RunAsync(token => reconciler.ReadAsync(records, token), cancellationToken)
            : throw new ErpException("This adapter cannot read the ERP back for reconciliation.", transient: false);

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        await _concurrency.WaitAsync(cancellationToken);
        try
        {
            return await _pipeline.ExecuteAsync(async token => await call(token), cancellationToken);
        }
        catch (TimeoutRejectedException timeout)
        {
            throw new ErpException($"The ERP did not answer within {_timeout.TotalSeconds:0.#} s.", transient: true, timeout);
        }
        catch (BrokenCircuitException open)
        {
            throw new ErpException("The circuit is open: the ERP failed too often recently; not called.", transient: true, open) { CircuitOpen = true };
        }
        catch (Exception unexpected) when (unexpected is not (ErpException or OperationCanceledException))
        {
            // An answer the adapter could not use (a mapping or protocol bug): a dead letter to look at, not a loop of retries.
            throw new ErpException($"The adapter failed on the ERP's answer: {unexpected.Message}", transient: false, unexpected);
        }
        finally
        {
            _concurrency.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _concurrency.Dispose();
}
