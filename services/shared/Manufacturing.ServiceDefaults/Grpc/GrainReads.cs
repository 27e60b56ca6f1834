using Manufacturing.Domain;

namespace Manufacturing.ServiceDefaults.Grpc;

/// <summary>The one way a gRPC service reads a resource: parse its name, ask its grain, NOT_FOUND when absent.</summary>
public static class GrainReads
{
    /// <summary>
    /// Parses <paramref name="name"/> as <c>plants/{plant}/{collection}/{id}</c> (INVALID_ARGUMENT on the
    /// <c>name</c> field otherwise), reads the resource from its grain and returns it, or throws NOT_FOUND.
    /// </summary>
    public static async Task<T> ReadAsync<TGrain, T>(this IGrainFactory grains, string? name, string collection, string errorDomain, Func<TGrain, Task<T?>> read)
        where TGrain : IGrainWithStringKey
        where T : class
    {
        var violations = new Violations();
        var key = ResourceNames.ParseKey(name, collection, "name", violations);
        violations.ThrowIfInvalid(errorDomain, name);
        var resource = await read(grains.GetGrain<TGrain>(key!));
        if (resource is null)
        {
            RpcErrors.ThrowNotFound(errorDomain, name!);
        }

        return resource;
    }
}
