using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Inventory.V1;
using Manufacturing.ServiceDefaults.Grpc;
using Domain = Manufacturing.Inventory.Domain;

namespace Manufacturing.Inventory.Api.Grpc;

/// <summary>
/// Walks lot genealogy through production orders, breadth first: backward from a lot to the order
/// that produced it and the lots that order consumed; forward to the orders that consumed it and the
/// lots they produced. Each lot is visited once; the walk stops at the depth limit or 1000 lots.
/// </summary>
internal sealed class LotTracer(IGrainFactory grains)
{
    /// <summary>The depth used when the caller gives none.</summary>
    public const int DefaultDepth = 5;

    /// <summary>The deepest trace allowed.</summary>
    public const int MaxDepthLimit = 20;

    private const int MaxLots = 1000;

    /// <summary>Traces from <paramref name="rootKey"/>; NOT_FOUND when the lot does not exist.</summary>
    public async Task<TraceLotResponse> TraceAsync(string rootKey, TraceDirection direction, int maxDepth, string errorDomain)
    {
        var rootName = ResourceNames.FromKey("lots", rootKey);
        var root = await grains.GetGrain<ILotGrain>(rootKey).Get();
        if (root is null)
        {
            RpcErrors.ThrowNotFound(errorDomain, rootName);
        }

        var response = new TraceLotResponse { Lot = root.ToProto() };
        var links = new HashSet<(string, string, string)>();
        foreach (var way in direction == TraceDirection.Both ? [TraceDirection.Backward, TraceDirection.Forward] : new[] { direction })
        {
            var seen = new HashSet<string>(StringComparer.Ordinal) { rootKey };
            var frontier = new List<Domain.Lot> { root };
            for (var depth = 1; frontier.Count > 0; depth++)
            {
                var next = new List<Domain.Lot>();
                foreach (var lot in frontier)
                {
                    foreach (var (order, neighbour) in await NeighboursAsync(lot, way))
                    {
                        var (input, output) = way == TraceDirection.Backward ? (neighbour, lot.Key) : (lot.Key, neighbour);
                        if (depth > maxDepth || response.Lots.Count >= MaxLots)
                        {
                            response.Truncated = true;
                            continue;
                        }

                        if (links.Add((input, output, order)))
                        {
                            response.Links.Add(new GenealogyLink
                            {
                                InputLot = ResourceNames.FromKey("lots", input),
                                OutputLot = ResourceNames.FromKey("lots", output),
                                ProductionOrder = ResourceNames.FromKey("productionOrders", order),
                            });
                        }

                        if (!seen.Add(neighbour) || await grains.GetGrain<ILotGrain>(neighbour).Get() is not { } found)
                        {
                            continue;
                        }

                        response.Lots.Add(new TracedLot
                        {
                            Lot = found.Name,
                            Material = found.Material,
                            Status = (LotStatus)(int)found.Status,
                            Depth = depth,
                            Direction = way,
                        });
                        next.Add(found);
                    }
                }

                frontier = next;
            }
        }

        return response;
    }

    private async Task<List<(string Order, string Lot)>> NeighboursAsync(Domain.Lot lot, TraceDirection way)
    {
        var result = new List<(string, string)>();
        var orders = way == TraceDirection.Backward
            ? (lot.ProducedBy is { } producer ? [producer] : [])
            : lot.ConsumedInto.ToList();
        foreach (var orderKey in orders)
        {
            if (await grains.GetGrain<IProductionOrderGrain>(orderKey).Get() is not { } order)
            {
                continue;
            }

            var lots = way == TraceDirection.Backward
                ? order.Consumptions.Select(c => c.LotKey)
                : order.Outputs.Select(o => o.LotKey);
            result.AddRange(lots.Distinct().Where(l => l != lot.Key).Select(l => (orderKey, l)));
        }

        return result;
    }
}
