using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.ShopFloor.Api.Mapping;

namespace Manufacturing.ShopFloor.Api.Streaming;

/// <summary>
/// One stream's (or one batch call's) way into the production-order and work-center grains. Each
/// grain has a lane: its events go to it in the order they were submitted, one call at a time, and the events
/// that queue up while a call is running go together in the next call (up to
/// <paramref name="maxEventsPerCall"/>), which the grain applies with one state write. So when events
/// arrive faster than the database commits, each commit covers many events. Lanes of different
/// orders run concurrently.
/// <para>
/// When a grain call fails (the order's storage or silo, or a lot, unreachable), none of its events
/// were applied: they fail with that error, the lane's queued events fail as
/// <see cref="BehindFailedEventException"/>, and every source involved is blocked from its first
/// failed sequence: its later events fail the same way until the sender resends from that sequence
/// (a sequence at or below it). So an order never applies a source's event before an earlier one
/// that is still to be resent.
/// </para>
/// </summary>
internal sealed class PlantEventPipeline(IGrainFactory grains, int maxEventsPerCall)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _blockedFrom = new(StringComparer.Ordinal);

    /// <summary>Queues <paramref name="plantEvent"/> for its grain; completes with its outcome after the write that applied it.</summary>
    public Task<EventOutcome> Submit(PlantEventTarget target, SequencedCommand plantEvent)
    {
        var key = $"{(target.Kind == PlantEventTargetKind.WorkCenter ? 'w' : 'p')}:{target.Key}";
        var item = new Item(plantEvent, new TaskCompletionSource<EventOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        bool start;
        lock (_gate)
        {
            if (_blockedFrom.TryGetValue(plantEvent.Source, out var from))
            {
                if (plantEvent.Sequence > from)
                {
                    return Task.FromException<EventOutcome>(new BehindFailedEventException(plantEvent.Source, from));
                }

                _blockedFrom.Remove(plantEvent.Source);
            }

            if (!_lanes.TryGetValue(key, out var lane))
            {
                lane = new Lane();
                _lanes[key] = lane;
            }

            lane.Pending.Add(item);
            start = !lane.Running;
            lane.Running = true;
        }

        if (start)
        {
            _ = PumpAsync(key, target);
        }

        return item.Done.Task;
    }

    private async Task PumpAsync(string key, PlantEventTarget target)
    {
        IPlantEventGrain grain = target.Kind == PlantEventTargetKind.WorkCenter
            ? grains.GetGrain<IWorkCenterGrain>(target.Key)
            : grains.GetGrain<IProductionOrderGrain>(target.Key);
        while (true)
        {
            Item[] batch;
            lock (_gate)
            {
                var lane = _lanes[key];
                if (lane.Pending.Count == 0)
                {
                    _lanes.Remove(key);
                    return;
                }

                var take = Math.Min(lane.Pending.Count, maxEventsPerCall);
                batch = [.. lane.Pending.Take(take)];
                lane.Pending.RemoveRange(0, take);
            }

            ImmutableArray<EventOutcome> outcomes;
            try
            {
                outcomes = await grain.ApplyEvents([.. batch.Select(i => i.Event)]);
            }
            catch (Exception failure)
            {
                Item[] behind;
                lock (_gate)
                {
                    var lane = _lanes[key];
                    behind = [.. lane.Pending];
                    lane.Pending.Clear();
                    foreach (var item in batch.Concat(behind))
                    {
                        var source = item.Event.Source;
                        if (!_blockedFrom.TryGetValue(source, out var from) || item.Event.Sequence < from)
                        {
                            _blockedFrom[source] = item.Event.Sequence;
                        }
                    }
                }

                foreach (var item in batch)
                {
                    item.Done.TrySetException(failure);
                }

                foreach (var item in behind)
                {
                    item.Done.TrySetException(new BehindFailedEventException(item.Event.Source, item.Event.Sequence));
                }

                continue;
            }

            for (var i = 0; i < batch.Length; i++)
            {
                batch[i].Done.TrySetResult(outcomes[i]);
            }
        }
    }

    private sealed class Lane
    {
        public List<Item> Pending { get; } = [];

        public bool Running { get; set; }
    }

    private sealed record Item(SequencedCommand Event, TaskCompletionSource<EventOutcome> Done);
}

/// <summary>An event not sent to its order because an earlier event of its source failed and must be resent first.</summary>
internal sealed class BehindFailedEventException(string source, long failedSequence)
    : Exception($"An earlier event of {source} (sequence {failedSequence}) failed with a retryable error; resend from it, in order.")
{
    public long FailedSequence { get; } = failedSequence;
}
