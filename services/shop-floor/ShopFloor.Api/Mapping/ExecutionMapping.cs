using Manufacturing.Domain;
using Manufacturing.ServiceDefaults.Grpc;
using Domain = Manufacturing.ShopFloor.Domain;
using Proto = Manufacturing.ShopFloor.V1;

namespace Manufacturing.ShopFloor.Api.Mapping;

/// <summary>
/// The execution commands from their v1 requests: one mapping for the unary RPCs and for the same
/// requests carried as plant events. Field problems are added to the given violations under
/// <c>{prefix}{field}</c>.
/// </summary>
internal static class ExecutionMapping
{
    public static Domain.StartOperation ToCommand(Proto.StartOperationRequest request, CommandMetadata metadata) =>
        new() { Metadata = metadata, OperationId = request.OperationId };

    public static Domain.PauseOperation ToCommand(Proto.PauseOperationRequest request, CommandMetadata metadata) =>
        new() { Metadata = metadata, OperationId = request.OperationId, Reason = request.Reason };

    public static Domain.ResumeOperation ToCommand(Proto.ResumeOperationRequest request, CommandMetadata metadata) =>
        new() { Metadata = metadata, OperationId = request.OperationId };

    public static Domain.CompleteOperation ToCommand(Proto.CompleteOperationRequest request, CommandMetadata metadata, Violations violations, string prefix = "") => new()
    {
        Metadata = metadata,
        OperationId = request.OperationId,
        Good = request.GoodQuantity.ToDomain($"{prefix}good_quantity", violations, mustBePositive: false)!,
        Scrap = request.ScrapQuantity.ToDomain($"{prefix}scrap_quantity", violations, mustBePositive: false)!,
        ScrapReason = request.ScrapReason,
    };

    public static Domain.ConsumeMaterial ToCommand(Proto.ConsumeMaterialRequest request, CommandMetadata metadata, CodeMap codes, Violations violations, string prefix = "") => new()
    {
        Metadata = metadata,
        Component = codes.Canonical(metadata.Source, request.Component),
        LotId = request.LotId,
        Quantity = request.Quantity.ToDomain($"{prefix}quantity", violations)!,
        Location = request.Location,
    };

    public static Domain.DeclareOutput ToCommand(Proto.DeclareOutputRequest request, CommandMetadata metadata, Violations violations, string prefix = "") => new()
    {
        Metadata = metadata,
        LotId = request.LotId,
        Quantity = request.Quantity.ToDomain($"{prefix}quantity", violations)!,
        Location = request.Location,
    };

