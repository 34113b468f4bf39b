using System.Text;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Policy.Tests.Support;

namespace PolicyTrail.Policy.Tests.Evaluation;

/// <summary>
/// Every truth case of ../shared/netpol-cases (Kubernetes e2e, netpol-analyzer) read in place: each probe's verdict
/// must equal the one its source project expects. Cases with AdminNetworkPolicy/BaselineAdminNetworkPolicy are
/// skipped until that tier is built.
/// </summary>
public class NetpolCasesTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        if (SharedData.NetpolCases is { } root)
        {
            foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(root, file));
            }
        }
        else
        {
            data.Add("(absent)");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Engine_agrees_with_the_source_project(string relativePath)
    {
        if (SharedData.NetpolCases is null)
        {
            Assert.Skip("../shared/netpol-cases is absent: the truth cases live beside the clone, not in it");
        }
        var scenario = Scenario.Load(Path.Combine(SharedData.NetpolCases, relativePath));
        var tiers = scenario.PolicyKinds.Where(k => k != "NetworkPolicy").ToList();
        if (tiers.Count > 0)
        {
            Assert.Skip($"uses {string.Join(" and ", tiers)}: the admin tiers are not built yet");
        }
        var engine = scenario.Compile();
        var failures = new StringBuilder();
        var count = 0;
        var failed = 0;
        foreach (var probe in scenario.Probes())
        {
            count++;
            Assert.True(ProtocolNames.TryParse(probe.Protocol, out var protocol));
            var decision = engine.Explain(probe.From, probe.To, PortRef.FromNumber(probe.Port), protocol);
            if (decision.Verdict.ToName() != probe.Expect)
            {
                if (++failed <= 10)
                {
                    failures.AppendLine($"{probe.From} -> {probe.To} {probe.Protocol}/{probe.Port}: expected {probe.Expect}, got {decision.Explanation}");
                }
            }
        }
        Assert.True(count > 0, "the case has no probes");
        Assert.True(failed == 0, $"{failed} of {count} probes disagree in {scenario.Id}:\n{failures}");
    }
}
