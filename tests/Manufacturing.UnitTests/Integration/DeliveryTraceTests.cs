using System.Diagnostics;
using Manufacturing.Integration.Domain;
using Manufacturing.Integration.Grains;

namespace Manufacturing.UnitTests.Integration;

/// <summary>A delivery's span links to the trace of the command that caused the event.</summary>
public sealed class DeliveryTraceTests
{
    private static IntegrationEvent Event(string traceParent) => new()
    {
        EventId = "production_order/P100/WO-1/7/0", EventType = "OperationCompleted", AggregateType = "production_order",
        AggregateKey = "P100/WO-1", Plant = "P100", TraceParent = traceParent,
    };

    [Fact]
    public void The_delivery_span_links_to_the_originating_command_and_an_untraced_event_has_no_link()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == IntegrationTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        using var traced = IntegrationTelemetry.StartDelivery(Event("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), "odoo-main");
        var link = Assert.Single(traced!.Links);
        Assert.Equal(("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"), (link.Context.TraceId.ToHexString(), link.Context.SpanId.ToHexString()));
        Assert.NotEqual(link.Context.TraceId, traced.TraceId);
        Assert.Equal("deliver OperationCompleted to odoo-main", traced.DisplayName);
        traced.Stop();

        using var untraced = IntegrationTelemetry.StartDelivery(Event(""), "odoo-main");
        Assert.Empty(untraced!.Links);
        using var garbled = IntegrationTelemetry.StartDelivery(Event("not-a-traceparent"), "odoo-main");
        Assert.Empty(garbled!.Links);
    }
}
