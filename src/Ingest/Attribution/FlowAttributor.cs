using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Core.Flows;
using PolicyTrail.Ingest.Clusters;

namespace PolicyTrail.Ingest.Attribution;

/// <summary>How PolicyTrail's verdict compares with the CNI's own.</summary>
public enum Agreement
{
    /// <summary>The CNI said nothing PolicyTrail can compare (no verdict, or an error).</summary>
    NotReported,
    /// <summary>Both say allowed, or both say denied (an audit verdict counts as denied).</summary>
    Agree,
    /// <summary>One says allowed, the other denied.</summary>
    Disagree,
    /// <summary>The CNI gave a verdict but PolicyTrail could not decide (an endpoint is unknown).</summary>
    Undecided,
}

/// <summary>
/// A flow's decision, the direction it was evaluated in, and how it compares with the CNI's verdict. One object serves
/// every flow of the same address pair, port, direction and reported verdict in a stretch of unchanged history.
/// </summary>
public sealed class FlowAttribution(Decision? decision, bool evaluatedAsReply, Agreement agreement, string? error, ClusterEpoch? cluster)
{
    /// <summary>PolicyTrail's decision (null when it could not evaluate the flow).</summary>
    public Decision? Decision { get; } = decision;
    /// <summary>Whether the flow was judged as the reply of the connection it answers.</summary>
    public bool EvaluatedAsReply { get; } = evaluatedAsReply;
    /// <summary>How the CNI's verdict compares with PolicyTrail's.</summary>
    public Agreement Agreement { get; } = agreement;
    /// <summary>Why the flow could not be evaluated, when it could not.</summary>
    public string? Error { get; } = error;
    /// <summary>The stretch of history the flow was decided against.</summary>
    public ClusterEpoch? Cluster { get; } = cluster;

    /// <summary>The verdict, allow / deny / unknown.</summary>
    public Verdict Verdict { get; } = decision?.Verdict ?? Verdict.Unknown;

    /// <summary>What the entry builder made of this attribution last time (its thread only), kept in this object itself.</summary>
    internal Entries.EntryBuilder.FlowEntryParts EntryParts;
}

/// <summary>
/// Decides each flow against the cluster as the identity history says it was at the flow's time: source egress and
/// destination ingress by the policy engine; a reply is judged as the connection it answers (replies of allowed
/// connections are allowed). Decisions are remembered per stretch of unchanged history and address pair, in two
/// generations: when the newer fills up it becomes the older and the older is dropped, and a decision found in the older
/// moves to the newer. So the pairs in use survive the turnover, which a single table cleared when full would lose all at
/// once. Not thread-safe; one per thread.
/// </summary>
public sealed class FlowAttributor(ClusterHistory history, int generationCapacity = FlowAttributor.DefaultGenerationCapacity)
{
    /// <summary>Decisions each generation holds: with two, up to 2^18 pairs (a full generation's table is 12.5 MB: `dotnet-gcdump`).</summary>
    public const int DefaultGenerationCapacity = 1 << 17;

    private Dictionary<(ClusterEpoch, UInt128, UInt128, int, Protocol, bool), Decided> _newer = [];
    private Dictionary<(ClusterEpoch, UInt128, UInt128, int, Protocol, bool), Decided> _older = [];

    /// <summary>Decisions answered from memory.</summary>
    public long Hits { get; private set; }

    /// <summary>Decisions computed.</summary>
    public long Misses { get; private set; }

