using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Orleans.Placement;
using Orleans.Runtime;

namespace Manufacturing.Grains.Placement;

/// <summary>
/// Places a grain whose key starts with a plant (<c>P200/WO-000123</c>) on a compatible silo serving
/// that plant (silo metadata <see cref="PlantPlacement.PlantsKey"/>), and otherwise on a compatible
/// silo serving every plant, and otherwise on any compatible silo.
/// </summary>
public sealed class PlantAffinePlacement : PlacementStrategy
{
}

/// <summary>Marks a grain class for <see cref="PlantAffinePlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class PlantAffinePlacementAttribute : PlacementAttribute
{
    /// <summary>Plant-affine placement.</summary>
    public PlantAffinePlacementAttribute()
        : base(new PlantAffinePlacement())
    {
    }
}

/// <summary>
/// The choice behind <see cref="PlantAffinePlacement"/>, pure so that the director and the rebalancer
/// agree: among the candidates serving the key's plant (or, when none does, those serving every plant,
/// or else all of them), the one with the highest rendezvous hash of key and silo. Adding a silo to a
/// plant moves only the keys that now hash highest on it (about 1/n of the plant's grains), and
/// removing one moves only its own.
/// </summary>
public static class PlantPlacement
{
    /// <summary>The silo metadata key listing the plants a silo serves (<c>P200,P300</c>; absent or empty: every plant).</summary>
    public const string PlantsKey = "plants";

    /// <summary>The silo metadata key naming the host (domain) a silo runs in; silos of one host hold the same grain types.</summary>
    public const string HostKey = "host";

    /// <summary>The plant a grain key starts with (<c>P200</c> of <c>P200/WO-1</c>), or null for a key without one.</summary>
    public static string? PlantOf(string key) => key.IndexOf('/', StringComparison.Ordinal) is > 0 and var slash ? key[..slash] : null;

    /// <summary>The plants of a metadata value (<c>P200, P300</c>); empty for every plant.</summary>
    public static IReadOnlySet<string> Plants(string? text) =>
        (text ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The candidate for <paramref name="key"/>; <paramref name="plantsOf"/> gives a candidate's plants
    /// (empty: every plant), <paramref name="idOf"/> its stable identity (its endpoint).
    /// </summary>
    public static T Choose<T>(string key, IReadOnlyList<T> candidates, Func<T, IReadOnlySet<string>> plantsOf, Func<T, string> idOf)
    {
        if (candidates.Count == 0)
        {
            throw new ArgumentException("There is no candidate silo.", nameof(candidates));
        }

        var pool = Pool(PlantOf(key), candidates, plantsOf);
        var best = pool[0];
        var bestScore = Score(key, idOf(best));
        for (var i = 1; i < pool.Count; i++)
        {
            var score = Score(key, idOf(pool[i]));
            if (score > bestScore)
            {
                (best, bestScore) = (pool[i], score);
            }
        }

        return best;
    }

    /// <summary>Whether the plant of <paramref name="key"/> has a dedicated silo among <paramref name="candidates"/>.</summary>
    public static bool Served<T>(string key, IEnumerable<T> candidates, Func<T, IReadOnlySet<string>> plantsOf) =>
        PlantOf(key) is { } plant && candidates.Any(c => plantsOf(c).Contains(plant));

    private static List<T> Pool<T>(string? plant, IReadOnlyList<T> candidates, Func<T, IReadOnlySet<string>> plantsOf)
    {
        if (plant is not null && candidates.Where(c => plantsOf(c).Contains(plant)).ToList() is { Count: > 0 } serving)
        {
            return serving;
        }

        return candidates.Where(c => plantsOf(c).Count == 0).ToList() is { Count: > 0 } general ? general : [.. candidates];
    }

    private static ulong Score(string key, string silo)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{key}\n{silo}"), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }
}
