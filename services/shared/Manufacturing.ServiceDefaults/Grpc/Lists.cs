using System.Text;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Proto = Manufacturing.Common.V1;

namespace Manufacturing.ServiceDefaults.Grpc;

/// <summary>Paging, state filters and read-model positions of the list RPCs.</summary>
public static class Lists
{
    /// <summary>The page size when the caller gives none.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>The largest page.</summary>
    public const int MaxPageSize = 500;

    /// <summary>Checks <c>page_size</c> and decodes <c>page_token</c> (the last key of the previous page, base64url).</summary>
    public static (int PageSize, string After) Paging(int pageSize, string? pageToken, Violations violations)
    {
        if (pageSize is < 0 or > MaxPageSize)
        {
            violations.Add("page_size", $"must be 0 to {MaxPageSize} (0 means {DefaultPageSize})");
        }

        var after = "";
        if (!string.IsNullOrEmpty(pageToken))
        {
            try
            {
                after = Encoding.UTF8.GetString(Convert.FromBase64String(pageToken.Replace('-', '+').Replace('_', '/').PadRight((pageToken.Length + 3) / 4 * 4, '=')));
            }
            catch (FormatException)
            {
                violations.Add("page_token", "is not a token this service returned");
            }
        }

        return (pageSize == 0 ? DefaultPageSize : pageSize, after);
    }

    /// <summary>The opaque token for the page after <paramref name="lastKey"/>.</summary>
    public static string Token(string lastKey) =>
        lastKey.Length == 0 ? "" : Convert.ToBase64String(Encoding.UTF8.GetBytes(lastKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The read model's filter value of a contract enum (<c>InProgress</c> → <c>IN_PROGRESS</c>); null for 0 (unspecified).</summary>
    public static string? StateFilter<TEnum>(TEnum value) where TEnum : struct, Enum =>
        Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) == 0 ? null : EventText.UpperSnake(value);

    /// <summary>The contract enum value of a read-model state (0 when unknown).</summary>
    public static TEnum ParseState<TEnum>(string state) where TEnum : struct, Enum =>
        Enum.GetValues<TEnum>().FirstOrDefault(v => EventText.UpperSnake(v) == state);

    /// <summary>A read-model position on the wire.</summary>
    public static Proto.ReadModelPosition ToProto(this ReadModelPosition position) => new()
    {
        LastEventTime = position.LastEventTime?.ToProto(),
        LastAppliedTime = position.LastAppliedAt?.ToProto(),
    };
}
