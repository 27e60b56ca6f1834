using System.Net.Sockets;
using Manufacturing.Migrator;
using Npgsql;

// Manufacturing.Migrator [--connection "<connection string>"] [--create-database] [--timeout <seconds>]
// Without --connection the connection string comes from ConnectionStrings__Orleans.
// Exit codes: 0 success, 1 failure (one line on stderr), 2 usage error.

const string EnvironmentVariable = "ConnectionStrings__Orleans";

string? connectionString = null;
var createDatabase = false;
var timeoutSeconds = 300;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--connection" when i + 1 < args.Length:
            connectionString = args[++i];
            break;
        case var arg when arg.StartsWith("--connection=", StringComparison.Ordinal):
            connectionString = arg["--connection=".Length..];
            break;
        case "--create-database":
            createDatabase = true;
            break;
        case "--timeout" when i + 1 < args.Length && int.TryParse(args[i + 1], out var seconds) && seconds >= 0:
            timeoutSeconds = seconds;
            i++;
            break;
        case "-h" or "--help":
            Console.WriteLine($"""
                Applies the PostgreSQL migrations of the manufacturing control plane.

                usage: Manufacturing.Migrator [--connection "<connection string>"] [--create-database] [--timeout <seconds>]

                  --connection       Npgsql connection string (default: environment variable {EnvironmentVariable})
                  --create-database  create the database named in the connection string if it does not exist
                  --timeout          give up after this many seconds, including waiting for another
                                     migrator's lock (default 300; 0 = no limit)
                """);
            return 0;
        default:
            Console.Error.WriteLine($"error: unknown or incomplete argument '{args[i]}' (see --help)");
            return 2;
    }
}

connectionString ??= Environment.GetEnvironmentVariable(EnvironmentVariable);
if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.Error.WriteLine($"error: no connection string: pass --connection \"<connection string>\" or set {EnvironmentVariable}");
    return 2;
}

using var cancellation = new CancellationTokenSource();
if (timeoutSeconds > 0)
{
    cancellation.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
}

var interrupted = false;
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupted = true;
    cancellation.Cancel();
};

var logger = new ConsoleLogger();
string target = "PostgreSQL";
try
{
    var builder = new NpgsqlConnectionStringBuilder(connectionString);
    target = $"{builder.Host}:{builder.Port}/{builder.Database}";

    if (createDatabase)
    {
        await DatabaseMigrator.EnsureDatabaseAsync(connectionString, logger, cancellation.Token);
    }

    var applied = await DatabaseMigrator.ApplyAsync(connectionString, logger, cancellation.Token);
    var version = DatabaseMigrator.Migrations.Count == 0 ? 0 : DatabaseMigrator.Migrations[^1].Version;
    Console.WriteLine(applied.Count == 0
        ? $"schema is up to date at version {version}"
        : $"applied {string.Join(", ", applied)}; schema is now at version {version}");
    return 0;
}
catch (Exception ex)
{
    var message = ex is OperationCanceledException
        ? interrupted
            ? "interrupted"
            : $"timed out after {timeoutSeconds} s on {target} (waiting for another migrator's lock, or a migration ran that long; see --timeout)"
        : Describe(ex, target);
    Console.Error.WriteLine("error: " + OneLine(message));
    return 1;
}

static string Describe(Exception ex, string target) => ex switch
{
    MigrationException => ex.Message,
    PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } pg =>
        $"authentication to {target} failed: {pg.MessageText}",
    PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } pg =>
        $"{pg.MessageText} on {target} (pass --create-database to create it)",
    PostgresException pg => $"PostgreSQL error {pg.SqlState} on {target}: {pg.MessageText}",
    NpgsqlException { InnerException: SocketException socket } => $"cannot reach PostgreSQL at {target}: {socket.Message}",
    NpgsqlException { InnerException: TimeoutException } => $"cannot reach PostgreSQL at {target}: connection timed out",
    NpgsqlException npgsql => $"cannot use PostgreSQL at {target}: {npgsql.Message}",
    ArgumentException argument => $"invalid connection string: {argument.Message}",
    _ => $"{ex.GetType().Name}: {ex.Message}",
};

static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
