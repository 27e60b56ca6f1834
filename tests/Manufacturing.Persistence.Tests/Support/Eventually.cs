namespace Manufacturing.Persistence.Tests.Support;

internal static class Eventually
{
    /// <summary>
    /// Re-evaluates <paramref name="condition"/> until it holds, at most until <paramref name="timeout"/>
    /// has passed; then fails with <paramref name="what"/> and the last observation.
    /// </summary>
    public static async Task<T> WaitForAsync<T>(
        Func<Task<T>> probe,
        Func<T, bool> condition,
        TimeSpan timeout,
        string what,
        Func<T, string>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await probe();
            if (condition(value))
            {
                return value;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}; last seen: {describe?.Invoke(value) ?? value?.ToString()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }
}
