using System.Net;
using System.Net.Sockets;

namespace Manufacturing.Persistence.Tests.Support;

internal static class FreePorts
{
    /// <summary>A loopback port the OS reports free right now (bind to 0, read it back, release).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
