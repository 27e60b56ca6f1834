using System.Collections.Immutable;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.ShopFloor.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.ShopFloor;

/// <summary>Plant events applied by the production-order grain: in order, one write per batch, deduplicated by source sequence.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PlantEventGrainTests(ClusterFixture fixture)
{
    private const string Source = "plants/P100/sources/line-3-mes";

    private async Task<(IProductionOrderGrain Grain, GrainId Id)> Released()
    {
        var grain = fixture.Grains.GetGrain<IProductionOrderGrain>($"P100/WO-{Guid.NewGuid():N}");
        Assert.Null((await grain.Release(Commands.Release())).Error);
        return (grain, grain.GetGrainId());
    }

    private static SequencedCommand Start(long sequence, string operation, string? messageId = null) =>
        new(Source, sequence, new StartOperation { Metadata = Commands.Meta(messageId ?? $"ev-{sequence}", SourceSystem.Mes), OperationId = operation });

    private static SequencedCommand Pause(long sequence, string operation, string? messageId = null) =>
        new(Source, sequence, new PauseOperation { Metadata = Commands.Meta(messageId ?? $"ev-{sequence}", SourceSystem.Mes), OperationId = operation, Reason = "JAM" });

    private static SequencedCommand Complete(long sequence, string operation) =>
        new(Source, sequence, new CompleteOperation
        {
            Metadata = Commands.Meta($"ev-{sequence}", SourceSystem.Mes),
            OperationId = operation,
            Good = new Quantity(25, "EA"),
            Scrap = new Quantity(0, "EA"),
            ScrapReason = "",
        });

    [Fact]
    public async Task A_batch_is_applied_in_order_with_one_state_write()
    {
        var (grain, id) = await Released();
        var writesBefore = FaultInjectingStorage.Writes("productionOrder", id);

        var outcomes = await grain.ApplyEvents([Start(1, "0010"), Complete(2, "0010"), Start(3, "0020")]);

        Assert.All(outcomes, o => Assert.Equal(EventStatus.Accepted, o.Status));
        Assert.Equal([2L, 3L, 4L], outcomes.Select(o => o.Version));
        Assert.Equal(writesBefore + 1, FaultInjectingStorage.Writes("productionOrder", id));
        var order = await grain.Get();
        Assert.Equal(OperationStatus.Completed, order!.Operations[0].Status);
        Assert.Equal(OperationStatus.Running, order.Operations[1].Status);
    }

    [Fact]
    public async Task A_replayed_sequence_is_a_duplicate_even_under_another_message_id_and_writes_nothing()
    {
        var (grain, id) = await Released();
        await grain.ApplyEvents([Start(1, "0010"), Pause(2, "0010")]);
        var writes = FaultInjectingStorage.Writes("productionOrder", id);

        // The same sequences again: the first under its message id, the second under one the order never saw.
        var replay = await grain.ApplyEvents([Start(1, "0010"), Pause(2, "0010", messageId: "never-seen")]);

        Assert.All(replay, o => Assert.Equal(EventStatus.Duplicate, o.Status));
        Assert.Equal([2L, 0L], replay.Select(o => o.Version));
        Assert.Equal(writes, FaultInjectingStorage.Writes("productionOrder", id));
        Assert.Equal(3, (await grain.Get())!.Version);
    }

    [Fact]
    public async Task A_refused_event_does_not_hold_back_the_next_and_its_replay_is_decided_again()
    {
        var (grain, _) = await Released();

        // Pausing an operation that never started is refused; the start behind it still lands.
        var first = await grain.ApplyEvents([Pause(1, "0010"), Start(2, "0010")]);
        Assert.Equal(EventStatus.Refused, first[0].Status);
        Assert.Equal("OPERATION_NOT_STARTED", first[0].Error!.Precondition);
        Assert.Equal(EventStatus.Accepted, first[1].Status);

        // Replayed below the applied sequence 2, the refused pause is not taken for a duplicate: it is
        // decided on today's state (the operation now runs), so it applies.
        var replay = await grain.ApplyEvents([Pause(1, "0010"), Start(2, "0010")]);
        Assert.Equal(EventStatus.Accepted, replay[0].Status);
        Assert.Equal(EventStatus.Duplicate, replay[1].Status);
        Assert.Equal(OperationStatus.Paused, (await grain.Get())!.Operations[0].Status);
    }

    [Fact]
    public async Task A_failed_write_applies_nothing_of_the_batch_and_the_resend_applies_it_once()
    {
        var (grain, _) = await Released();
        FaultInjectingStorage.FailNextWrites(1);

        await Assert.ThrowsAnyAsync<Exception>(() => grain.ApplyEvents([Start(1, "0010"), Complete(2, "0010")]));
        Assert.Equal(1, (await grain.Get())!.Version);

        var resend = await grain.ApplyEvents([Start(1, "0010"), Complete(2, "0010")]);
        var again = await grain.ApplyEvents([Start(1, "0010"), Complete(2, "0010")]);

        Assert.All(resend, o => Assert.Equal(EventStatus.Accepted, o.Status));
        Assert.All(again, o => Assert.Equal(EventStatus.Duplicate, o.Status));
        Assert.Equal(3, (await grain.Get())!.Version);
    }

    [Fact]
    public async Task An_event_from_a_system_that_does_not_own_execution_is_refused()
    {
        var (grain, _) = await Released();
        var fromErp = new SequencedCommand(Source, 1, new StartOperation { Metadata = Commands.Meta("ev-erp", SourceSystem.Odoo), OperationId = "0010" });

        var outcome = await grain.ApplyEvents([fromErp]);

        Assert.Equal(EventStatus.Refused, outcome[0].Status);
        Assert.Equal(DomainErrorCode.NotPermitted, outcome[0].Error!.Code);
        Assert.Equal(1, (await grain.Get())!.Version);
    }
}

