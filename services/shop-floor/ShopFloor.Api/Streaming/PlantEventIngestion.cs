using Grpc.Core;
using Manufacturing.Common.V1;
using Manufacturing.Domain;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;
using Manufacturing.ServiceDefaults.Security;
using Manufacturing.ShopFloor.Api.Mapping;
using Manufacturing.ShopFloor.V1;

namespace Manufacturing.ShopFloor.Api.Streaming;

/// <summary>How plant event streams are served (configuration section <c>ShopFloor:Streaming</c>).</summary>
internal sealed record PlantStreamingOptions
{
    /// <summary>Events one stream may have read but not yet acknowledged; beyond it the server stops reading.</summary>
    public int MaxInFlightEvents { get; init; } = 10_000;

    /// <summary>The most events one grain call (and so one state write) applies.</summary>
    public int MaxEventsPerCall { get; init; } = 500;

    /// <summary>The most events one request message may carry.</summary>
    public const int MaxEventsPerMessage = 1000;
}

/// <summary>
/// Turns one message of plant events (a stream message, or a PublishPlantEvents request) into
/// acknowledgements: each event is validated on its own (a bad event is refused, not the message),
/// submitted to the pipeline in order, and answered from its outcome. Refused events are audited
/// one by one; accepted ones are recorded in their order's state and business events.
/// </summary>
internal sealed class PlantEventIngestion(CodeMap codes, ServiceIdentity service, AuditTrail audit, ILogger<PlantEventIngestion> logger)
{
    /// <summary>Submits <paramref name="events"/> of <paramref name="source"/>; the acknowledgements complete in any order but are listed in the events' order.</summary>
    public IReadOnlyList<Task<PlantEventAck>> Submit(PlantEventPipeline pipeline, string source, IReadOnlyList<PlantEvent> events, ServerCallContext context)
    {
        var sourceViolations = new Violations();
        var sourceKey = ResourceNames.ParseKey(source, "sources", "source", sourceViolations);
        if (events.Count > PlantStreamingOptions.MaxEventsPerMessage)
        {
            sourceViolations.Add("events", $"at most {PlantStreamingOptions.MaxEventsPerMessage} events per message; this one has {events.Count}");
        }

        var sourceError = sourceViolations.ToError();
        var sourceSystem = context.SourceSystem(service.ErrorDomain);
        var call = new CallInfo(context.Caller(service.ErrorDomain), sourceSystem, context.Method,
            context.GetHttpContext().Request.Headers[Correlation.HeaderName].ToString());
        var sourceId = sourceKey is null ? "" : ResourceNames.SplitKey(sourceKey).Id;
        var acks = new List<Task<PlantEventAck>>(events.Count);
        long previous = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var plantEvent = events[i];
            var violations = new Violations();
            var prefix = $"events[{i}].";
            if (plantEvent.Sequence <= 0)
            {
                violations.Add($"{prefix}sequence", "is required and must be greater than zero");
            }
            else if (plantEvent.Sequence <= previous)
            {
                violations.Add($"{prefix}sequence", $"must increase within a message; {plantEvent.Sequence} follows {previous}");
            }

            var (target, command) = ExecutionMapping.ToCommand(plantEvent, sourceSystem, codes, violations, prefix, sourceId);
            if (target is { } t && sourceKey is not null && ResourceNames.SplitKey(t.Key).Plant != ResourceNames.SplitKey(sourceKey).Plant)
            {
                // The field that names the target: events[i].{start_operation…}.production_order, or …machine_signal.work_center.
                var payload = PlantEvent.Descriptor.FindFieldByNumber((int)plantEvent.EventCase).Name;
                violations.Add($"{prefix}{payload}.{(t.Kind == PlantEventTargetKind.WorkCenter ? "work_center" : "production_order")}",
                    $"must be in the source's plant ({ResourceNames.SplitKey(sourceKey).Plant})");
            }

            var error = sourceError ?? violations.ToError();
            if (error is not null || target is null || command is null)
            {
                var status = RpcErrors.ToStatus(error ?? DomainError.Invalid("The event is invalid."), service.ErrorDomain, null);
                acks.Add(RefuseAsync(call, Ack(source, plantEvent, sourceId, PlantEventStatus.Refused, 0, status, retryable: false), target));
                continue;
            }

            previous = plantEvent.Sequence;
            acks.Add(AnswerAsync(call, source, sourceId, plantEvent, target.Value, pipeline.Submit(target.Value, new SequencedCommand(source, plantEvent.Sequence, command))));
        }

