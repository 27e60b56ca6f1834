namespace Manufacturing.Migrator;

/// <summary>A migration cannot be applied safely (for example an applied migration's checksum changed).</summary>
public sealed class MigrationException : Exception
{
    public MigrationException(string message)
        : base(message)
    {
    }

    public MigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MigrationException()
    {
    }
}