/// <summary>Machine signals applied by the work-center grain: batched, deduplicated by sequence, closed windows published.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkCenterGrainTests(ClusterFixture fixture)
{
    private const string Source = "plants/P100/sources/weld-plc";
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);

    private static SequencedCommand Signal(long sequence, double minutes, MachineState? state = null, long good = 0) =>
        new(Source, sequence, new RecordMachineSignal
        {
            Metadata = new CommandMetadata($"signal:weld-plc:{sequence}", T0.AddMinutes(minutes)) { Source = SourceSystem.Mes },
            State = state,
            Good = good,
        });

    [Fact]
    public async Task Signals_land_in_windows_once_and_a_closed_window_is_published_as_a_business_event()
    {
        var key = $"P100/WC-{Guid.NewGuid():N}"[..20];
        var grain = fixture.Grains.GetGrain<IWorkCenterGrain>(key);
        ImmutableArray<SequencedCommand> signals = [Signal(1, 0, MachineState.Running), Signal(2, 7, good: 12), Signal(3, 16, MachineState.Running)];

        var outcomes = await grain.ApplyEvents(signals);
        var replay = await grain.ApplyEvents(signals);

        Assert.All(outcomes, o => Assert.Equal(EventStatus.Accepted, o.Status));
        Assert.All(replay, o => Assert.Equal(EventStatus.Duplicate, o.Status));
        var center = (await grain.Get())!;
        var closed = Assert.Single(center.Closed);
        Assert.Equal((12L, TimeSpan.FromMinutes(15)), (closed.Good, closed.Run));
        Assert.Equal(3, center.Version);
        var eventId = $"work_center/{key}/3/0";
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!ClusterFixture.ReadModels.Applied(eventId) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(ClusterFixture.ReadModels.Applied(eventId), $"{eventId} (TelemetryWindowClosed) was not delivered");
    }

    [Fact]
    public async Task An_execution_command_sent_to_a_work_center_is_refused()
    {
        var grain = fixture.Grains.GetGrain<IWorkCenterGrain>("P100/WC-WRONG");
        var start = new SequencedCommand(Source, 1, new StartOperation { Metadata = Commands.Meta("x-1", SourceSystem.Mes), OperationId = "0010" });

        var outcome = Assert.Single(await grain.ApplyEvents([start]));

        Assert.Equal(EventStatus.Refused, outcome.Status);
        Assert.Null(await grain.Get());
    }
}

/// <summary>The per-source cursor that recognises replays by sequence.</summary>
public sealed class SourceCursorTests
{
    [Fact]
    public void Applied_sequences_are_recognised_and_refused_ones_are_not()
    {
        var cursor = new SourceCursor().Record(1, applied: true).Record(2, applied: false).Record(5, applied: true);

        Assert.True(cursor.Applied(1));
        Assert.False(cursor.Applied(2));
        Assert.True(cursor.Applied(3));
        Assert.True(cursor.Applied(5));
        Assert.False(cursor.Applied(6));

        // Applied on a later try: from then on a replay of it is a duplicate.
        Assert.True(cursor.Record(2, applied: true).Applied(2));
    }

    [Fact]
    public void Refusals_are_bounded_forgetting_the_oldest()
    {
        var cursor = new SourceCursor();
        for (var sequence = 1; sequence <= SourceCursor.RefusedCapacity + 10; sequence++)
        {
            cursor = cursor.Record(sequence, applied: false);
        }

        Assert.Equal(SourceCursor.RefusedCapacity, cursor.Refused.Length);
        Assert.Equal(11, cursor.Refused[0]);
        Assert.Equal(0, cursor.Through);
    }

    [Fact]
    public void State_without_cursors_reads_as_empty_and_unsequenced_events_are_never_replays()
    {
        var state = new AggregateState<ProductionOrder>();

        Assert.Empty(state.Sources);
        Assert.False(state.AppliedBefore("plants/P100/sources/a", 1));
        Assert.Same(state, state.RecordSequence("plants/P100/sources/a", 0, applied: true));
    }
}