        return acks;
    }

    private async Task<PlantEventAck> AnswerAsync(CallInfo call, string source, string sourceId, PlantEvent plantEvent, PlantEventTarget target, Task<EventOutcome> outcome)
    {
        var name = target.Name;
        try
        {
            var result = await outcome;
            return result.Status switch
            {
                EventStatus.Accepted => Ack(source, plantEvent, sourceId, PlantEventStatus.Accepted, result.Version, null, false),
                EventStatus.Duplicate => Ack(source, plantEvent, sourceId, PlantEventStatus.Duplicate, result.Version, null, false),
                EventStatus.Parked => Ack(source, plantEvent, sourceId, PlantEventStatus.Parked, result.Version, RpcErrors.ToStatus(result.Error!, service.ErrorDomain, name), false),
                _ => await RefuseAsync(call, Ack(source, plantEvent, sourceId, PlantEventStatus.Refused, 0, RpcErrors.ToStatus(result.Error!, service.ErrorDomain, name), false), target),
            };
        }
        catch (BehindFailedEventException behind)
        {
            var status = RpcErrors.CreateStatus(StatusCode.Unavailable, behind.Message, ErrorReason.BehindFailedEvent, service.ErrorDomain);
            return Ack(source, plantEvent, sourceId, PlantEventStatus.Refused, 0, status, retryable: true);
        }
        catch (Exception failure)
        {
            var status = ExceptionInterceptor.ToStatus(failure, service.ErrorDomain, call.CorrelationId, logger, call.Method);
            var retryable = (StatusCode)status.Code is StatusCode.Unavailable or StatusCode.Aborted or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted;
            var ack = Ack(source, plantEvent, sourceId, PlantEventStatus.Refused, 0, status, retryable);
            return retryable ? ack : await RefuseAsync(call, ack, target);
        }
    }

    // A refusal is audited (as the unary call's would be) before it is acknowledged.
    private async Task<PlantEventAck> RefuseAsync(CallInfo call, PlantEventAck ack, PlantEventTarget? target)
    {
        await audit.RecordAsync(new AuditRecord
        {
            Component = service.Name,
            Identity = call.Caller.Client,
            SourceSystem = SourceSystems.WireName(call.Source),
            CorrelationId = call.CorrelationId,
            MessageId = ack.MessageId,
            Resource = target?.Name ?? ack.Source,
            Rpc = call.Method,
            Outcome = AuditRecord.Refused,
            Status = AuditFields.StatusName((StatusCode)ack.Error.Code),
            Reason = $"{Reason(ack.Error)}: {ack.Error.Message} (source {ack.Source}, sequence {ack.Sequence})",
        });
        return ack;
    }

    private static string Reason(Google.Rpc.Status status) =>
        status.Details.Select(d => d.TryUnpack<Google.Rpc.ErrorInfo>(out var info) ? info.Reason : null).FirstOrDefault(r => r is not null) ?? "";

    private static PlantEventAck Ack(string source, PlantEvent plantEvent, string sourceId, PlantEventStatus status, long version, Google.Rpc.Status? error, bool retryable) => new()
    {
        Source = source,
        Sequence = plantEvent.Sequence,
        MessageId = plantEvent.EventCase == PlantEvent.EventOneofCase.MachineSignal ? ExecutionMapping.SignalMessageId(sourceId, plantEvent.Sequence) : MessageIdOf(plantEvent),
        Status = status,
        Version = version,
        Error = error,
        Retryable = retryable,
    };

    private static string MessageIdOf(PlantEvent plantEvent) => plantEvent.EventCase switch
    {
        PlantEvent.EventOneofCase.StartOperation => plantEvent.StartOperation.Metadata?.MessageId,
        PlantEvent.EventOneofCase.PauseOperation => plantEvent.PauseOperation.Metadata?.MessageId,
        PlantEvent.EventOneofCase.ResumeOperation => plantEvent.ResumeOperation.Metadata?.MessageId,
        PlantEvent.EventOneofCase.CompleteOperation => plantEvent.CompleteOperation.Metadata?.MessageId,
        PlantEvent.EventOneofCase.ConsumeMaterial => plantEvent.ConsumeMaterial.Metadata?.MessageId,
        PlantEvent.EventOneofCase.DeclareOutput => plantEvent.DeclareOutput.Metadata?.MessageId,
        _ => null,
    } ?? "";

    private sealed record CallInfo(CallerIdentity Caller, SourceSystem Source, string Method, string CorrelationId);
}
