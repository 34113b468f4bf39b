using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Demo.Scenario;
using PolicyTrail.Identity.Snapshots;
using PolicyTrail.Policy.Evaluation;

namespace PolicyTrail.Demo.Traffic;

/// <summary>One end of a demo connection: a pod, or an address outside the cluster.</summary>
internal sealed record FlowEnd(DemoPod? Pod, string IP)
{
    /// <summary>The node the end runs on, when it is a pod.</summary>
    public string? Node => Pod?.Node;
}

/// <summary>
/// One connection attempt of the demo day, with what the enforcing CNI decided. The CNI enforces the policies in force
/// (so its verdict is the policies' verdict), except on the few flows <see cref="Conversation.MisreportedAllowed"/> marks.
/// </summary>
internal sealed record DemoFlow(DateTimeOffset Time, FlowEnd Src, FlowEnd Dst, int SrcPort, int DstPort, Protocol Protocol, Decision Decision, bool ReportedAllowed)
{
    /// <summary>Whether the denying side was the source's egress (else the destination's ingress).</summary>
    public bool DeniedOnEgress => !ReportedAllowed && Decision.Egress.Verdict == Verdict.Deny;

    /// <summary>The node whose CNI logged the flow: the enforcing side's.</summary>
    public string? Reporter => DeniedOnEgress || Dst.Pod is null ? Src.Node : Dst.Node;
}

/// <summary>Who talks to whom in the demo shop, how often and when.</summary>
/// <param name="From">The source workload (namespace/name), or null for clients on the internet.</param>
/// <param name="To">The destination workload (namespace/name), or null for <paramref name="External"/>.</param>
/// <param name="Port">The destination's container port name, or a number.</param>
/// <param name="PerHour">Connections an hour at the daily average.</param>
/// <param name="Hours">The hours of the day [from, to) it happens in.</param>
/// <param name="Diurnal">Whether it follows the shop's day (busy afternoons, quiet nights).</param>
/// <param name="External">The outside address for egress to the internet.</param>
/// <param name="MisreportedAllowed">The CNI reports these allowed whatever the policies say (the disagreement to find).</param>
/// <param name="Protocol">TCP or UDP.</param>
internal sealed record Conversation(string? From, string? To, string Port, double PerHour, (int From, int To) Hours, bool Diurnal = false,
    string? External = null, bool MisreportedAllowed = false, Protocol Protocol = Protocol.Tcp);

/// <summary>Generates the demo day's connection attempts, deterministic by seed, each decided by the policies in force.</summary>
internal static class DayOfTraffic
{
    /// <summary>The conversations of the day.</summary>
    public static readonly Conversation[] Conversations =
    [
        new(null, "frontend/web", "http", 900, (0, 24), Diurnal: true),
        new("frontend/web", "checkout/checkout-api", "http", 260, (0, 24), Diurnal: true),
        new("frontend/web", "catalog/catalog-api", "http", 700, (0, 24), Diurnal: true),
        new("frontend/web", "identity/auth", "http", 240, (0, 24), Diurnal: true),
        new("checkout/checkout-api", "payments/payments-api", "https", 140, (0, 24), Diurnal: true),
        new("checkout/checkout-api", "catalog/catalog-api", "http", 120, (0, 24), Diurnal: true),
        new("checkout/checkout-api", "identity/auth", "http", 90, (0, 24), Diurnal: true),
        new("payments/payments-api", "data/postgres", "postgres", 160, (0, 24), Diurnal: true),
        new("payments/payments-api", "payments/fraud-scorer", "grpc", 120, (0, 24), Diurnal: true),
        new("payments/payments-api", "identity/auth", "http", 40, (0, 24)),
        new("catalog/catalog-api", "data/redis", "redis", 600, (0, 24), Diurnal: true),
        // fraud-scorer needed the database before the policy admitted it (denied until the 09:xx change).
        new("payments/fraud-scorer", "data/postgres", "postgres", 30, (0, 9)),
        new("payments/fraud-scorer", "data/postgres", "postgres", 60, (10, 24)),
        new("payments/payments-api", "kube-system/coredns", "dns", 120, (0, 24), Protocol: Protocol.Udp),
        new("payments/fraud-scorer", "kube-system/coredns", "dns", 40, (0, 24), Protocol: Protocol.Udp),
        new("frontend/web", "kube-system/coredns", "dns", 160, (0, 24), Protocol: Protocol.Udp),
        new("catalog/catalog-api", "kube-system/coredns", "dns", 90, (0, 24), Protocol: Protocol.Udp),
        new("logging/fluent-bit", "logging/loki", "http", 120, (0, 24)),
        new("monitoring/prometheus", "*", "metrics", 4, (0, 24)),
        // Denied across namespaces: a frontend release calling payments directly, catalog probing payments,
        // prometheus trying the database port, and a debug pod in sandbox scanning the data tier.
        new("frontend/web", "payments/payments-api", "https", 24, (13, 15)),
        new("catalog/catalog-api", "payments/payments-api", "https", 3, (0, 24)),
        new("monitoring/prometheus", "data/postgres", "postgres", 4, (0, 24)),
        new("sandbox/debug-shell", "data/redis", "redis", 40, (10, 13)),
        new("sandbox/debug-shell", "data/postgres", "postgres", 30, (10, 13)),
        new("sandbox/debug-shell", "payments/payments-api", "https", 20, (11, 12)),
        // Egress from payments to an address outside the cluster: refused by payments' default deny.
        new("payments/payments-api", null, "443", 12, (2, 4), External: "198.51.100.23"),
        // One node's CNI let frontend reach the database for twenty minutes: the policies say no.
        new("frontend/web", "data/postgres", "postgres", 60, (14, 15), MisreportedAllowed: true),
    ];

