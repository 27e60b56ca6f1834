using System.Globalization;
using Grpc.Core;
using Manufacturing.Domain;
using Manufacturing.Grains;
using Manufacturing.Integration.Grains;
using Manufacturing.Integration.V1;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;
using Orleans;
using DeadLetterFilter = Manufacturing.Integration.Grains.DeadLetterFilter;

namespace Manufacturing.Integration.Api.Grpc;

/// <summary>Connectors, dead letters and reconciliation (the caller interceptor has already required <c>sre</c> or the review scope).</summary>
internal sealed class IntegrationGrpcService(IntegrationRuntime runtime, IGrainFactory grains, ServiceIdentity service, IdocIntake idocs) : IntegrationService.IntegrationServiceBase
{
    public override Task<ReceiveIdocResponse> ReceiveIdoc(ReceiveIdocRequest request, ServerCallContext context) => idocs.ReceiveAsync(request, context);

    private const string DeadLetterPrefix = "deadLetters/";
    private const string ConnectorPrefix = "connectors/";

    public override async Task<ListConnectorsResponse> ListConnectors(ListConnectorsRequest request, ServerCallContext context)
    {
        var response = new ListConnectorsResponse();
        foreach (var connector in runtime.Connectors.Values.OrderBy(c => c.Options.Name, StringComparer.Ordinal))
        {
            var state = await grains.GetGrain<IConnectorGrain>(connector.Options.Name).Status();
            var proto = new Manufacturing.Integration.V1.Connector
            {
                Name = $"connectors/{connector.Options.Name}",
                Kind = connector.Options.Kind,
                Protocol = connector.Options.Protocol,
                Circuit = state.Circuit,
                Backlog = state.Backlog,
                OldestPendingTime = state.OldestPending?.ToProto(),
                DeadLetters = state.DeadLetters,
                Delivered = state.Delivered,
                LastError = state.LastError,
            };
            if (runtime.ReconciliationStore is { } reconciliation)
            {
                proto.OpenDrifts = await reconciliation.OpenDriftsAsync(connector.Options.Name, context.CancellationToken);
                proto.LastReconciliation = await reconciliation.LastRunAsync(connector.Options.Name, context.CancellationToken) is { } run ? ToProto(run) : null;
            }

            if (connector.Inbound is not null)
            {
                proto.Inbound = ToProto(await grains.GetGrain<IInboundGrain>(connector.Options.Name).Status());
            }

            proto.Plants.AddRange(connector.Options.Plants);
            proto.Workflows.AddRange(runtime.Workflows.All
                .Where(w => connector.Options.Workflows.Count == 0 || connector.Options.Workflows.Contains(w.Name))
                .Select(w => $"{w.Name}: {w.Policy}"));
            response.Connectors.Add(proto);
        }

        return response;
    }

    public override async Task<ListDeadLettersResponse> ListDeadLetters(ListDeadLettersRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var filter = Filter(request.Filter, "filter", violations);
        var (pageSize, after) = Lists.Paging(request.PageSize, request.PageToken, violations);
        long afterId = 0;
        if (after.Length > 0 && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out afterId))
        {
            violations.Add("page_token", "is not a token this service returned");
        }