    /// <summary>Decides one flow.</summary>
    public FlowAttribution Attribute(FlowRecord flow)
    {
        var cluster = history.At(flow.Time.UnixNanos);
        if (cluster is null)
        {
            return new FlowAttribution(null, false, Compare(flow.Reported.Verdict, null), "no cluster history: give a snapshot (--cluster) or record one (snapshot import, watch)", null);
        }
        var reply = flow.IsReply == true;
        var (from, to, port) = reply ? (flow.Dst.IP, flow.Src.IP, flow.Src.Port) : (flow.Src.IP, flow.Dst.IP, flow.Dst.Port);
        if (from is null || to is null)
        {
            return new FlowAttribution(null, reply, Compare(flow.Reported.Verdict, null), "the source did not give both addresses", cluster);
        }
        var protocol = flow.Protocol;
        var number = protocol is Protocol.Tcp or Protocol.Udp or Protocol.Sctp ? port ?? 0 : 0;
        var key = (cluster, Key(from), Key(to), number, protocol, from.AddressFamily == to.AddressFamily && from.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        var slot = (reply ? Decided.Verdicts : 0) + (int)flow.Reported.Verdict;
        ref var decided = ref CollectionsMarshal.GetValueRefOrNullRef(_newer, key);
        if (!Unsafe.IsNullRef(ref decided))
        {
            Hits++;
            // Most flows of a pair share direction and reported verdict with the one before: no object is read for them.
            if (decided.LastSlot == slot)
            {
                return decided.Last!;
            }
        }
        else
        {
            Decided found;
            if (_older.Remove(key, out var older))
            {
                Hits++;
                found = older;
            }
            else
            {
                Misses++;
                found = new Decided(cluster.Engine.Explain(from, to, number, protocol));
            }
            if (_newer.Count >= generationCapacity)
            {
                (_older, _newer) = (_newer, _older);
                _newer.Clear();
            }
            _newer[key] = found;
            decided = ref CollectionsMarshal.GetValueRefOrNullRef(_newer, key);
        }
        // The pair's flows share their attribution per direction and reported verdict.
        var decision = decided.Decision;
        var attribution = decided.Others?[slot] ?? (decided.LastSlot == slot ? decided.Last : null);
        if (attribution is null)
        {
            attribution = new FlowAttribution(decision, reply, Compare(flow.Reported.Verdict, decision.Verdict), decision.Error, cluster);
            if (decided.Last is { } last)
            {
                decided.Others ??= new FlowAttribution?[2 * Decided.Verdicts];
                decided.Others[decided.LastSlot] = last;
                decided.Others[slot] = attribution;
            }
        }
        decided.Last = attribution;
        decided.LastSlot = slot;
        return attribution;
    }

    /// <summary>The agreement of a reported verdict with PolicyTrail's (null when there is no decision).</summary>
    public static Agreement Compare(ReportedVerdict reported, Verdict? decided) => reported switch
    {
        ReportedVerdict.Unknown or ReportedVerdict.Error => Agreement.NotReported,
        _ when decided is null or Verdict.Unknown => Agreement.Undecided,
        ReportedVerdict.Allowed => decided == Verdict.Allow ? Agreement.Agree : Agreement.Disagree,
        _ => decided == Verdict.Deny ? Agreement.Agree : Agreement.Disagree,
    };

    // Kept in the table itself: a hit reads no other object. Others holds every attribution made once a second one is.
    private struct Decided(Decision decision)
    {
        public const int Verdicts = (int)ReportedVerdict.Error + 1;

        public readonly Decision Decision = decision;
        public FlowAttribution? Last;
        public int LastSlot = -1;
        public FlowAttribution?[]? Others;
    }

    private static UInt128 Key(IPAddress ip)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!ip.TryWriteBytes(bytes, out var written))
        {
            return 0;
        }
        UInt128 value = 0;
        for (var i = 0; i < written; i++)
        {
            value |= (UInt128)bytes[i] << (8 * i);
        }
        return value;
    }
}

/// <summary>Contract spellings.</summary>
public static class AgreementNames
{
    /// <summary>agree, disagree, not-reported, undecided.</summary>
    public static string ToName(this Agreement agreement) => agreement switch
    {
        Agreement.Agree => "agree",
        Agreement.Disagree => "disagree",
        Agreement.Undecided => "undecided",
        _ => "not-reported",
    };
}
