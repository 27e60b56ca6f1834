using System.Diagnostics;
using System.Threading.Channels;

namespace Manufacturing.IntegrationTests.Support;

/// <summary>
/// A program written by others that a test runs beside the suite (an MQTT broker, a Sparkplug edge
/// node): started with arguments, fed lines on its standard input, and waited on for the lines it writes.
/// </summary>
public sealed class ToolProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = [];

    private ToolProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Everything the program wrote so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_seen)
            {
                return string.Join(" | ", _seen.TakeLast(40));
            }
        }
    }

    /// <summary>Starts <paramref name="program"/> with <paramref name="arguments"/> in <paramref name="directory"/>.</summary>
    public static ToolProcess Start(string program, IEnumerable<string> arguments, string directory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return new ToolProcess(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}."));
    }

    /// <summary>Writes one line to the program's standard input.</summary>
    public async Task SendAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits for a line that <paramref name="matches"/>, or fails after <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> matches, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(deadline.Token);
                if (matches(line))
                {
                    return line;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            Assert.Fail($"{what} did not happen within {timeout}; the program wrote: {Output}");
            throw;
        }
    }

    /// <summary>Waits for the program to exit by itself.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(deadline.Token);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_seen)
        {
            _seen.Add(line);
        }

        _lines.Writer.TryWrite(line);
    }
}
