using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Core.Internal;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Manufacturing.Grains.Placement;

/// <summary>The plant-affine activations of this silo (aggregate grains register on activation and leave on deactivation).</summary>
public sealed class PlantActivations
{
    private readonly ConcurrentDictionary<GrainId, byte> _active = new();

    /// <summary>How many there are.</summary>
    public int Count => _active.Count;

    /// <summary>Registers an activation.</summary>
    public void Add(GrainId grain) => _active.TryAdd(grain, 0);

    /// <summary>Forgets an activation.</summary>
    public void Remove(GrainId grain) => _active.TryRemove(grain, out _);

    /// <summary>The activations now.</summary>
    public IReadOnlyList<GrainId> Snapshot() => [.. _active.Keys];
}

/// <summary>Plant placement settings (<c>Orleans:Placement</c>).</summary>
public sealed record PlantPlacementOptions
{
    /// <summary>The host (domain) this silo runs in; silos of one host hold the same grain types.</summary>
    public required string Host { get; init; }

    /// <summary>The plants this silo serves; empty: every plant.</summary>
    public required IReadOnlySet<string> Plants { get; init; }

    /// <summary>How often the rebalancer looks even without a membership change (it also catches late silo metadata).</summary>
    public TimeSpan RebalancePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>At most this many activations are asked to move per pass, so a join does not stall the silo.</summary>
    public int MaxMovesPerPass { get; init; } = 2000;
}

/// <summary>
/// Moves this silo's plant-affine activations to where <see cref="PlantPlacement.Choose{T}"/> now puts
/// them, after every membership change and every <see cref="PlantPlacementOptions.RebalancePeriod"/>:
/// a silo joining a plant takes over the plant's grains that hash to it, and grains placed on a fallback
/// silo move to their plant's silo once it has one. A move is Orleans' migration (the activation
/// finishes what it is doing, deactivates, and the next call activates it where the director places it),
/// so no command is lost; the moving grain's next caller waits for its reactivation.
/// </summary>
public sealed class PlantRebalancer(
    IClusterMembershipService membership,
    ISiloMetadataCache metadata,
    ILocalSiloDetails local,
    IGrainFactory grains,
    PlantActivations activations,
    PlantPlacementOptions options,
    ILogger<PlantRebalancer> logger) : BackgroundService
{
    /// <summary>Activations asked to move since the silo started.</summary>
    public long Moved => Interlocked.Read(ref _moved);

    private long _moved;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var changed = new SemaphoreSlim(0);
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in membership.MembershipUpdates.WithCancellation(stoppingToken))
                {
                    changed.Release();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }, stoppingToken);

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await changed.WaitAsync(options.RebalancePeriod, stoppingToken);
                while (changed.CurrentCount > 0)
                {
                    await changed.WaitAsync(stoppingToken); // coalesce a burst of updates into one pass
                }

                await RebalanceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Plant rebalancing pass failed; trying again at the next membership change or in {Period}.", options.RebalancePeriod);
            }
        }
    }

    /// <summary>One pass: asks every activation that belongs elsewhere to migrate; returns how many were asked.</summary>
    public async Task<int> RebalanceAsync(CancellationToken cancellationToken)
    {
        var self = local.SiloAddress;
        var candidates = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .Where(s => s.Equals(self) || metadata.GetSiloMetadata(s).Metadata.GetValueOrDefault(PlantPlacement.HostKey) == options.Host)
            .ToList();
        if (!candidates.Contains(self))
        {
            return 0; // not active yet, or leaving: nothing to decide here
        }

        var moves = 0;
        foreach (var grain in activations.Snapshot())
        {
            if (moves >= options.MaxMovesPerPass || cancellationToken.IsCancellationRequested)
            {
                break;
            }

            var target = PlantPlacement.Choose(grain.Key.ToString() ?? "", candidates, PlantsOf, PlantPlacementDirector.Identity);
            if (!target.Equals(self))
            {
                moves++;
                await grains.GetGrain(grain).AsReference<IGrainManagementExtension>().MigrateOnIdle();
            }
        }

        if (moves > 0)
        {
            Interlocked.Add(ref _moved, moves);
            logger.LogInformation("Plant rebalancing: {Moves} of {Count} activations on {Silo} asked to move to their plant's silos.", moves, activations.Count, self);
        }

        return moves;
    }

    private IReadOnlySet<string> PlantsOf(SiloAddress silo) => silo.Equals(local.SiloAddress)
        ? options.Plants
        : PlantPlacement.Plants(metadata.GetSiloMetadata(silo).Metadata.GetValueOrDefault(PlantPlacement.PlantsKey));
}

/// <summary>Registers plant-affine placement on a silo.</summary>
public static class PlantPlacementExtensions
{
    /// <summary>
    /// Publishes the silo's host and plants as silo metadata, places <see cref="PlantAffinePlacement"/>
    /// grains with <see cref="PlantPlacementDirector"/>, and runs the <see cref="PlantRebalancer"/>.
    /// Every silo of the cluster must call it (placement runs on the silo that receives the call).
    /// </summary>
    public static ISiloBuilder AddPlantAffinePlacement(this ISiloBuilder silo, PlantPlacementOptions options)
    {
        silo.UseSiloMetadata(new Dictionary<string, string>
        {
            [PlantPlacement.HostKey] = options.Host,
            [PlantPlacement.PlantsKey] = string.Join(',', options.Plants.Order(StringComparer.Ordinal)),
        });
        silo.AddPlacementDirector<PlantAffinePlacement, PlantPlacementDirector>();
        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton<PlantActivations>();
        silo.Services.AddSingleton<PlantRebalancer>();
        silo.Services.AddHostedService(services => services.GetRequiredService<PlantRebalancer>());
        return silo;
    }
}
