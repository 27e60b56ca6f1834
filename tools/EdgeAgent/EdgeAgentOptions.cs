namespace Manufacturing.EdgeAgent;

/// <summary>The agent's settings (configuration section <c>EdgeAgent</c>).</summary>
public sealed record EdgeAgentOptions
{
    /// <summary>The plant this agent runs at (its sources are <c>plants/{Plant}/sources/{id}</c>). Required.</summary>
    public string Plant { get; init; } = "";

    /// <summary>The gateway's gRPC address (for example <c>https://gateway.example:8443</c>). Required.</summary>
    public string Gateway { get; init; } = "";

    /// <summary>A file holding the bearer token (an <c>edge:{plant}</c> client); read again on every reconnect, so a token refresher can replace it.</summary>
    public string? TokenFile { get; init; }

    /// <summary>The bearer token itself, when no file is given.</summary>
    public string? Token { get; init; }

    /// <summary>The local queue's SQLite file. Default <c>edge-agent.db</c> in the working directory.</summary>
    public string Database { get; init; } = "edge-agent.db";

    /// <summary>Events per stream message. Default 200.</summary>
    public int BatchSize { get; init; } = 200;

    /// <summary>Events sent and not yet acknowledged, at most. Default 2000.</summary>
    public int MaxInFlight { get; init; } = 2000;

    /// <summary>The longest wait between reconnects (the backoff grows exponentially with jitter up to it). Default 30 s.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Sparkplug B over MQTT (section <c>EdgeAgent:Sparkplug</c>); null: the agent takes events over HTTP only.</summary>
    public Sparkplug.SparkplugOptions? Sparkplug { get; init; }

    /// <summary>Checks the settings; throws naming what to set.</summary>
    public void Validate()
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(Plant, "^[A-Za-z0-9_-]{1,16}$"))
        {
            throw new InvalidOperationException("Set EdgeAgent__Plant to the plant this agent runs at (for example P100).");
        }

        if (!Uri.TryCreate(Gateway, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException("Set EdgeAgent__Gateway to the gateway's gRPC address (for example http://127.0.0.1:8081).");
        }

        if (string.IsNullOrEmpty(Token) && string.IsNullOrEmpty(TokenFile))
        {
            throw new InvalidOperationException("Set EdgeAgent__TokenFile (or EdgeAgent__Token) to an edge:{plant} bearer token.");
        }

        if (BatchSize is < 1 or > 1000 || MaxInFlight < BatchSize)
        {
            throw new InvalidOperationException("EdgeAgent__BatchSize must be 1..1000 and EdgeAgent__MaxInFlight at least the batch size.");
        }

        Sparkplug?.Validate();
    }
}
