using System.Data.Common;
using System.Net.Sockets;
using Manufacturing.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Runtime;
using Orleans.Serialization;

namespace Manufacturing.UnitTests.Shared;

/// <summary>
/// A storage failure on one silo reaches the caller on another as a <see cref="DbException"/>, which the
/// gRPC layer answers with UNAVAILABLE; before, the answer could not be serialized (INTERNAL).
/// </summary>
public sealed class StorageExceptionSerializationTests
{
    private static Serializer Serializer(bool storageExceptions)
    {
        var services = new ServiceCollection().AddSerializer();
        if (storageExceptions)
        {
            services.AddStorageExceptionSerialization();
        }

        return services.BuildServiceProvider().GetRequiredService<Serializer>();
    }

    /// <summary>As Orleans' ADO.NET storage provider wraps a failed read.</summary>
    private static OrleansException StorageFailure(Exception cause) =>
        new("Error from storage provider AdoNetGrainStorage.productionOrder during ReadStateAsync", cause);

    [Fact]
    public void A_connection_failure_crosses_as_an_npgsql_exception_with_its_message_and_cause()
    {
        var serializer = Serializer(storageExceptions: true);
        var sent = StorageFailure(new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)));

        var received = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(sent))!;

        var storage = Assert.IsType<NpgsqlException>(received.InnerException);
        Assert.Equal("Failed to connect to 127.0.0.1:5432", storage.Message);
        Assert.IsType<SocketException>(storage.InnerException);
    }

    [Fact]
    public void A_server_error_crosses_as_a_db_exception_with_its_sql_state()
    {
        var serializer = Serializer(storageExceptions: true);
        var sent = StorageFailure(new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"));

        var received = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(sent))!;

        var storage = Assert.IsAssignableFrom<DbException>(received.InnerException);
        Assert.Contains("terminating connection", storage.Message, StringComparison.Ordinal);
        Assert.Equal("57P01", storage.Data[nameof(PostgresException.SqlState)]);
    }

    [Fact]
    public void Without_it_orleans_cannot_serialize_the_failure()
    {
        var serializer = Serializer(storageExceptions: false);
        var sent = StorageFailure(new NpgsqlException("Failed to connect"));

        Assert.Throws<CodecNotFoundException>(() => serializer.SerializeToArray<Exception>(sent));
    }
}
