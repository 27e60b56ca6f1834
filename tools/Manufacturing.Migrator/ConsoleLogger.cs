using Microsoft.Extensions.Logging;

namespace Manufacturing.Migrator;

/// <summary>Plain progress lines for the command line: information to stdout, warnings to stderr.</summary>
internal sealed class ConsoleLogger : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception);
        if (logLevel >= LogLevel.Warning)
        {
            Console.Error.WriteLine($"warning: {message}");
        }
        else
        {
            Console.WriteLine(message);
        }
    }
}
