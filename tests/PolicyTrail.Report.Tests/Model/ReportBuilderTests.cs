using PolicyTrail.Core.Flows;
using PolicyTrail.Query.Answers;
using PolicyTrail.Report.Model;
using static PolicyTrail.Report.Tests.ReportStore;

namespace PolicyTrail.Report.Tests.Model;

/// <summary>The report model of the fixture store: every section holds what the store's entries say.</summary>
public sealed class ReportBuilderTests(ReportStore fixture) : IClassFixture<ReportStore>
{
    private static readonly DateTimeOffset Generated = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static long T(string rfc3339) => Timestamp.TryParseRfc3339(rfc3339, out var t) ? t.UnixNanos : throw new ArgumentException(rfc3339);

    private ReportModel Build(ReportOptions options)
    {
        using var store = fixture.Open();
        return ReportBuilder.Build(store, options, Generated);
    }

    [Fact]
    public void Scope_counts_the_period_and_the_whole_store_is_the_default()
    {
        var m = Build(fixture.Options());
        Assert.False(m.Scope.SinceGiven || m.Scope.UntilGiven);
        Assert.Equal("test.example/report", m.Scope.Origin);
        Assert.Equal(12, m.Scope.FlowEntries);
        Assert.Equal(11, m.Scope.FlowAttempts); // the api's reply is left out
        Assert.Equal(1, m.Scope.GapEntries);
        Assert.Equal(m.Scope.FirstEntry, m.Scope.Since);
        Assert.Equal(m.Scope.LastEntry + 1, m.Scope.Until);
        Assert.Equal(m.Scope.FlowAttempts, m.Activity.Buckets.Sum(b => b.Flows));
        Assert.Equal(5, m.Activity.Buckets.Sum(b => b.Denied));
    }

    [Fact]
    public void A_rejected_line_is_counted_by_reason_with_its_file()
    {
        var m = Build(fixture.Options());
        var reject = Assert.Single(m.Sources.Rejects);
        Assert.Equal(1, m.Sources.RejectedLines);
        Assert.Contains("JSON", reject.Reason, StringComparison.Ordinal);
        Assert.EndsWith("flows.jsonl", Assert.Single(reject.Files), StringComparison.Ordinal);
        Assert.Equal(0, m.Sources.Gaps.Total); // no other gap
        var format = Assert.Single(m.Sources.Formats);
        Assert.Equal(("hubble", Asset("flows.jsonl"), 12L), (format.Format, format.File, format.Entries));
        Assert.Single(m.Sources.Inputs, i => i.Source.EndsWith("flows.jsonl", StringComparison.Ordinal) && i.Lines == 13);
    }

    [Fact]
    public void The_three_questions_are_answered_for_named_and_annotated_sensitive_services()
    {
        var m = Build(fixture.Options("payments/api-5f6c8d-k9j2q"));
        Assert.Equal(["payments/api-5f6c8d-k9j2q", "svc:payments/vault"], m.Scope.Sensitive.Select(s => s.Selector));
        Assert.Contains("annotation", m.Scope.Sensitive[1].Reason, StringComparison.Ordinal);

        var api = m.Access[0];
        Assert.Null(api.Error);
        Assert.Equal(["web-7d4b9c-x2x7p", "prometheus-0"], api.Sources.Rows.Select(r => r.Source.Pod));
        Assert.Equal(4, api.Attempts);

        // The annotated Service's backend is postgres: web's three attempts (two denied, one the CNI let through) and the api's.
        var vault = m.Access[1];
        Assert.Null(vault.Error);
        var web = Assert.Single(vault.Sources.Rows, r => r.Source.Pod == "web-7d4b9c-p8m2z");
        Assert.Equal((3L, 3L), (web.Attempts, web.Denied));
        Assert.Contains("payments/default-deny", web.Policies);

        Assert.Contains(m.Talkers.Rows, r => r.Source.Workload == "web" && r.Destination.Workload == "api" && r.Flows == 3);
        var cross = Assert.Single(m.DeniedCrossNamespace.Rows, r => r.Destination.Workload == "postgres");
        Assert.Equal(("frontend", 3L), (cross.Source.Namespace, cross.Attempts));
        Assert.DoesNotContain(m.DeniedCrossNamespace.Rows, r => r.Source.Namespace == r.Destination.Namespace);
        Assert.Equal((cross.Source, cross.Destination, cross.Attempts), (m.TopDeniedPairs[0].Source, m.TopDeniedPairs[0].Destination, m.TopDeniedPairs[0].Attempts));
    }

