using Manufacturing.Domain;
using Manufacturing.Inventory.Domain;
using Manufacturing.UnitTests.Support;

namespace Manufacturing.UnitTests.Inventory;

/// <summary>
/// Invariants over random command sequences (seeded, so a failure reproduces): a lot never holds a
/// negative or zero quantity line, and a repeated message id never changes state.
/// </summary>
public sealed class LotPropertyTests
{
    private static readonly string[] Locations = ["RECV-01", "STORE-02", "QUAR-01"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_sequences_never_make_stock_negative_and_repeats_never_change_state(int seed)
    {
        var random = new Random(seed);
        var state = CommandHandler.Decide(new AggregateState<Lot>(), Commands.Receive(), (c, cmd) => LotRules.Receive("P100/LOT-P", c, cmd)).NextState!;
        for (var step = 0; step < 400; step++)
        {
            var (command, rule) = RandomCommand(random, step);
            var decision = CommandHandler.Decide(state, command, rule);
            state = decision.NextState ?? state;

            var lot = state.Current!;
            Assert.All(lot.Stock, s => Assert.True(s.Quantity.Value > 0, $"seed {seed} step {step}: {s.Location} holds {s.Quantity}"));
            Assert.True(lot.QuantityOnHand.Value >= 0);
            Assert.Equal(lot.Stock.Select(s => s.Location).Distinct().Count(), lot.Stock.Length);

            var repeat = CommandHandler.Decide(state, command, rule);
            if (decision.NextState is not null)
            {
                Assert.Null(repeat.NextState);
                Assert.True(repeat.Result.Duplicate);
            }
        }
    }

    private static (ICommand, Func<Lot?, ICommand, Transition<Lot>>) RandomCommand(Random random, int step)
    {
        var id = $"m-{step}";
        var amount = new Quantity(Math.Round((decimal)random.NextDouble() * 400m, 3), "KG");
        var location = Locations[random.Next(Locations.Length)];
        ICommand command = random.Next(6) switch
        {
            0 => new ConsumeLot { Metadata = Commands.Meta(id, SourceSystem.Mes), Quantity = amount, Location = random.Next(2) == 0 ? "" : location, ProductionOrder = "P100/WO-1" },
            1 => new TransferLot { Metadata = Commands.Meta(id, SourceSystem.Warehouse), From = location, To = Locations[random.Next(Locations.Length)], Quantity = amount },
            2 => new AdjustLot { Metadata = Commands.Meta(id, SourceSystem.Warehouse), Location = location, Counted = amount, Reason = "count" },
            3 => new BlockLot { Metadata = Commands.Meta(id, SourceSystem.Quality), Reason = "hold" },
            4 => new DecideLotQuality { Metadata = Commands.Meta(id, SourceSystem.Quality), Decision = (QualityDecision)random.Next(1, 5), Reason = "decision" },
            _ => new ProduceLot { Metadata = Commands.Meta(id, SourceSystem.Mes), Material = "STEEL-S235", Quantity = amount, Location = location, ProductionOrder = "P100/WO-1" },
        };
        return (command, (lot, c) => c switch
        {
            ConsumeLot x => LotRules.Consume("P100/LOT-P", lot, x),
            TransferLot x => LotRules.Transfer("P100/LOT-P", lot, x),
            AdjustLot x => LotRules.Adjust("P100/LOT-P", lot, x),
            BlockLot x => LotRules.Block("P100/LOT-P", lot, x),
            DecideLotQuality x => LotRules.DecideQuality("P100/LOT-P", lot, x),
            ProduceLot x => LotRules.Produce("P100/LOT-P", lot, x),
            _ => throw new InvalidOperationException(),
        });
    }
}
