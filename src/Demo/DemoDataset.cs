using PolicyTrail.Core;
using PolicyTrail.Demo.Formats;
using PolicyTrail.Demo.Scenario;
using PolicyTrail.Demo.Traffic;

namespace PolicyTrail.Demo;

/// <summary>What <see cref="DemoDataset.Write"/> wrote.</summary>
/// <param name="Snapshots">The two snapshot folders with the time each was taken.</param>
/// <param name="FlowFiles">The flow logs, one per node, each in its CNI's format: (path, format, records).</param>
/// <param name="Flows">Connection attempts generated (before the aggregation of the Calico log).</param>
/// <param name="Denied">How many of them the policies refuse.</param>
/// <param name="Misreported">How many the CNI reported allowed although the policies refuse them.</param>
internal sealed record DemoFiles(IReadOnlyList<(string Folder, DateTimeOffset TakenAt)> Snapshots, IReadOnlyList<(string Path, string Format, int Records)> FlowFiles,
    int Flows, int Denied, int Misreported);

/// <summary>
/// The bundled example behind <c>policytrail demo</c>: the shop cluster's two snapshots and a day of its flows as three
/// CNIs log them (node-a Cilium/Hubble JSON, node-b Calico flow logs, node-c Antrea np.log). Deterministic by seed.
/// </summary>
internal static class DemoDataset
{
    /// <summary>The seed the demo uses.</summary>
    public const int DefaultSeed = 20261126;

    /// <summary>Writes the example into <paramref name="folder"/> (cluster/first, cluster/second, flows/).</summary>
    public static DemoFiles Write(string folder, int seed = DefaultSeed)
    {
        var (first, second) = DemoCluster.Build();
        var firstFolder = Path.Combine(folder, "cluster", "0900-first");
        var secondFolder = Path.Combine(folder, "cluster", "1000-second");
        first.WriteTo(firstFolder);
        second.WriteTo(secondFolder);
        var flows = DayOfTraffic.Generate(first, second, firstFolder, secondFolder, seed);

        var flowFolder = Path.Combine(folder, "flows");
        Directory.CreateDirectory(flowFolder);
        var hubble = Path.Combine(flowFolder, "node-a-hubble.jsonl");
        var calico = Path.Combine(flowFolder, "node-b-calico-flows.jsonl");
        var antrea = Path.Combine(flowFolder, "node-c-antrea-np.log");
        var files = new List<(string, string, int)>
        {
            (hubble, "hubble", HubbleJsonWriter.Write(hubble, "node-a", flows.Where(f => f.Reporter == "node-a"), DemoCluster.Day.AddHours(16).AddMinutes(42))),
            (calico, "calico", CalicoFlowLogWriter.Write(calico, "node-b", flows.Where(f => f.Reporter == "node-b"))),
            (antrea, "antrea-np", AntreaNpLogWriter.Write(antrea, flows.Where(f => f.Reporter == "node-c"))),
        };
        return new DemoFiles([(firstFolder, first.TakenAt), (secondFolder, second.TakenAt)], files, flows.Count,
            flows.Count(f => f.Decision.Verdict == Verdict.Deny), flows.Count(f => f.ReportedAllowed && f.Decision.Verdict == Verdict.Deny));
    }
}
