using System.Diagnostics;
using Manufacturing.Grains;
using Manufacturing.Integration.Connectors;
using Manufacturing.Integration.Connectors.Odoo;
using Microsoft.Extensions.Logging;

namespace Manufacturing.Integration.Grains;

/// <summary>What became of one polled record.</summary>
public enum InboundResult
{
    /// <summary>A command applied it (or recognised it as a repeat).</summary>
    Applied = 1,

    /// <summary>This system already agreed with it: nothing was sent.</summary>
    Unchanged = 2,

    /// <summary>It cannot be applied as it is (a mapping problem, or the service refused it): kept as a rejection until Odoo changes it again.</summary>
    Rejected = 3,

    /// <summary>The service was not reachable: the poll stops here and the next one tries again.</summary>
    Transient = 4,
}

/// <summary>The outcome of applying one polled record, with what was done or why not.</summary>
public sealed record InboundOutcome(InboundResult Result, string Detail);

/// <summary>Turns a record Odoo changed into this system's commands (implemented by the integration host over gRPC).</summary>
public interface IInboundApplier
{
    /// <summary>Applies <paramref name="change"/> to <paramref name="plant"/> with the <c>odoo</c> identity's <paramref name="token"/>.</summary>
    Task<InboundOutcome> ApplyAsync(string plant, OdooChange change, string token, CancellationToken cancellationToken);
}

