using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;

namespace PolicyTrail.Policy.Evaluation;

/// <summary>
/// Remembers decisions by (from, to, port, protocol): flow logs repeat the same connections, and a decision over a
/// fixed snapshot never changes. Bounded (cleared when full) and adaptive: over a window of lookups that almost
/// never hit, remembering costs more than it saves (every entry outlives a garbage collection), so it stands aside
/// for a while and then tries again. Not thread-safe; use one per thread.
/// </summary>
public sealed class DecisionCache(PolicyEngine engine, int capacity = 1 << 16)
{
    private const int Window = 1 << 14;
    private const int BypassWindows = 16;

    private readonly Dictionary<(string From, string To, PortRef Port, Protocol Protocol), Decision> _decisions = [];
    private int _lookups;
    private int _windowHits;
    private int _bypassLeft;

    /// <summary>Decisions answered from the cache.</summary>
    public long Hits { get; private set; }

    /// <summary>Decisions computed by the engine.</summary>
    public long Misses { get; private set; }

    /// <summary>Same as <see cref="PolicyEngine.Explain(string, string, PortRef, Protocol)"/>, remembered.</summary>
    public Decision Explain(string from, string to, PortRef port, Protocol protocol = Protocol.Tcp)
    {
        if (++_lookups == Window)
        {
            EndWindow();
        }
        if (_bypassLeft > 0)
        {
            Misses++;
            return engine.Explain(from, to, port, protocol);
        }
        var key = (from, to, port, protocol);
        if (_decisions.TryGetValue(key, out var decision))
        {
            Hits++;
            _windowHits++;
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

    private void EndWindow()
    {
        if (_bypassLeft > 0)
        {
            _bypassLeft--;
        }
        else if (_windowHits < Window / 8)
        {
            _decisions.Clear();
            _bypassLeft = BypassWindows;
        }
        _lookups = 0;
        _windowHits = 0;
    }
}