    [Fact]
    public void A_sensitive_target_the_store_does_not_know_is_reported_not_thrown()
    {
        var m = Build(fixture.Options("payments/nothing-here"));
        Assert.Contains("nothing-here", m.Access[0].Error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Build(fixture.Options("a/b/c")));
    }

    [Fact]
    public void The_flow_the_CNI_let_through_against_the_policies_is_a_disagreement()
    {
        var m = Build(fixture.Options());
        var row = Assert.Single(m.Disagreements.Rows);
        Assert.Equal(("frontend/web-7d4b9c-p8m2z", "payments/postgres-0", (int?)5432, "TCP"), (row.Source, row.Destination, row.Port, row.Protocol));
        Assert.Equal(("allowed", "deny", 1L), (row.Reported, row.Computed, row.Attempts));
        Assert.Equal(T("2026-11-26T10:00:12.000000001Z"), row.FirstSeen);
        Assert.Contains("payments/default-deny", row.Policies);
        Assert.StartsWith("policytrail query --disagreement --store report.duckdb --since ", m.Disagreements.Command, StringComparison.Ordinal);
    }

    [Fact]
    public void Policy_changes_coverage_and_verification_come_from_the_store()
    {
        var m = Build(fixture.Options());
        Assert.Equal(7, m.PolicyChanges.Total);
        Assert.All(m.PolicyChanges.Rows, r => Assert.Equal("NetworkPolicy", r.Kind));
        Assert.Contains(m.PolicyChanges.Rows, r => r is { Namespace: "payments", Name: "default-deny", Change: "added", ResourceVersion: "7001" });

        Assert.NotNull(m.Coverage.Report);
        Assert.True(m.Coverage.Report.PodsConsidered > 0);
        Assert.Equal(m.Scope.Until - 1, m.Coverage.Report.At);

        Assert.Equal(VerificationStatus.Intact, m.Verification.Status);
        Assert.Equal(m.Scope.TreeSize, m.Verification.Entries);
        Assert.NotNull(m.Verification.Checkpoint);
        Assert.Equal(("test.example/report", m.Scope.TreeSize), (m.Verification.Checkpoint.Origin, m.Verification.Checkpoint.Size));
        Assert.Equal(m.Verification.RootHash, m.Verification.Checkpoint.RootHash);
        Assert.Equal(["test"], m.Verification.Checkpoint.Signers);

        Assert.Equal(VerificationStatus.NoKey, Build(fixture.Options() with { VerifierKey = null }).Verification.Status);
        Assert.Equal(VerificationStatus.NotRun, Build(fixture.Options() with { Verify = false }).Verification.Status);
    }

    [Fact]
    public void A_narrower_period_keeps_only_its_entries()
    {
        var m = Build(fixture.Options() with { Since = T("2026-11-26T10:00:06Z"), Until = T("2026-11-26T10:00:08Z") });
        Assert.Equal(2, m.Scope.FlowEntries);
        Assert.Equal(0, m.PolicyChanges.Total);
        Assert.Empty(m.Disagreements.Rows);
        Assert.Equal(2, m.Activity.Buckets.Sum(b => b.Denied));
        Assert.Equal(T("2026-11-26T10:00:06Z"), m.Activity.Start);
    }

    [Fact]
    public void Tables_are_bounded_and_name_the_command_that_lists_all()
    {
        var m = Build(fixture.Options() with { TopRows = 1 });
        Assert.Single(m.Talkers.Rows);
        Assert.True(m.Talkers.More > 0);
        Assert.Equal(m.Talkers.Total, m.Talkers.Rows.Count + m.Talkers.More);
        Assert.Matches(@"^policytrail talkers --store report\.duckdb --since \S+Z --until \S+Z$", m.Talkers.Command);
        Assert.Single(m.PolicyChanges.Rows);
        Assert.Equal(7, m.PolicyChanges.Total);
    }
}
