using System.ComponentModel;
using PolicyTrail.Identity.Snapshots;
using PolicyTrail.Policy;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands;

/// <summary>Options every verb that reads cluster state shares.</summary>
internal class ClusterSettings : CommandSettings
{
    [CommandOption("-c|--cluster <PATH>")]
    [Description("A file or folder of 'kubectl get ... -A -o json|yaml' output (List, single objects or multi-document YAML; .gz too). Repeatable. Example: --cluster snapshot/ --cluster extra-policies.yaml")]
    public string[] Cluster { get; set; } = [];

    [CommandOption("--ipblock-selects-pods <BOOL>")]
    [Description("Whether ipBlock peers match pod addresses: true (default, as upstream conformance tests expect) or false (as netpol-analyzer and some CNIs do). Example: --ipblock-selects-pods false")]
    [DefaultValue(true)]
    public bool IpBlockSelectsPods { get; set; } = true;

    public PolicyEngineOptions EngineOptions => new() { IpBlockSelectsPods = IpBlockSelectsPods };

    /// <summary>Reads the cluster input and reports what was read (and skipped) on stderr.</summary>
    public SnapshotReadResult ReadCluster(Terminal terminal)
    {
        if (Cluster.Length == 0)
        {
            throw new UserInputException("--cluster PATH is required (a file or folder of 'kubectl get ... -o json|yaml' output)");
        }
        var result = KubectlOutputReader.Read(Cluster);
        var s = result.Snapshot;
        var line = $"cluster: {result.Files} file{(result.Files == 1 ? "" : "s")}, {s.Namespaces.Count} namespaces, {s.Pods.Count} pods, {s.Services.Count} services, {s.EndpointSlices.Count} endpointslices, {s.Nodes.Count} nodes, {s.NetworkPolicies.Count} networkpolicies";
        if (result.SkippedKinds.Count > 0)
        {
            var skipped = result.SkippedKinds.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}");
            line += $"; skipped {result.SkippedKinds.Values.Sum()} objects of other kinds ({string.Join(", ", skipped)})";
        }
        if (result.Duplicates > 0)
        {
            line += $"; {result.Duplicates} duplicate objects (the last read wins)";
        }
        terminal.Error.WriteLine(line);
        return result;
    }
}