        violations.ThrowIfInvalid(service.ErrorDomain);
        var rows = await Store.DeadLettersAsync(filter, pageSize + 1, afterId, context.CancellationToken);
        var response = new ListDeadLettersResponse
        {
            NextPageToken = rows.Count > pageSize ? Lists.Token(rows[pageSize - 1].Id.ToString(CultureInfo.InvariantCulture)) : "",
        };
        response.DeadLetters.AddRange(rows.Take(pageSize).Select(ToProto));
        return response;
    }

    public override async Task<GetDeadLetterResponse> GetDeadLetter(GetDeadLetterRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var id = Id(request.Name, "name", violations);
        violations.ThrowIfInvalid(service.ErrorDomain, request.Name);
        var delivery = await Store.GetAsync(id, context.CancellationToken);
        if (delivery is not { Status: "dead" })
        {
            RpcErrors.ThrowNotFound(service.ErrorDomain, request.Name);
        }

        return new GetDeadLetterResponse { DeadLetter = ToProto(delivery) };
    }

    public override async Task<ReplayDeadLettersResponse> ReplayDeadLetters(ReplayDeadLettersRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var ids = request.Names.Select((n, i) => Id(n, $"names[{i}]", violations)).ToList();
        var filter = request.Filter is null ? null : Filter(request.Filter, "filter", violations);
        if ((ids.Count == 0) == (filter is null))
        {
            violations.Add("names", "give the dead letters to replay, or a filter, not both");
        }

        if (ids.Count > 500)
        {
            violations.Add("names", "at most 500 at a time (or use a filter)");
        }

        violations.ThrowIfInvalid(service.ErrorDomain);
        var replayed = await Store.ReplayAsync(ids, filter, context.CancellationToken);
        foreach (var connector in runtime.Connectors.Keys)
        {
            await grains.GetGrain<IConnectorGrain>(connector).Nudge();
        }

        var response = new ReplayDeadLettersResponse();
        response.Names.AddRange(replayed.Select(id => DeadLetterPrefix + id.ToString(CultureInfo.InvariantCulture)));
        return response;
    }

    public override async Task<DiscardDeadLetterResponse> DiscardDeadLetter(DiscardDeadLetterRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        var id = Id(request.Name, "name", violations);
        var reason = violations.RequireText(request.Reason, "reason", 500);
        violations.ThrowIfInvalid(service.ErrorDomain, request.Name);
        if (!await Store.DiscardAsync(id, reason, context.CancellationToken))
        {
            RpcErrors.ThrowNotFound(service.ErrorDomain, request.Name);
        }

        return new DiscardDeadLetterResponse();
    }

    public override async Task<ReconcileConnectorResponse> ReconcileConnector(ReconcileConnectorRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        if (!request.Name.StartsWith(ConnectorPrefix, StringComparison.Ordinal) || request.Name.Length == ConnectorPrefix.Length)
        {
            violations.Add("name", "must be a connector's name, connectors/{name}");
        }

        violations.ThrowIfInvalid(service.ErrorDomain, request.Name);
        _ = Store;
        if (!runtime.Connectors.ContainsKey(request.Name[ConnectorPrefix.Length..]))
        {
            RpcErrors.ThrowNotFound(service.ErrorDomain, request.Name);
        }

        var run = await grains.GetGrain<IReconciliationGrain>(request.Name[ConnectorPrefix.Length..]).Run();
        return new ReconcileConnectorResponse { Run = ToProto(run) };
    }

    public override async Task<PollConnectorResponse> PollConnector(PollConnectorRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        if (!request.Name.StartsWith(ConnectorPrefix, StringComparison.Ordinal) || request.Name.Length == ConnectorPrefix.Length)
        {
            violations.Add("name", "must be a connector's name, connectors/{name}");
        }

        violations.ThrowIfInvalid(service.ErrorDomain, request.Name);
        var name = request.Name[ConnectorPrefix.Length..];
        if (!runtime.Connectors.TryGetValue(name, out var connector))
        {
            RpcErrors.ThrowNotFound(service.ErrorDomain, request.Name);
        }

        if (connector.Inbound is null)
        {
            throw RpcErrors.ToRpcException(DomainError.InvalidState("INBOUND_POLLING",
                $"{request.Name} does not poll: only an Odoo connector with Inbound__Enabled=true does (SAP sends IDocs)."), service.ErrorDomain, request.Name);
        }

        return new PollConnectorResponse { Inbound = ToProto(await grains.GetGrain<IInboundGrain>(name).Poll()) };
    }

    public override async Task<NotifyConnectorResponse> NotifyConnector(NotifyConnectorRequest request, ServerCallContext context)
    {
        // No token (Odoo's webhooks send none): the connector's webhook key decides. The same refusal
        // for an unknown connector, one without a key and a wrong key, so a caller learns nothing.
        var name = request.Name.StartsWith(ConnectorPrefix, StringComparison.Ordinal) ? request.Name[ConnectorPrefix.Length..] : "";
        string expected;
        try
        {
            expected = runtime.Connectors.GetValueOrDefault(name) is { Inbound: not null } connector ? connector.Options.Inbound.ReadWebhookKey() : "";
        }
        catch (IOException)
        {
            expected = "";
        }

        var given = System.Text.Encoding.UTF8.GetBytes(request.Key);
        if (expected.Length < 32 || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(expected), given))
        {
            throw RpcErrors.Create(StatusCode.PermissionDenied, "This webhook is not accepted: unknown connector, no webhook key set, or a wrong key.",
                Manufacturing.Common.V1.ErrorReason.NotPermitted, service.ErrorDomain);
        }

        await grains.GetGrain<IInboundGrain>(name).Nudge();
        return new NotifyConnectorResponse();
    }

    private static InboundPolling ToProto(InboundState state)
    {
        var proto = new InboundPolling { Applied = state.Applied, LastPollTime = state.LastPollAt?.ToProto(), LastError = state.LastError };
        foreach (var (model, cursor) in state.Cursors)
        {
            proto.Cursors[model] = cursor.High;
        }

        proto.Rejections.AddRange(state.Rejections.Select(r => new Manufacturing.Integration.V1.InboundRejection
        {
            Model = r.Model, Id = r.Id, RecordName = r.Name, WriteDate = r.WriteDate, Reason = r.Reason, RejectTime = r.At.ToProto(),
        }));
        return proto;
    }

    public override async Task<ListDriftsResponse> ListDrifts(ListDriftsRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.OptionalText(request.Connector, "connector", 32);
        violations.OptionalText(request.AggregateType, "aggregate_type", 64);
        var (pageSize, after) = Lists.Paging(request.PageSize, request.PageToken, violations);
        long afterId = 0;
        if (after.Length > 0 && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out afterId))
        {
            violations.Add("page_token", "is not a token this service returned");
        }

        violations.ThrowIfInvalid(service.ErrorDomain);
        _ = Store;
        var filter = new DriftFilter(string.IsNullOrEmpty(request.Connector) ? null : request.Connector,
            string.IsNullOrEmpty(request.AggregateType) ? null : request.AggregateType, request.IncludeResolved);
        var rows = await runtime.ReconciliationStore!.DriftsAsync(filter, pageSize + 1, afterId, context.CancellationToken);
        var response = new ListDriftsResponse
        {
            NextPageToken = rows.Count > pageSize ? Lists.Token(rows[pageSize - 1].Id.ToString(CultureInfo.InvariantCulture)) : "",
        };
        response.Drifts.AddRange(rows.Take(pageSize).Select(d => new Manufacturing.Integration.V1.Drift
        {
            Name = "drifts/" + d.Id.ToString(CultureInfo.InvariantCulture),
            Connector = d.Connector,
            Resource = ResourceNames.FromKey(Collection(d.Drift.AggregateType), d.Drift.AggregateKey),
            Field = d.Drift.Field,
            Ours = d.Drift.Ours,
            Theirs = d.Drift.Theirs,
            ExternalRef = d.Drift.ExternalRef,
            FoundTime = d.FoundAt.ToProto(),
            LastSeenTime = d.LastSeenAt.ToProto(),
            ResolveTime = d.ResolvedAt?.ToProto(),
        }));
        return response;
    }

    private static Manufacturing.Integration.V1.ReconciliationRun ToProto(Manufacturing.Grains.ReconciliationRun run) => new()
    {
        StartTime = run.StartedAt.ToProto(),
        EndTime = run.FinishedAt.ToProto(),
        Checked = run.Checked,
        Found = run.Found,
        Opened = run.Opened,
        Resolved = run.Resolved,
        Error = run.Error,
    };

    // Without PostgreSQL there are no connectors and no dead letters: the calls say so instead of answering empty.
    private DeliveryStore Store => runtime.Store ?? throw new RpcException(new Status(StatusCode.FailedPrecondition,
        "The integration service runs without PostgreSQL (in-memory mode): it has no connectors, dead letters or reconciliation."));

    private static long Id(string name, string field, Violations violations)
    {
        if (name.StartsWith(DeadLetterPrefix, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(DeadLetterPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
        {
            return id;
        }

        violations.Add(field, "must be a dead letter's name, deadLetters/{id}");
        return 0;
    }

    private static DeadLetterFilter Filter(Manufacturing.Integration.V1.DeadLetterFilter? filter, string field, Violations violations)
    {
        filter ??= new Manufacturing.Integration.V1.DeadLetterFilter();
        violations.OptionalText(filter.Connector, $"{field}.connector", 32);
        violations.OptionalText(filter.Workflow, $"{field}.workflow", 64);
        violations.OptionalText(filter.ErrorContains, $"{field}.error_contains", 200);
        var after = filter.DeadAfterTime.ToDomain($"{field}.dead_after_time", violations, required: false);
        var before = filter.DeadBeforeTime.ToDomain($"{field}.dead_before_time", violations, required: false);
        return new DeadLetterFilter(
            string.IsNullOrEmpty(filter.Connector) ? null : filter.Connector,
            string.IsNullOrEmpty(filter.Workflow) ? null : filter.Workflow,
            string.IsNullOrEmpty(filter.ErrorContains) ? null : filter.ErrorContains,
            after, before);
    }

    private static DeadLetter ToProto(Delivery d)
    {
        var proto = new DeadLetter
        {
            Name = DeadLetterPrefix + d.Id.ToString(CultureInfo.InvariantCulture),
            Connector = d.Connector,
            Workflow = d.Workflow,
            EventId = d.Event.EventId,
            EventType = d.Event.EventType,
            Resource = ResourceNames.FromKey(Collection(d.Event.AggregateType), d.Event.AggregateKey),
            ResourceVersion = d.Event.AggregateVersion,
            OccurTime = d.Event.OccurredAt.ToProto(),
            EnqueueTime = d.EnqueuedAt.ToProto(),
            DeadTime = d.FinishedAt?.ToProto(),
        };
        proto.Data.Add(d.Event.Data);
        proto.Attempts.AddRange(d.Errors.Select(e => new DeliveryAttempt { Time = e.At.ToProto(), Error = e.Error, Transient = e.Transient }));
        return proto;
    }

    // production_order → productionOrders, lot → lots, …: the collection of a resource name.
    private static string Collection(string aggregateType)
    {
        var parts = aggregateType.Split('_');
        return string.Concat(parts.Select((p, i) => i == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..])) + "s";
    }
}
