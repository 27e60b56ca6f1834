using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Manufacturing.Persistence.Tests.Support;

/// <summary>Sends a host's log lines to the test's output (shown when the test fails).</summary>
internal sealed class TestOutputLoggerProvider(ITestOutputHelper output, string prefix) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(output, prefix, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ITestOutputHelper output, string prefix, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            try
            {
                output.WriteLine($"[{prefix}] {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}");
            }
            catch (InvalidOperationException)
            {
                // The test already finished; its output is closed.
            }
        }
    }
}
