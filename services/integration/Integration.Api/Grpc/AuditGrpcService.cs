using Grpc.Core;
using Manufacturing.Domain;
using Manufacturing.Governance.V1;
using Manufacturing.ServiceDefaults;
using Manufacturing.ServiceDefaults.Grpc;
using Manufacturing.ServiceDefaults.Security;

namespace Manufacturing.Integration.Api.Grpc;

/// <summary>Reads the audit trail (the caller interceptor has already required <c>sre</c> or the review scope).</summary>
internal sealed class AuditGrpcService(IAuditStore store, ServiceIdentity service) : AuditService.AuditServiceBase
{
    public override async Task<ListAuditRecordsResponse> ListAuditRecords(ListAuditRecordsRequest request, ServerCallContext context)
    {
        var violations = new Violations();
        violations.OptionalText(request.Resource, "resource", 256);
        violations.OptionalText(request.Identity, "identity", 128);
        var from = request.StartTime.ToDomain("start_time", violations, required: false);
        var to = request.EndTime.ToDomain("end_time", violations, required: false);
        if (from is not null && to is not null && to <= from)
        {
            violations.Add("end_time", "must be after start_time");
        }

        var (pageSize, after) = Lists.Paging(request.PageSize, request.PageToken, violations);
        long afterId = 0;
        if (after.Length > 0 && !long.TryParse(after, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out afterId))
        {
            violations.Add("page_token", "is not a token this service returned");
        }

        violations.ThrowIfInvalid(service.ErrorDomain);

        var (records, next) = await store.QueryAsync(new AuditQuery(
            string.IsNullOrEmpty(request.Resource) ? null : request.Resource,
            string.IsNullOrEmpty(request.Identity) ? null : request.Identity,
            from, to, pageSize, afterId), context.CancellationToken);
        var response = new ListAuditRecordsResponse
        {
            NextPageToken = next is { } id ? Lists.Token(id.ToString(System.Globalization.CultureInfo.InvariantCulture)) : "",
        };
        response.Records.AddRange(records.Select(r => new Manufacturing.Governance.V1.AuditRecord
        {
            RecordTime = r.RecordedAt.ToProto(),
            Component = r.Component,
            Identity = r.Identity,
            SourceSystem = r.SourceSystem,
            CorrelationId = r.CorrelationId,
            MessageId = r.MessageId,
            Resource = r.Resource,
            Rpc = r.Rpc,
            Outcome = r.Outcome,
            Status = r.Status,
            Reason = r.Reason,
        }));
        return response;
    }
}
