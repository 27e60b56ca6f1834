using System.Net;
using System.Net.Sockets;

namespace Manufacturing.IntegrationTests.Support;

/// <summary>Free loopback ports, reserved for the life of the test run so that two fixtures never get the same one.</summary>
public static class Ports
{
    private static readonly HashSet<int> Handed = [];

    /// <summary>A port nothing listens on now and that this process has not handed out before.</summary>
    public static int Next()
    {
        lock (Handed)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
