using System.Net;
using Grpc.Core;
using Manufacturing.ShopFloor.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Manufacturing.LoadTest;

/// <summary>
/// The ceiling of the transport: an in-process gRPC server on a loopback port that answers the same
/// stream, message for message, with an ACCEPTED acknowledgement per event and stores nothing. The
/// ingestion benchmark measures it side by side with the real targets (<c>--transport-ceiling</c>):
/// the same client, the same messages, HTTP/2 and protobuf both ways, without the cluster or
/// PostgreSQL.
/// </summary>
internal static class TransportCeiling
{
    public static async Task<(IAsyncDisposable Server, Uri Address)> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        var app = builder.Build();
        app.MapGrpcService<EchoShopFloor>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address));
    }

    /// <summary>Releases as if stored, and acknowledges every streamed event as accepted, storing nothing.</summary>
    private sealed class EchoShopFloor : ShopFloorService.ShopFloorServiceBase
    {
        public override Task<ReleaseProductionOrderResponse> ReleaseProductionOrder(ReleaseProductionOrderRequest request, ServerCallContext context) =>
            Task.FromResult(new ReleaseProductionOrderResponse
            {
                ProductionOrder = new ProductionOrder { Name = $"{request.Parent}/productionOrders/{request.ProductionOrderId}", Version = 1 },
            });

        public override async Task StreamPlantEvents(IAsyncStreamReader<StreamPlantEventsRequest> requestStream, IServerStreamWriter<StreamPlantEventsResponse> responseStream, ServerCallContext context)
        {
            await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
            {
                var response = new StreamPlantEventsResponse();
                foreach (var plantEvent in message.Events)
                {
                    response.Acks.Add(new PlantEventAck { Source = message.Source, Sequence = plantEvent.Sequence, Status = PlantEventStatus.Accepted, Version = 1 });
                }

                await responseStream.WriteAsync(response, context.CancellationToken);
            }
        }
    }
}
