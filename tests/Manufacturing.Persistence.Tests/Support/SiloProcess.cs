using System.Diagnostics;

namespace Manufacturing.Persistence.Tests.Support;

/// <summary>A silo in a child process (this assembly's <see cref="Program.Main"/>), so a test can kill it.</summary>
internal sealed class SiloProcess : IDisposable
{
    public const string ReadyPrefix = "SILO READY ";

    private readonly Process _process;

    private SiloProcess(Process process) => _process = process;

    public static async Task<SiloProcess> StartAsync(string name, string connectionString, string clusterId)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        start.ArgumentList.Add("silo");
        start.ArgumentList.Add(connectionString);
        start.ArgumentList.Add(clusterId);
        start.ArgumentList.Add(name);

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the silo process.");
        var silo = new SiloProcess(process);
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"The silo process exited before it was ready: {await stderr}");
                if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal))
                {
                    // Keep draining stdout so the child never blocks on a full pipe.
                    _ = process.StandardOutput.ReadToEndAsync();
                    return silo;
                }
            }
        }
        catch
        {
            silo.Dispose();
            throw;
        }
    }

    /// <summary>Kills the process at once: no graceful shutdown, no membership update of its own.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