/// <summary>
/// One Odoo connector's inbound poll (see <see cref="IInboundGrain"/>). For each polled model it
/// reads from the cursor's floor (the lag before the newest change applied) in (<c>write_date</c>,
/// <c>id</c>) order, skips versions already applied, and applies the rest one by one; the cursor is
/// written after every page, so a restart re-reads at most one page and applies nothing twice (the
/// commands' message ids name the record's version, so even that is a duplicate). A record that
/// cannot be applied is kept as a rejection and passed over; a service that cannot be reached stops
/// the poll at that record.
/// </summary>
internal sealed partial class InboundGrain(
    IntegrationRuntime runtime,
    IInboundApplier applier,
    [PersistentState("odooInbound", StorageNames.Integration)] IPersistentState<InboundState> state,
    ILogger<InboundGrain> logger) : Grain, IInboundGrain, IRemindable
{
    private const string Reminder = "odoo-inbound";
    private const int MaxPagesPerPoll = 20;
    private const int MaxRejections = 200;

    private string Name => this.GetPrimaryKeyString();

    private Connector? Connector => runtime.Connectors.GetValueOrDefault(Name) is { Inbound: not null } connector ? connector : null;

    public async Task Start()
    {
        if (Connector is not null)
        {
            await this.RegisterOrUpdateReminder(Reminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Connector is { } connector)
        {
            this.RegisterGrainTimer(async ct => await PollAsync(ct), new GrainTimerCreationOptions
            {
                DueTime = TimeSpan.FromSeconds(1),
                Period = connector.Options.Inbound.Interval,
                KeepAlive = true,
            });
        }

        return base.OnActivateAsync(cancellationToken);
    }

    public Task<InboundState> Status() => Task.FromResult(state.State);

    public Task<InboundState> Poll()
    {
        _nudged = false;
        return PollAsync(CancellationToken.None);
    }

    // A nudge runs interleaved: it only queues one poll (a call to itself, which waits its turn), unless one waits already.
    public Task Nudge()
    {
        if (!_nudged && Connector is not null)
        {
            _nudged = true;
            this.AsReference<IInboundGrain>().Poll().Ignore();
        }

        return Task.CompletedTask;
    }

    private bool _nudged;

    private async Task<InboundState> PollAsync(CancellationToken cancellationToken)
    {
        if (Connector is not { Inbound: { } reader } connector)
        {
            return state.State;
        }

        var options = connector.Options;
        using var activity = IntegrationTelemetry.Activities.StartActivity($"poll {Name}", ActivityKind.Client);
        activity?.SetTag("mfg.connector", Name);
        var error = "";
        try
        {
            var token = options.Inbound.ReadToken();
            if (token.Length == 0)
            {
                throw new ErpException($"No token for the odoo identity in {options.Inbound.TokenFile}.", transient: true);
            }

            var plant = options.Inbound.PlantFor(options.Plants)!;
            foreach (var model in OdooInboundReader.Models)
            {
                error = await PollModelAsync(reader, options, model, plant, token, cancellationToken);
                if (error.Length > 0)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is ErpException or IOException or UnauthorizedAccessException or OperationCanceledException or HttpRequestException)
        {
            error = e.Message;
        }

        if (error.Length > 0)
        {
            activity?.SetStatus(ActivityStatusCode.Error, error);
            LogPollStopped(logger, Name, error);
        }

        state.State = state.State with { LastPollAt = DateTimeOffset.UtcNow, LastError = error };
        await state.WriteStateAsync(cancellationToken);
        return state.State;
    }

    // Polls one model; answers why it stopped early, or "".
    private async Task<string> PollModelAsync(OdooInboundReader reader, ConnectorOptions options, string model, string plant, string token, CancellationToken cancellationToken)
    {
        var lag = options.Inbound.Lag;
        var cursor = state.State.Cursors.GetValueOrDefault(model) ?? new InboundCursor();
        var floor = cursor.Floor(lag, options.Inbound.Since);
        (string, long)? after = null;
        for (var pages = 0; pages < MaxPagesPerPoll; pages++)
        {
            IReadOnlyList<OdooChange> page;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(options.Timeout * 6); // one page: the records and up to five reads of what they refer to
                page = await reader.ReadAsync(model, floor, after, timeout.Token);
            }

            foreach (var change in page)
            {
                after = (change.WriteDate, change.Id);
                var version = new InboundVersion { WriteDate = change.WriteDate, Hash = change.Hash };
                if (!cursor.IsNew(change.Id, version))
                {
                    continue;
                }

                var outcome = change.Problem.Length > 0
                    ? new InboundOutcome(InboundResult.Rejected, change.Problem)
                    : await applier.ApplyAsync(plant, change, token, cancellationToken);
                if (outcome.Result == InboundResult.Transient)
                {
                    IntegrationTelemetry.InboundRecords.Add(1, new KeyValuePair<string, object?>("mfg.connector", Name),
                        new KeyValuePair<string, object?>("mfg.odoo.model", change.Model), new KeyValuePair<string, object?>("mfg.outcome", "transient"));
                    await SaveAsync(model, cursor, cancellationToken);
                    return $"{model} {change.Name}: {outcome.Detail}";
                }

                cursor = cursor.Applied(change.Id, version, lag);
                Record(change, outcome);
            }

            await SaveAsync(model, cursor, cancellationToken);
            if (page.Count < options.Inbound.PageSize)
            {
                return "";
            }
        }

        return ""; // more to read: the next poll goes on from the cursor
    }

    private void Record(OdooChange change, InboundOutcome outcome)
    {
        var rejections = state.State.Rejections.RemoveAll(r => r.Model == change.Model && r.Id == change.Id);
        if (outcome.Result == InboundResult.Rejected)
        {
            LogRejected(logger, Name, change.Model, change.Name, outcome.Detail);
            rejections = rejections.Add(new InboundRejection
            {
                Model = change.Model, Id = change.Id, Name = change.Name, WriteDate = change.WriteDate, Reason = outcome.Detail, At = DateTimeOffset.UtcNow,
            });
            if (rejections.Count > MaxRejections)
            {
                rejections = rejections.RemoveRange(0, rejections.Count - MaxRejections);
            }
        }

        IntegrationTelemetry.InboundRecords.Add(1, new KeyValuePair<string, object?>("mfg.connector", Name), new KeyValuePair<string, object?>("mfg.odoo.model", change.Model),
            new KeyValuePair<string, object?>("mfg.outcome", outcome.Result.ToString().ToLowerInvariant()));
        state.State = state.State with
        {
            Rejections = rejections,
            Applied = state.State.Applied + (outcome.Result == InboundResult.Rejected ? 0 : 1),
        };
    }

    private Task SaveAsync(string model, InboundCursor cursor, CancellationToken cancellationToken)
    {
        state.State = state.State with { Cursors = state.State.Cursors.SetItem(model, cursor) };
        return state.WriteStateAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling Odoo for connector {Connector} stopped; the next poll goes on from there: {Reason}")]
    private static partial void LogPollStopped(ILogger logger, string connector, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connector {Connector}: {Model} {Record} from Odoo was not applied: {Reason}")]
    private static partial void LogRejected(ILogger logger, string connector, string model, string record, string reason);
}
