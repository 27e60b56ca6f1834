using System.Diagnostics;
using Manufacturing.Grains;
using Manufacturing.Integration.Connectors;
using Manufacturing.Integration.Domain;
using Microsoft.Extensions.Logging;

namespace Manufacturing.Integration.Grains;

/// <summary>
/// One connector's reconciliation. A reminder at <see cref="ReconciliationSettings.Interval"/> (and
/// the <c>ReconcileConnector</c> RPC) runs it: for every aggregate type the adapter can read back, the
/// records the connector delivered within the window (settled: nothing pending or dead for them) are
/// read from the ERP in pages and compared field by field with our read model. Differences become
/// drifts for review, with both sides; drifts whose sides agree again are resolved. A run that
/// cannot reach the ERP is recorded as failed and changes no drift. The grain is not reentrant, so
/// runs never overlap.
/// </summary>
internal sealed partial class ReconciliationGrain(IntegrationRuntime runtime, ILogger<ReconciliationGrain> logger) : Grain, IReconciliationGrain, IRemindable
{
    private const string Reminder = "reconcile";

    private string Name => this.GetPrimaryKeyString();

    public async Task Start()
    {
        if (runtime.Connectors.ContainsKey(Name) && runtime.ReconciliationStore is not null)
        {
            await this.RegisterOrUpdateReminder(Reminder, runtime.Reconciliation.Interval, runtime.Reconciliation.Interval);
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == Reminder)
        {
            await Run();
        }
    }

    public async Task<ReconciliationRun> Run()
    {
        var started = DateTimeOffset.UtcNow;
        if (!runtime.Connectors.TryGetValue(Name, out var connector) || runtime.ReconciliationStore is not { } store)
        {
            return new ReconciliationRun { StartedAt = started, FinishedAt = started, Error = $"No connector {Name} is configured with PostgreSQL." };
        }

        using var activity = IntegrationTelemetry.Activities.StartActivity($"reconcile {Name}", ActivityKind.Client);
        activity?.SetTag("mfg.connector", Name);
        var settings = runtime.Reconciliation;
        var checkedRecords = new List<(string AggregateType, string AggregateKey)>();
        var drifts = new List<Drift>();
        ReconciliationRun run;
        try
        {
            foreach (var (type, workflows) in connector.Adapter.Reconciled)
            {
                var ours = await store.RecordsAsync(Name, type, workflows, started - settings.Window, settings.MaxRecords);
                if (ours.Count == 0)
                {
                    continue;
                }

                var theirs = await connector.Adapter.ReadAsync(ours, CancellationToken.None);
                foreach (var record in ours)
                {
                    checkedRecords.Add((record.AggregateType, record.AggregateKey));
                    drifts.AddRange(Domain.Reconciliation.Compare(record, theirs.GetValueOrDefault(record.AggregateKey)));
                }
            }

            run = await store.RecordRunAsync(Name, started, checkedRecords, drifts);
            IntegrationTelemetry.ReconciliationRuns.Add(1, new TagList { { "mfg.connector", Name }, { "mfg.outcome", "ok" } });
            LogRun(logger, Name, run.Checked, run.Found, run.Opened, run.Resolved);
        }
        catch (ErpException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            run = await store.RecordFailedRunAsync(Name, started, checkedRecords.Count, e.Message);
            IntegrationTelemetry.ReconciliationRuns.Add(1, new TagList { { "mfg.connector", Name }, { "mfg.outcome", "failed" } });
            LogFailed(logger, Name, e.Message);
        }

        activity?.SetTag("mfg.checked", run.Checked);
        activity?.SetTag("mfg.drifts", run.Found);
        IntegrationTelemetry.ReportDrifts(Name, await store.OpenDriftsAsync(Name));
        return run;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciled {Connector}: {Checked} records checked, {Found} differences ({Opened} new), {Resolved} resolved.")]
    private static partial void LogRun(ILogger logger, string connector, int @checked, int found, int opened, int resolved);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling {Connector} failed; no drift changed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string connector, string reason);
}
