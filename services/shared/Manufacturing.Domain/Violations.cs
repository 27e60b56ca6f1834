namespace Manufacturing.Domain;

/// <summary>Collects field violations while a command is parsed and checked.</summary>
public sealed class Violations
{
    private readonly List<FieldViolation> _items = [];

    /// <summary>True when nothing was reported.</summary>
    public bool IsEmpty => _items.Count == 0;

    /// <summary>What was reported, in order.</summary>
    public IReadOnlyList<FieldViolation> Items => _items;

    /// <summary>Reports that <paramref name="field"/> (a proto field path) is invalid.</summary>
    public void Add(string field, string description) => _items.Add(new FieldViolation(field, description));

    /// <summary>Checks a required text field's presence, length and (optionally) pattern.</summary>
    public string RequireText(string? value, string field, int maxLength, System.Text.RegularExpressions.Regex? pattern = null, string? patternHint = null)
    {
        if (string.IsNullOrEmpty(value))
        {
            Add(field, "is required");
            return "";
        }

        if (value.Length > maxLength)
        {
            Add(field, $"must be at most {maxLength} characters");
        }
        else if (pattern is not null && !pattern.IsMatch(value))
        {
            Add(field, patternHint ?? "has an invalid format");
        }

        return value;
    }

    /// <summary>Checks an optional text field's length.</summary>
    public string OptionalText(string? value, string field, int maxLength)
    {
        if (value is { Length: > 0 } && value.Length > maxLength)
        {
            Add(field, $"must be at most {maxLength} characters");
        }

        return value ?? "";
    }

    /// <summary>The error to return when anything was reported; null when the input is valid.</summary>
    public DomainError? ToError(string message = "The request has invalid fields.") =>
        IsEmpty ? null : DomainError.Invalid(message, _items.ToArray());
}
