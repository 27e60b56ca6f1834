using System.Threading.Channels;
using Grpc.Core;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;
using Manufacturing.ShopFloor.Api.Mapping;
using Manufacturing.ShopFloor.Api.Streaming;
using Manufacturing.ShopFloor.V1;
using Domain = Manufacturing.ShopFloor.Domain;

namespace Manufacturing.ShopFloor.Api.Grpc;

/// <summary>The shop floor's gRPC (and REST) contract: maps requests, delegates to grains, maps results.</summary>
internal sealed class ShopFloorGrpcService(
    IGrainFactory grains, ServiceIdentity service, IReadModelStore readModels, CodeMap codes,
    PlantEventIngestion ingestion, PlantStreamingOptions streaming) : ShopFloorService.ShopFloorServiceBase
{
    public override async Task StreamPlantEvents(IAsyncStreamReader<StreamPlantEventsRequest> requestStream, IServerStreamWriter<StreamPlantEventsResponse> responseStream, ServerCallContext context)
    {
        var pipeline = new PlantEventPipeline(grains, streaming.MaxEventsPerCall);
        // Flow control: at most MaxInFlightEvents read and not yet acknowledged. Beyond that this loop
        // stops reading, the transport's window fills, and HTTP/2 holds the sender back.
        using var window = new SemaphoreSlim(streaming.MaxInFlightEvents);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var pending = Channel.CreateUnbounded<(IReadOnlyList<Task<PlantEventAck>> Acks, int Held)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = WriteAcksAsync(pending.Reader, responseStream, window, stop);
        try
        {
            await foreach (var message in requestStream.ReadAllAsync(stop.Token))
            {
                var held = Math.Min(message.Events.Count, streaming.MaxInFlightEvents);
                for (var i = 0; i < held; i++)
                {
                    await window.WaitAsync(stop.Token);
                }

                pending.Writer.TryWrite((ingestion.Submit(pipeline, message.Source, message.Events, context), held));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            // The acknowledgement writer failed; its exception is rethrown below.
        }
        catch
        {
            // The stream was refused mid-way (a message naming another plant) or broke: stop acknowledging, then fail.
            await stop.CancelAsync();
            pending.Writer.TryComplete();
            try
            {
                await writer;
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Cancelled by us; the original failure is what the caller gets.
            }

            throw;
        }
        finally
        {
            pending.Writer.TryComplete();
        }

        await writer;
    }

    // Sends each message's acknowledgements, in the order the messages came, as soon as all of them are known.
    private static async Task WriteAcksAsync(ChannelReader<(IReadOnlyList<Task<PlantEventAck>> Acks, int Held)> pending,
        IServerStreamWriter<StreamPlantEventsResponse> responseStream, SemaphoreSlim window, CancellationTokenSource stop)
    {
        try
        {
            await foreach (var (acks, held) in pending.ReadAllAsync(stop.Token))
            {
                var response = new StreamPlantEventsResponse();
                response.Acks.AddRange(await Task.WhenAll(acks));
                await responseStream.WriteAsync(response, stop.Token);
                if (held > 0)
                {
                    window.Release(held);
                }
            }
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
    }

    public override async Task<GetWorkCenterResponse> GetWorkCenter(GetWorkCenterRequest request, ServerCallContext context)
    {
        var center = await grains.ReadAsync<IWorkCenterGrain, Domain.WorkCenter>(request.Name, "workCenters", service.ErrorDomain, g => g.Get());
        return new GetWorkCenterResponse { WorkCenter = center.ToProto() };
    }

    public override async Task<PublishPlantEventsResponse> PublishPlantEvents(PublishPlantEventsRequest request, ServerCallContext context)
    {
        var pipeline = new PlantEventPipeline(grains, streaming.MaxEventsPerCall);
        var response = new PublishPlantEventsResponse();
        response.Acks.AddRange(await Task.WhenAll(ingestion.Submit(pipeline, request.Source, request.Events, context)));
        return response;
    }

    public override async Task<ListProductionOrdersResponse> ListProductionOrders(ListProductionOrdersRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var plant = ResourceNames.ParsePlant(request.Parent, "parent", violations);
        var (pageSize, after) = Lists.Paging(request.PageSize, request.PageToken, violations);
        violations.ThrowIfInvalid(service.ErrorDomain);

        var type = Domain.ProductionOrderEvents.AggregateType;
        var page = await readModels.ListAsync(type, plant!, Lists.StateFilter(request.State), pageSize, after, context.CancellationToken);
        var response = new ListProductionOrdersResponse
        {
            NextPageToken = Lists.Token(page.NextPageToken),
            ReadModel = (await readModels.PositionAsync(type, context.CancellationToken)).ToProto(),
        };
        response.ProductionOrders.AddRange(page.Rows.Select(r => new ProductionOrderSummary
        {
            Name = ResourceNames.FromKey("productionOrders", r.Key),
            State = Lists.ParseState<ProductionOrderState>(r.State),
            Product = r.Fields.GetValueOrDefault("product", ""),
            Quantity = new Common.V1.Quantity { Value = r.Fields.GetValueOrDefault("quantity", ""), UnitOfMeasure = r.Fields.GetValueOrDefault("unit_of_measure", "") },
            Version = r.Version,
            UpdateTime = r.UpdatedAt.ToProto(),
        }));
        return response;
    }

    public override async Task<ListProductionOrderExceptionsResponse> ListProductionOrderExceptions(ListProductionOrderExceptionsRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var plant = ResourceNames.ParsePlant(request.Parent, "parent", violations);
        violations.OptionalText(request.Kind, "kind", 64);
        var (pageSize, after) = Lists.Paging(request.PageSize, request.PageToken, violations);
        violations.ThrowIfInvalid(service.ErrorDomain);

        var type = Domain.ProductionOrderEvents.AggregateType;
        var page = await readModels.ListExceptionsAsync(type, plant!, string.IsNullOrEmpty(request.Kind) ? null : request.Kind,
            Lists.StateFilter(request.State), pageSize, after, context.CancellationToken);
        var response = new ListProductionOrderExceptionsResponse
        {
            NextPageToken = Lists.Token(page.NextPageToken),
            ReadModel = (await readModels.PositionAsync(type, context.CancellationToken)).ToProto(),
        };
        response.Exceptions.AddRange(page.Rows.Select(r => r.ToProto()));
        return response;
    }

    public override async Task<ResolveProductionOrderExceptionResponse> ResolveProductionOrderException(ResolveProductionOrderExceptionRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var (orderName, number) = ExceptionContracts.ParseName(request.Name, "productionOrders", "name", violations);
        var key = orderName.Length == 0 ? null : ResourceNames.ParseKey(orderName, "productionOrders", "name", violations);
        var metadata = request.Metadata.ToDomain("metadata", violations, context.SourceSystem(service.ErrorDomain));
        var correction = request.Resolution == Common.V1.ExceptionResolution.Correct && request.Correction is { } c
            ? new Domain.ConsumptionCorrection
            {
                LotId = c.LotId.Length == 0 ? null : c.LotId,
                Component = c.Component.Length == 0 ? null : codes.Canonical(context.SourceSystem(service.ErrorDomain), c.Component),
                Quantity = c.Quantity is null ? null : c.Quantity.ToDomain("correction.quantity", violations),
            }
            : null;
        violations.ThrowIfInvalid(service.ErrorDomain, request.Name);

        var result = await grains.GetGrain<IProductionOrderGrain>(key!).ResolveException(new Domain.ResolveProductionOrderException
        {
            Metadata = metadata!,
            Number = number,
            Resolution = request.Resolution.ToDomain(),
            Reviewer = request.Reviewer,
            Note = request.Note,
            Correction = correction,
        });
        return new ResolveProductionOrderExceptionResponse
        {
            ProductionOrder = result.Unwrap(service.ErrorDomain, request.Name).ToProto(),
            Outcome = result.ToOutcome(),
        };
    }

    public override async Task<ReleaseProductionOrderResponse> ReleaseProductionOrder(ReleaseProductionOrderRequest request, ServerCallContext context)
    {
        var (key, command) = ProductionOrderMapping.ToCommand(request, context.SourceSystem(service.ErrorDomain), codes, service.ErrorDomain);
        var result = await grains.GetGrain<IProductionOrderGrain>(key).Release(command);
        var order = result.Unwrap(service.ErrorDomain, ResourceNames.FromKey("productionOrders", key));
        return new ReleaseProductionOrderResponse { ProductionOrder = order.ToProto(), Outcome = result.ToOutcome() };
    }

    public override async Task<GetProductionOrderResponse> GetProductionOrder(GetProductionOrderRequest request, ServerCallContext context)
    {
        var order = await grains.ReadAsync<IProductionOrderGrain, Domain.ProductionOrder>(request.Name, "productionOrders", service.ErrorDomain, g => g.Get());
        return new GetProductionOrderResponse { ProductionOrder = order.ToProto() };
    }

    public override async Task<StartOperationResponse> StartOperation(StartOperationRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.ProductionOrder, "production_order", request.Metadata, (metadata, _) =>
            ExecutionMapping.ToCommand(request, metadata), (g, c) => g.StartOperation(c));
        return new StartOperationResponse { ProductionOrder = order, Outcome = outcome };
    }

    public override async Task<PauseOperationResponse> PauseOperation(PauseOperationRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.ProductionOrder, "production_order", request.Metadata, (metadata, _) =>
            ExecutionMapping.ToCommand(request, metadata), (g, c) => g.PauseOperation(c));
        return new PauseOperationResponse { ProductionOrder = order, Outcome = outcome };
    }

    public override async Task<ResumeOperationResponse> ResumeOperation(ResumeOperationRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.ProductionOrder, "production_order", request.Metadata, (metadata, _) =>
            ExecutionMapping.ToCommand(request, metadata), (g, c) => g.ResumeOperation(c));
        return new ResumeOperationResponse { ProductionOrder = order, Outcome = outcome };
    }

    public override async Task<CompleteOperationResponse> CompleteOperation(CompleteOperationRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.ProductionOrder, "production_order", request.Metadata, (metadata, violations) =>
            ExecutionMapping.ToCommand(request, metadata, violations), (g, c) => g.CompleteOperation(c));
        return new CompleteOperationResponse { ProductionOrder = order, Outcome = outcome };
    }

    public override async Task<ConsumeMaterialResponse> ConsumeMaterial(ConsumeMaterialRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.ProductionOrder, "production_order", request.Metadata, (metadata, violations) =>
            ExecutionMapping.ToCommand(request, metadata, codes, violations), (g, c) => g.ConsumeMaterial(c));
        return new ConsumeMaterialResponse { ProductionOrder = order, Outcome = outcome };
    }

    public override async Task<DeclareOutputResponse> DeclareOutput(DeclareOutputRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.ProductionOrder, "production_order", request.Metadata, (metadata, violations) =>
            ExecutionMapping.ToCommand(request, metadata, violations), (g, c) => g.DeclareOutput(c));
        return new DeclareOutputResponse { ProductionOrder = order, Outcome = outcome };
    }

    public override async Task<AmendProductionOrderResponse> AmendProductionOrder(AmendProductionOrderRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.Name, "name", request.Metadata, (metadata, violations) => new Domain.AmendProductionOrder
        {
            Metadata = metadata,
            Quantity = request.Quantity is null ? null : request.Quantity.ToDomain("quantity", violations),
            PlannedStart = request.PlannedStartTime.ToDomain("planned_start_time", violations, required: false),
            PlannedEnd = request.PlannedEndTime.ToDomain("planned_end_time", violations, required: false),
        }, (g, c) => g.Amend(c));
        return new AmendProductionOrderResponse { ProductionOrder = order, Outcome = outcome };
    }

    public override async Task<CancelProductionOrderResponse> CancelProductionOrder(CancelProductionOrderRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.Name, "name", request.Metadata, (metadata, _) =>
            new Domain.CancelProductionOrder { Metadata = metadata, Reason = request.Reason }, (g, c) => g.Cancel(c));
        return new CancelProductionOrderResponse { ProductionOrder = order, Outcome = outcome };
    }

    public override async Task<CloseProductionOrderResponse> CloseProductionOrder(CloseProductionOrderRequest request, ServerCallContext context)
    {
        var (order, outcome) = await Apply(context, request.Name, "name", request.Metadata, (metadata, _) =>
            new Domain.CloseProductionOrder { Metadata = metadata }, (g, c) => g.Close(c));
        return new CloseProductionOrderResponse { ProductionOrder = order, Outcome = outcome };
    }

    /// <summary>
    /// A command on an existing order: parses the order's name and the metadata, builds the command
    /// (which may report more violations), throws INVALID_ARGUMENT listing them all, calls the grain
    /// and maps the result.
    /// </summary>
    private async Task<(ProductionOrder Order, Common.V1.CommandOutcome Outcome)> Apply<TCommand>(
        ServerCallContext context, string name, string nameField, Common.V1.CommandMetadata? wireMetadata,
        Func<CommandMetadata, Violations, TCommand> build,
        Func<IProductionOrderGrain, TCommand, Task<CommandResult<Domain.ProductionOrder>>> call)
    {
        var violations = new Violations();
        var key = ResourceNames.ParseKey(name, "productionOrders", nameField, violations);
        var metadata = wireMetadata.ToDomain("metadata", violations, context.SourceSystem(service.ErrorDomain));
        var command = build(metadata ?? new CommandMetadata("", default), violations);
        violations.ThrowIfInvalid(service.ErrorDomain, name);
        var result = await call(grains.GetGrain<IProductionOrderGrain>(key!), command);
        return (result.Unwrap(service.ErrorDomain, name).ToProto(), result.ToOutcome());
    }
}