    /// <summary>The day's flows in time order.</summary>
    public static IReadOnlyList<DemoFlow> Generate(ClusterState first, ClusterState second, string firstFolder, string secondFolder, int seed)
    {
        var engines = new[] { Engine(firstFolder), Engine(secondFolder) };
        var random = new Random(seed);
        var flows = new List<DemoFlow>();
        var stable = first.Pods.Select(p => p.Name).Intersect(second.Pods.Select(p => p.Name), StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);
        foreach (var conversation in Conversations)
        {
            for (var hour = conversation.Hours.From; hour < conversation.Hours.To; hour++)
            {
                var expected = conversation.PerHour * (conversation.Diurnal ? Diurnal(hour) : 1.0);
                var count = (int)Math.Floor(expected) + (random.NextDouble() < expected - Math.Floor(expected) ? 1 : 0);
                for (var i = 0; i < count; i++)
                {
                    var time = DemoCluster.Day.AddHours(hour).AddTicks((long)(random.NextDouble() * TimeSpan.TicksPerHour));
                    if (conversation.MisreportedAllowed && time.Minute >= 20)
                    {
                        continue;
                    }
                    // Before the first snapshot the cluster is as it shows; after the second, as that one shows. In
                    // between only pods in both are used: which of the others still ran is what neither snapshot says.
                    var state = time < DemoCluster.SecondSnapshotAt ? first : second;
                    Func<DemoPod, bool> usable = time >= DemoCluster.FirstSnapshotAt && time < DemoCluster.SecondSnapshotAt
                        ? p => stable.Contains(p.Name)
                        : _ => true;
                    if (Flow(conversation, state, usable, time, random, engines[state == first ? 0 : 1]) is { } flow)
                    {
                        flows.Add(flow);
                    }
                }
            }
        }
        flows.Sort((a, b) => a.Time.CompareTo(b.Time));
        return flows;
    }

    // Busy afternoons, quiet nights: 0.3 at 03:00 to 1.7 at 15:00.
    private static double Diurnal(int hour) => 1.0 - 0.7 * Math.Cos((hour - 3) / 24.0 * 2 * Math.PI);

    private static DemoFlow? Flow(Conversation c, ClusterState state, Func<DemoPod, bool> usable, DateTimeOffset time, Random random, PolicyEngine engine)
    {
        var src = c.From is null ? new FlowEnd(null, InternetClient(random)) : PickPod(state, c.From, usable, random);
        FlowEnd? dst;
        if (c.To == "*")
        {
            var scraped = state.Pods.Where(p => usable(p) && p.Workload.Ports.Any(port => port.Name == "metrics")).ToList();
            var pod = scraped[random.Next(scraped.Count)];
            dst = new FlowEnd(pod, pod.IP);
        }
        else
        {
            dst = c.To is null ? new FlowEnd(null, c.External!) : PickPod(state, c.To, usable, random);
        }
        if (src is null || dst is null)
        {
            return null;
        }
        var port = dst.Pod is null ? int.Parse(c.Port, System.Globalization.CultureInfo.InvariantCulture) : dst.Pod.Port(c.Port).Port;
        var decision = engine.Explain(IPAddress.Parse(src.IP), IPAddress.Parse(dst.IP), port, c.Protocol);
        var srcPort = 32768 + random.Next(28232);
        return new DemoFlow(time, src, dst, srcPort, port, c.Protocol, decision, c.MisreportedAllowed || decision.Verdict == Verdict.Allow);
    }

    private static FlowEnd? PickPod(ClusterState state, string workload, Func<DemoPod, bool> usable, Random random)
    {
        var slash = workload.IndexOf('/', StringComparison.Ordinal);
        var pods = state.PodsOf(workload[..slash], workload[(slash + 1)..]).Where(usable).ToList();
        if (pods.Count == 0)
        {
            return null;
        }
        var pod = pods[random.Next(pods.Count)];
        return new FlowEnd(pod, pod.IP);
    }

    // Clients from two documentation ranges (RFC 5737), a few hundred distinct addresses.
    private static string InternetClient(Random random) =>
        random.Next(2) == 0 ? $"203.0.113.{1 + random.Next(254)}" : $"198.51.100.{100 + random.Next(20)}";

    private static PolicyEngine Engine(string folder)
    {
        var read = KubectlOutputReader.Read([folder]);
        return PolicyEngine.Create(read.Snapshot);
    }
}
