using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Identity.History;
using PolicyTrail.Ingest.Clusters;

namespace PolicyTrail.Ingest.Tests;

/// <summary>The repository's example cluster as an identity history of one snapshot, and flows between its pods.</summary>
internal static class ExampleCluster
{
    public static ClusterHistory History { get; } = Build();

    public static FlowRecord Flow(IPAddress from, IPAddress to, int port, ReportedVerdict reported = ReportedVerdict.Allowed, long? srcIdentity = null) => new()
    {
        Time = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero), 9),
        Source = new SourceRef("hubble", "flows.jsonl", 1),
        Src = new FlowEndpoint { IP = from, Port = 40000, Identity = srcIdentity },
        Dst = new FlowEndpoint { IP = to, Port = port },
        Protocol = Protocol.Tcp,
        Reported = new ReportedOutcome { Verdict = reported },
    };

    private static ClusterHistory Build()
    {
        var history = ClusterHistory.Load([Path.Combine(Repo(), "examples", "cluster")], takenAt: new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));
        var snapshot = history.Snapshots[0];
        var builder = new ClusterTimelineBuilder();
        var changes = builder.ApplySnapshot(snapshot.UnixNanos, snapshot.Objects, "snapshot test");
        history.Build(builder, changes.Select((change, i) => ((long)i, change)));
        return history;
    }

    private static string Repo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "examples", "cluster")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("examples/cluster not found above " + AppContext.BaseDirectory);
    }
}
