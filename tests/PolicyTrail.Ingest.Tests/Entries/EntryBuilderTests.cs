using System.Text;
using PolicyTrail.Core.Flows;
using PolicyTrail.Ingest.Attribution;
using PolicyTrail.Ingest.Entries;
using PolicyTrail.Ledger.Entries;

namespace PolicyTrail.Ingest.Tests.Entries;

public sealed class EntryBuilderTests
{
    [Fact]
    public void Flows_of_one_attribution_keep_their_own_reported_endpoints_and_verdicts()
    {
        var pods = ExampleCluster.History.Snapshots[0].Snapshot.Pods.Where(p => p.IPs.Count > 0).ToArray();
        var (from, to) = (pods[0].IPs[0], pods[1].IPs[0]);
        var attributor = new FlowAttributor(ExampleCluster.History);
        var fragments = new FragmentTable();
        var builder = new EntryBuilder(fragments);
        // The same addresses, port and reported verdict: one attribution; the source gives another identity in the second.
        var first = ExampleCluster.Flow(from, to, 80, srcIdentity: 1001);
        var renamed = ExampleCluster.Flow(from, to, 80, srcIdentity: 1002);
        var attribution = attributor.Attribute(first);
        Assert.Same(attribution, attributor.Attribute(renamed));

        var rows = new[] { first, renamed, first, renamed }.Select(f => builder.Flow(f, attributor.Attribute(f), 0)).ToArray();
        Assert.NotEqual(rows[0].Src, rows[1].Src);
        Assert.Equal(rows[0].Src, rows[2].Src);
        Assert.Equal(rows[1].Src, rows[3].Src);
        Assert.Contains("\"identity\":1001", Encoding.UTF8.GetString(fragments.Get(rows[0].Src!.Value)), StringComparison.Ordinal);
        Assert.Contains("\"identity\":1002", Encoding.UTF8.GetString(fragments.Get(rows[1].Src!.Value)), StringComparison.Ordinal);
        Assert.All(rows, r => Assert.Equal(rows[0].Dst, r.Dst));
        Assert.All(rows, r => Assert.Equal(rows[0].Template, r.Template));

        // Another reported verdict is another attribution (its agreement differs), and another root template.
        var denied = ExampleCluster.Flow(from, to, 80, ReportedVerdict.Denied, srcIdentity: 1001);
        var other = attributor.Attribute(denied);
        Assert.NotSame(attribution, other);
        Assert.Equal(FlowAttributor.Compare(ReportedVerdict.Denied, other.Verdict), other.Agreement);
        Assert.Equal(FlowAttributor.Compare(ReportedVerdict.Allowed, attribution.Verdict), attribution.Agreement);
        var deniedRow = builder.Flow(denied, other, 0);
        Assert.Equal(rows[0].Src, deniedRow.Src);
        Assert.NotEqual(rows[0].Template, deniedRow.Template);

        // A second builder (another store's fragment table) does not take the first one's ids.
        var otherFragments = new FragmentTable();
        var again = new EntryBuilder(otherFragments).Flow(renamed, attribution, 0);
        Assert.Contains("\"identity\":1002", Encoding.UTF8.GetString(otherFragments.Get(again.Src!.Value)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_reused_row_keeps_nothing_of_its_last_entry_and_owns_its_digest()
    {
        var pods = ExampleCluster.History.Snapshots[0].Snapshot.Pods.Where(p => p.IPs.Count > 0).ToArray();
        var attributor = new FlowAttributor(ExampleCluster.History);
        var builder = new EntryBuilder(new FragmentTable());
        var digest = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var counted = ExampleCluster.Flow(pods[0].IPs[0], pods[1].IPs[0], 80) with
        {
            Count = 3, Packets = 7, Bytes = 900,
            WindowStart = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 26, 8, 59, 0, TimeSpan.Zero), 9),
            WindowEnd = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero), 9),
            Source = new SourceRef("hubble", "flows.jsonl", 7) { Sha256Digest = digest },
        };
        var first = builder.Flow(counted, attributor.Attribute(counted), 1);
        Assert.Equal(digest, first.Sha256);
        Assert.NotSame(digest, first.Sha256);
        var usedTemplate = first.Template;
        first.Index = 41;
        first.LeafTag = 0xdeadbeef;
        first.Body = [1, 2, 3];
        var own = first.Sha256;

        builder.Reuse([first]);
        var plain = ExampleCluster.Flow(pods[1].IPs[0], pods[0].IPs[0], 443);
        var second = builder.Flow(plain, attributor.Attribute(plain), 2);

        Assert.Same(first, second);
        Assert.Equal(0, second.Index);
        Assert.Equal(0u, second.LeafTag);
        Assert.Null(second.Body);
        Assert.Null(second.Count);
        Assert.Null(second.Packets);
        Assert.Null(second.Bytes);
        Assert.Null(second.WindowStart);
        Assert.Null(second.WindowEnd);
        Assert.Null(second.Sha256);
        Assert.Equal(1L, second.Line);
        Assert.Equal(443, second.DstPort);
        Assert.NotEqual(usedTemplate, second.Template);

        // The row's own digest array is filled again, not replaced, when the next flow has a digest.
        builder.Reuse([second]);
        var again = builder.Flow(counted with { Source = new SourceRef("hubble", "flows.jsonl", 8) { Sha256Digest = digest.Reverse().ToArray() } }, attributor.Attribute(counted), 3);
        Assert.Same(own, again.Sha256);
        Assert.Equal(digest.Reverse(), again.Sha256!);
    }
}
