namespace PolicyTrail.Identity.Watch;

/// <summary>Exponential backoff with jitter: delay n is uniform in [d/2, d], d = min(max, initial * 2^n).</summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan max)
{
    private int _failures;

    /// <summary>The delay before the next attempt; each call counts one more failure in a row.</summary>
    public TimeSpan Next()
    {
        var exponent = Math.Min(_failures, 30);
        _failures++;
        var ceiling = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    /// <summary>Forgets past failures (after the server delivered something).</summary>
    public void Reset() => _failures = 0;
}
