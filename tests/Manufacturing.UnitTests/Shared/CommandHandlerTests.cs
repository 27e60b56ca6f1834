using Manufacturing.Domain;
using Manufacturing.ShopFloor.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.Shared;

public sealed class CommandHandlerTests
{
    private static readonly AggregateState<ProductionOrder> Empty = new();

    private static Decision<ProductionOrder> Release(AggregateState<ProductionOrder> state, ReleaseProductionOrder command) =>
        CommandHandler.Decide(state, command, (current, c) => ProductionOrderRules.Release("P100/WO-1", current, c));

    [Fact]
    public void Applied_command_produces_version_1_and_remembers_its_message_id()
    {
        var decision = Release(Empty, Commands.Release());

        Assert.NotNull(decision.NextState);
        Assert.Equal(1, decision.Result.Version);
        Assert.False(decision.Result.Duplicate);
        Assert.Equal(1, decision.NextState!.Current!.Version);
        Assert.Equal("m-1", Assert.Single(decision.NextState.Processed.Entries).MessageId);
    }

    [Fact]
    public void Repeat_with_the_same_payload_is_a_duplicate_that_changes_nothing()
    {
        var state = Release(Empty, Commands.Release()).NextState!;

        var repeat = Release(state, Commands.Release());

        Assert.Null(repeat.NextState);
        Assert.True(repeat.Result.Duplicate);
        Assert.Equal(1, repeat.Result.Version);
        Assert.Same(state.Current, repeat.Result.Resource);
    }

    [Fact]
    public void Same_message_id_with_another_payload_is_refused_as_reused()
    {
        var state = Release(Empty, Commands.Release()).NextState!;

        var reused = Release(state, Commands.Release(quantity: 30));

        Assert.Null(reused.NextState);
        Assert.Equal(DomainErrorCode.MessageIdReused, reused.Result.Error!.Code);
    }

    [Fact]
    public void Equal_payloads_with_differently_scaled_decimals_fingerprint_equal()
    {
        Assert.Equal(CommandFingerprint.Of(Commands.Release(quantity: 25m)), CommandFingerprint.Of(Commands.Release(quantity: 25.000m)));
        Assert.NotEqual(CommandFingerprint.Of(Commands.Release(quantity: 25m)), CommandFingerprint.Of(Commands.Release(quantity: 26m)));
    }

    [Fact]
    public void Refused_command_is_not_remembered()
    {
        var invalid = Commands.Release() with { Product = "" };

        var decision = Release(Empty, invalid);

        Assert.Null(decision.NextState);
        Assert.Equal(DomainErrorCode.InvalidArgument, decision.Result.Error!.Code);
    }

    [Fact]
    public void The_ledger_keeps_the_most_recent_message_ids_up_to_its_capacity()
    {
        var ledger = ProcessedCommands.Empty;
        for (var i = 0; i <= ProcessedCommands.Capacity; i++)
        {
            ledger = ledger.Remember(new ProcessedCommand($"m-{i}", "f", i + 1));
        }

        Assert.Equal(ProcessedCommands.Capacity, ledger.Entries.Length);
        Assert.Null(ledger.Find("m-0"));
        Assert.NotNull(ledger.Find("m-1"));
        Assert.NotNull(ledger.Find($"m-{ProcessedCommands.Capacity}"));
    }
}
