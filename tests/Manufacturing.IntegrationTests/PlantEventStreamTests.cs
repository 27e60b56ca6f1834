using System.Net.Http.Json;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Manufacturing.Common.V1;
using Manufacturing.IntegrationTests.Support;
using Manufacturing.Inventory.V1;
using Manufacturing.Quality.V1;
using Manufacturing.ShopFloor.V1;
using static Manufacturing.IntegrationTests.Support.Requests;

namespace Manufacturing.IntegrationTests;

/// <summary>Plant events streamed through the gateway to the shop-floor host, applied and stored in PostgreSQL.</summary>
[Collection(SuiteCollection.Name)]
public sealed class PlantEventStreamTests(SuiteFixture suite)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private ShopFloorService.ShopFloorServiceClient Erp => new(suite.As("odoo"));

    private ShopFloorService.ShopFloorServiceClient Mes => new(suite.As("mes"));

    private static string NewSource() => $"plants/P100/sources/{Unique("line")}";

    private static CommandMetadata At(string messageId, int minutes) => new()
    {
        MessageId = messageId,
        OccurredAt = Timestamp.FromDateTime(new DateTime(2026, 12, 1, 6, 0, 0, DateTimeKind.Utc).AddMinutes(minutes)),
    };

    private static PlantEvent Start(long sequence, string order, string operation) => new()
    {
        Sequence = sequence,
        StartOperation = new StartOperationRequest { ProductionOrder = order, OperationId = operation, Metadata = At($"{order[^12..]}-{sequence}", (int)sequence) },
    };

    private static PlantEvent Complete(long sequence, string order, string operation) => new()
    {
        Sequence = sequence,
        CompleteOperation = new CompleteOperationRequest
        {
            ProductionOrder = order, OperationId = operation,
            GoodQuantity = new Quantity { Value = "25", UnitOfMeasure = "EA" },
            ScrapQuantity = new Quantity { Value = "0", UnitOfMeasure = "EA" },
            Metadata = At($"{order[^12..]}-{sequence}", (int)sequence),
        },
    };

    private async Task<string> ReleasedOrder() =>
        (await Erp.ReleaseProductionOrderAsync(Release(Unique("WO")))).ProductionOrder.Name;

    /// <summary>Sends <paramref name="messages"/> on one stream and collects every ack (bounded by <see cref="Deadline"/>).</summary>
    private static async Task<List<PlantEventAck>> StreamAsync(ShopFloorService.ShopFloorServiceClient client, params StreamPlantEventsRequest[] messages)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        using var call = client.StreamPlantEvents(cancellationToken: deadline.Token);
        var expected = messages.Sum(m => m.Events.Count);
        foreach (var message in messages)
        {
            await call.RequestStream.WriteAsync(message, deadline.Token);
        }

        await call.RequestStream.CompleteAsync();
        var acks = new List<PlantEventAck>();
        await foreach (var response in call.ResponseStream.ReadAllAsync(deadline.Token))
        {
            acks.AddRange(response.Acks);
        }

        Assert.Equal(expected, acks.Count);
        return acks;
    }

    private static StreamPlantEventsRequest Message(string source, params PlantEvent[] events) => new() { Source = source, Events = { events } };

    [Fact]
    public async Task Streamed_events_are_acknowledged_in_order_after_they_are_stored_and_a_replay_is_all_duplicates()
    {
        var (a, b) = (await ReleasedOrder(), await ReleasedOrder());
        var source = NewSource();
        var messages = new[]
        {
            Message(source, Start(1, a, "0010"), Start(2, b, "0010"), Complete(3, a, "0010")),
            Message(source, Start(4, a, "0020"), Complete(5, b, "0010"), Complete(6, a, "0020")),
        };

        var acks = await StreamAsync(Mes, messages);

        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], acks.Select(x => x.Sequence));
        Assert.All(acks, x => Assert.Equal(PlantEventStatus.Accepted, x.Status));
        Assert.All(acks, x => Assert.Equal(source, x.Source));
        Assert.Equal([2L, 2L, 3L, 4L, 3L, 5L], acks.Select(x => x.Version));
        var orderA = (await Mes.GetProductionOrderAsync(new GetProductionOrderRequest { Name = a })).ProductionOrder;
        Assert.Equal(ProductionOrderState.Completed, orderA.State);
        Assert.Equal(5, orderA.Version);

        // The edge lost its acks and replays everything on a new stream: nothing is applied twice.
        var replay = await StreamAsync(Mes, messages);

        Assert.All(replay, x => Assert.Equal(PlantEventStatus.Duplicate, x.Status));
        Assert.Equal(5, (await Mes.GetProductionOrderAsync(new GetProductionOrderRequest { Name = a })).ProductionOrder.Version);
        Assert.Equal(3, (await Mes.GetProductionOrderAsync(new GetProductionOrderRequest { Name = b })).ProductionOrder.Version);
    }

    [Fact]
    public async Task A_poison_event_is_refused_with_its_reason_and_the_events_behind_it_still_land()
    {
        // A lot of the order's component, blocked by quality: consuming it is a permanent refusal.
        var lotId = Unique("LOT");
        var lot = (await new InventoryService.InventoryServiceClient(suite.As("warehouse")).ReceiveLotAsync(new ReceiveLotRequest
        {
            Parent = "plants/P100", LotId = lotId, Material = "FRAME-26",
            Quantity = new Quantity { Value = "10", UnitOfMeasure = "EA" }, Location = "RECV-01", Metadata = Metadata(),
        })).Lot;
        await new QualityService.QualityServiceClient(suite.As("quality")).BlockLotAsync(new BlockLotRequest { Lot = lot.Name, Reason = "crack", Metadata = Metadata() });
        var order = await ReleasedOrder();
        var source = NewSource();
        var poison = new PlantEvent
        {
            Sequence = 2,
            ConsumeMaterial = new ConsumeMaterialRequest
            {
                ProductionOrder = order, Component = "FRAME-26", LotId = lotId,
                Quantity = new Quantity { Value = "1", UnitOfMeasure = "EA" }, Metadata = At(Unique("consume"), 2),
            },
        };

        var acks = await StreamAsync(Mes, Message(source, Start(1, order, "0010"), poison, Complete(3, order, "0010")));

        Assert.Equal(PlantEventStatus.Accepted, acks[0].Status);
        Assert.Equal(PlantEventStatus.Refused, acks[1].Status);
        Assert.False(acks[1].Retryable);
        Assert.Equal((int)Code.FailedPrecondition, acks[1].Error.Code);
        Assert.Equal(poison.ConsumeMaterial.Metadata.MessageId, acks[1].MessageId);
        Assert.Contains(acks[1].Error.Details, d => d.TryUnpack<ErrorInfo>(out var info) && info.Reason == "INVALID_STATE");
        Assert.Equal(PlantEventStatus.Accepted, acks[2].Status);
        var stored = (await Mes.GetProductionOrderAsync(new GetProductionOrderRequest { Name = order })).ProductionOrder;
        Assert.Empty(stored.Consumptions);
        Assert.Equal(OperationState.Completed, stored.Operations[0].State);
        var lotNow = (await new InventoryService.InventoryServiceClient(suite.As("warehouse")).GetLotAsync(new GetLotRequest { Name = lot.Name })).Lot;
        Assert.Equal("10", lotNow.QuantityOnHand.Value);
    }

    [Fact]
    public async Task Invalid_events_are_refused_one_by_one_with_field_violations_and_change_nothing()
    {
        var order = await ReleasedOrder();
        var source = NewSource();
        var noMetadata = Start(2, order, "0010");
        noMetadata.StartOperation.Metadata = null;
        var otherPlant = Start(4, order.Replace("plants/P100", "plants/P200", StringComparison.Ordinal), "0010");

        var acks = await StreamAsync(Mes, Message(source, new PlantEvent { Sequence = 1 }, noMetadata, Start(0, order, "0010"), Start(3, order, "0010")));

        Assert.Equal([PlantEventStatus.Refused, PlantEventStatus.Refused, PlantEventStatus.Refused, PlantEventStatus.Accepted], acks.Select(x => x.Status));
        string Field(PlantEventAck ack) => ack.Error.Details.Single(d => d.Is(BadRequest.Descriptor)).Unpack<BadRequest>().FieldViolations[0].Field;
        Assert.Equal("events[0].event", Field(acks[0]));
        Assert.Equal("events[1].start_operation.metadata", Field(acks[1]));
        Assert.Equal("events[2].sequence", Field(acks[2]));
        Assert.All(acks.Take(3), x => Assert.Equal((int)Code.InvalidArgument, x.Error.Code));
        Assert.Equal(2, (await Mes.GetProductionOrderAsync(new GetProductionOrderRequest { Name = order })).ProductionOrder.Version);

        // An order of another plant than the source's is refused for the same fenced caller as a body
        // naming another plant: the stream ends with PERMISSION_DENIED before anything is applied.
        var error = await Assert.ThrowsAsync<RpcException>(() => StreamAsync(Mes, Message(source, otherPlant)));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("OTHER_PLANT", error.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
    }

    [Fact]
    public async Task Publish_over_rest_applies_a_batch_and_answers_one_ack_per_event()
    {
        var order = await ReleasedOrder();
        var source = NewSource();
        var request = new PublishPlantEventsRequest { Source = source, Events = { Start(1, order, "0010"), Complete(2, order, "0010") } };
        using var http = suite.HttpAs("mes");
        var json = Google.Protobuf.JsonFormatter.Default.Format(request);

        using var response = await http.PostAsync($"/shop-floor/v1/{source}:publishEvents", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        var body = Google.Protobuf.JsonParser.Default.Parse<PublishPlantEventsResponse>(await response.Content.ReadAsStringAsync());

        Assert.Equal([PlantEventStatus.Accepted, PlantEventStatus.Accepted], body.Acks.Select(x => x.Status));
        var again = await Mes.PublishPlantEventsAsync(request);
        Assert.Equal([PlantEventStatus.Duplicate, PlantEventStatus.Duplicate], again.Acks.Select(x => x.Status));
        Assert.Equal(3, (await Mes.GetProductionOrderAsync(new GetProductionOrderRequest { Name = order })).ProductionOrder.Version);
    }

    [Fact]
    public async Task Machine_signals_from_an_edge_agent_are_aggregated_into_oee_windows_and_a_replay_changes_nothing()
    {
        var edge = new ShopFloorService.ShopFloorServiceClient(suite.As("edge:P100"));
        var source = NewSource();
        var day = new DateTime(2027, 1, 4, 6, 0, 0, DateTimeKind.Utc);
        PlantEvent Signal(long sequence, double minutes, MachineState state = MachineState.Unspecified, long good = 0, long scrap = 0) => new()
        {
            Sequence = sequence,
            MachineSignal = new MachineSignal
            {
                WorkCenter = "plants/P100/workCenters/PRESS-7",
                ObserveTime = Timestamp.FromDateTime(day.AddMinutes(minutes)),
                State = state, GoodCount = good, ScrapCount = scrap, Reason = state == MachineState.Down ? "DIE_CHANGE" : "",
            },
        };
        var message = Message(source,
            Signal(1, 0, MachineState.Running), Signal(2, 6, good: 10), Signal(3, 10, MachineState.Down),
            Signal(4, 13, MachineState.Running), Signal(5, 14, good: 8, scrap: 2), Signal(6, 15.5, MachineState.Running));

        var acks = await StreamAsync(edge, message);
        var replay = await StreamAsync(edge, message);

        Assert.All(acks, x => Assert.Equal(PlantEventStatus.Accepted, x.Status));
        Assert.Equal($"signal:{source.Split('/')[^1]}:3", acks[2].MessageId);
        Assert.All(replay, x => Assert.Equal(PlantEventStatus.Duplicate, x.Status));
        var center = (await edge.GetWorkCenterAsync(new GetWorkCenterRequest { Name = "plants/P100/workCenters/PRESS-7" })).WorkCenter;
        var window = center.ClosedWindows.First(w => w.Kind == "interval" && w.StartTime.ToDateTime() == day);
        Assert.Equal((18L, 2L), (window.GoodCount, window.ScrapCount));
        Assert.Equal((TimeSpan.FromMinutes(12), TimeSpan.FromMinutes(3)), (window.RunTime.ToTimeSpan(), window.DownTime.ToTimeSpan()));
        Assert.Equal(0.8, window.Availability);
        Assert.Equal(0.8333, window.Performance);
        Assert.Equal(0.9, window.Quality);
        Assert.Equal(0.6, window.Oee);
        Assert.Equal(MachineState.Running, center.State);
    }

    [Fact]
    public async Task An_unfenced_caller_naming_an_order_outside_the_source_s_plant_is_refused_on_that_field()
    {
        var sap = new ShopFloorService.ShopFloorServiceClient(suite.As("sap"));

        var acks = await StreamAsync(sap, Message(NewSource(), Start(1, "plants/P200/productionOrders/WO-ELSEWHERE01", "0010")));

        var ack = Assert.Single(acks);
        Assert.Equal(PlantEventStatus.Refused, ack.Status);
        Assert.False(ack.Retryable);
        var violation = ack.Error.Details.Single(d => d.Is(BadRequest.Descriptor)).Unpack<BadRequest>().FieldViolations.Single();
        Assert.Equal("events[0].start_operation.production_order", violation.Field);
    }
}
