using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Manufacturing.Grains.Placement;

/// <summary>
/// Places <see cref="PlantAffinePlacement"/> grains by <see cref="PlantPlacement.Choose{T}"/> among the
/// compatible silos, reading each silo's plants from its metadata. A silo whose metadata this silo has
/// not fetched yet (it has just joined) reads as serving every plant until it has; the rebalancer
/// moves what was placed on it meanwhile.
/// </summary>
public sealed class PlantPlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    /// <inheritdoc />
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
        Task.FromResult(PlantPlacement.Choose(target.GrainIdentity.Key.ToString() ?? "", context.GetCompatibleSilos(target), PlantsOf, Identity));

    /// <summary>The stable identity a silo is hashed by: its endpoint (a restarted silo keeps its grains' places).</summary>
    public static string Identity(SiloAddress silo) => silo.Endpoint.ToString();

    private IReadOnlySet<string> PlantsOf(SiloAddress silo) =>
        PlantPlacement.Plants(metadata.GetSiloMetadata(silo).Metadata.GetValueOrDefault(PlantPlacement.PlantsKey));
}
