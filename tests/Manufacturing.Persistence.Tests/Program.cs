using Manufacturing.Persistence.Tests.Support;

namespace Manufacturing.Persistence.Tests;

/// <summary>
/// Test runners load this assembly and never call <see cref="Main"/>. The clustering tests start the
/// assembly as a separate process (<c>silo &lt;connection string&gt; &lt;cluster id&gt; &lt;name&gt;</c>)
/// to get a silo they can kill without it saying goodbye.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["silo", var connectionString, var clusterId, var name])
        {
            await Console.Error.WriteLineAsync("usage: silo <connection string> <cluster id> <name>");
            return 2;
        }

        await using var silo = await TestSilo.StartAsync(name, connectionString, clusterId);
        Console.WriteLine($"{SiloProcess.ReadyPrefix}{silo.Address.ToParsableString()}");

        // Runs until killed; if the test process goes away (stdin closes), stop instead of lingering.
        await Console.In.ReadLineAsync();
        return 0;
    }
}