    /// <summary>
    /// A plant event's target (a production order, or for a machine signal a work center) and
    /// command, with its problems (field paths prefixed <paramref name="prefix"/>, for example
    /// <c>events[3].</c>) added to <paramref name="violations"/>. <paramref name="sourceId"/> (the
    /// source's last name segment) and the sequence give a machine signal its message id.
    /// </summary>
    public static (PlantEventTarget? Target, ICommand? Command) ToCommand(
        Proto.PlantEvent plantEvent, SourceSystem source, CodeMap codes, Violations violations, string prefix, string sourceId)
    {
        if (plantEvent.EventCase == Proto.PlantEvent.EventOneofCase.MachineSignal)
        {
            return ToCommand(plantEvent.MachineSignal, plantEvent.Sequence, source, violations, $"{prefix}machine_signal.", sourceId);
        }

        (string Name, Common.V1.CommandMetadata? Metadata, string Field) target = plantEvent.EventCase switch
        {
            Proto.PlantEvent.EventOneofCase.StartOperation => (plantEvent.StartOperation.ProductionOrder, plantEvent.StartOperation.Metadata, "start_operation"),
            Proto.PlantEvent.EventOneofCase.PauseOperation => (plantEvent.PauseOperation.ProductionOrder, plantEvent.PauseOperation.Metadata, "pause_operation"),
            Proto.PlantEvent.EventOneofCase.ResumeOperation => (plantEvent.ResumeOperation.ProductionOrder, plantEvent.ResumeOperation.Metadata, "resume_operation"),
            Proto.PlantEvent.EventOneofCase.CompleteOperation => (plantEvent.CompleteOperation.ProductionOrder, plantEvent.CompleteOperation.Metadata, "complete_operation"),
            Proto.PlantEvent.EventOneofCase.ConsumeMaterial => (plantEvent.ConsumeMaterial.ProductionOrder, plantEvent.ConsumeMaterial.Metadata, "consume_material"),
            Proto.PlantEvent.EventOneofCase.DeclareOutput => (plantEvent.DeclareOutput.ProductionOrder, plantEvent.DeclareOutput.Metadata, "declare_output"),
            _ => ("", null, ""),
        };
        if (target.Field.Length == 0)
        {
            violations.Add($"{prefix}event", "is required: one of start_operation, pause_operation, resume_operation, complete_operation, consume_material, declare_output, machine_signal");
            return (null, null);
        }

        var field = $"{prefix}{target.Field}.";
        var key = ResourceNames.ParseKey(target.Name, "productionOrders", $"{field}production_order", violations);
        var metadata = target.Metadata.ToDomain($"{field}metadata", violations, source) ?? new CommandMetadata("", default) { Source = source };
        ICommand command = plantEvent.EventCase switch
        {
            Proto.PlantEvent.EventOneofCase.StartOperation => ToCommand(plantEvent.StartOperation, metadata),
            Proto.PlantEvent.EventOneofCase.PauseOperation => ToCommand(plantEvent.PauseOperation, metadata),
            Proto.PlantEvent.EventOneofCase.ResumeOperation => ToCommand(plantEvent.ResumeOperation, metadata),
            Proto.PlantEvent.EventOneofCase.CompleteOperation => ToCommand(plantEvent.CompleteOperation, metadata, violations, field),
            Proto.PlantEvent.EventOneofCase.ConsumeMaterial => ToCommand(plantEvent.ConsumeMaterial, metadata, codes, violations, field),
            _ => ToCommand(plantEvent.DeclareOutput, metadata, violations, field),
        };
        return (key is null ? null : new PlantEventTarget(PlantEventTargetKind.ProductionOrder, key), command);
    }

    /// <summary>The message id a machine signal is known by: from its source and sequence.</summary>
    public static string SignalMessageId(string sourceId, long sequence) => $"signal:{sourceId}:{sequence}";

    private static (PlantEventTarget?, ICommand?) ToCommand(Proto.MachineSignal signal, long sequence, SourceSystem source, Violations violations, string field, string sourceId)
    {
        var key = ResourceNames.ParseKey(signal.WorkCenter, "workCenters", $"{field}work_center", violations);
        var at = signal.ObserveTime.ToDomain($"{field}observe_time", violations);
        var command = new Domain.RecordMachineSignal
        {
            Metadata = new CommandMetadata(SignalMessageId(sourceId, sequence), at ?? default) { Source = source },
            Good = signal.GoodCount,
            Scrap = signal.ScrapCount,
            State = signal.State switch
            {
                Proto.MachineState.Running => Domain.MachineState.Running,
                Proto.MachineState.Idle => Domain.MachineState.Idle,
                Proto.MachineState.Down => Domain.MachineState.Down,
                _ => null,
            },
            Reason = signal.Reason,
        };

        // The rules' own checks (counts, a signal that says nothing), reported with the format checks.
        if (at is not null && Domain.WorkCenterRules.Record(key ?? "P/WC", null, command, Domain.TelemetrySettings.Default).Error is { } invalid)
        {
            foreach (var violation in invalid.Violations)
            {
                violations.Add(violation.Field is "good" ? $"{field}good_count" : violation.Field is "scrap" ? $"{field}scrap_count" : $"{field}{violation.Field}", violation.Description);
            }
        }

        return (key is null ? null : new PlantEventTarget(PlantEventTargetKind.WorkCenter, key), command);
    }
}

/// <summary>The kind of grain a plant event goes to.</summary>
internal enum PlantEventTargetKind
{
    /// <summary>An execution event: the production order.</summary>
    ProductionOrder,

    /// <summary>A machine signal: the work center.</summary>
    WorkCenter,
}

/// <summary>The grain a plant event goes to.</summary>
internal readonly record struct PlantEventTarget(PlantEventTargetKind Kind, string Key)
{
    /// <summary>The target's resource name.</summary>
    public string Name => ResourceNames.FromKey(Kind == PlantEventTargetKind.WorkCenter ? "workCenters" : "productionOrders", Key);
}
