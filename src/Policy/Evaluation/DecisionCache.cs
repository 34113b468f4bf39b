using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;

namespace PolicyTrail.Policy.Evaluation;

/// <summary>
/// Remembers decisions by (from, to, port, protocol): flow logs repeat the same connections, and a decision over a
/// fixed snapshot never changes. Bounded: cleared when full. Not thread-safe; use one per thread.
/// </summary>
public sealed class DecisionCache(PolicyEngine engine, int capacity = 1 << 20)
{
    private readonly Dictionary<(string From, string To, PortRef Port, Protocol Protocol), Decision> _decisions = [];

    /// <summary>Decisions answered from the cache.</summary>
    public long Hits { get; private set; }

    /// <summary>Decisions computed by the engine.</summary>
    public long Misses { get; private set; }

    /// <summary>Same as <see cref="PolicyEngine.Explain(string, string, PortRef, Protocol)"/>, remembered.</summary>
    public Decision Explain(string from, string to, PortRef port, Protocol protocol = Protocol.Tcp)
    {
        var key = (from, to, port, protocol);
        if (_decisions.TryGetValue(key, out var decision))
        {
            Hits++;
            return decision;
        }
        Misses++;
        decision = engine.Explain(from, to, port, protocol);
        if (_decisions.Count >= capacity)
        {
            _decisions.Clear();
        }
        _decisions[key] = decision;
        return decision;
    }
}
