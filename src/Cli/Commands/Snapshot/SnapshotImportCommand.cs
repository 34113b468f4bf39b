using System.ComponentModel;
using System.Globalization;
using PolicyTrail.Cli.Commands.Ledger;
using PolicyTrail.Identity.Snapshots;
using PolicyTrail.Ingest.Clusters;
using PolicyTrail.Ingest.Running;
using PolicyTrail.Ledger.Writing;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Snapshot;

/// <summary>Options of <c>policytrail snapshot import</c>.</summary>
internal sealed class SnapshotImportSettings : StoreSettings
{
    [CommandArgument(0, "<FILE>")]
    [Description("What 'kubectl get pods,namespaces,services,endpointslices,nodes,networkpolicies,replicasets,jobs -A -o json|yaml' printed: files or folders, plain or gzip, taken together as one state of the cluster. Example: cluster-0900.json")]
    public string[] Files { get; set; } = [];

    [CommandOption("--at <TIME>")]
    [Description("When the state was taken: RFC 3339, or a duration back from now (90m, 2h). Default: the newest modification time of the files. Example: --at 2026-11-27T09:00:00Z")]
    public string? At { get; set; }

    [CommandOption("--key <PATH>")]
    [Description("The signing key file. Default: policytrail.key beside the store, created when missing. Example: --key /etc/policytrail/policytrail.key")]
    public string? Key { get; set; }

    public override ValidationResult Validate()
    {
        if (Files.Length == 0)
        {
            return ValidationResult.Error("give at least one FILE of kubectl output");
        }
        return At is not null && FilterSettings.ParseTime(At, DateTimeOffset.UtcNow) is null
            ? ValidationResult.Error($"--at '{At}': use RFC 3339 (2026-11-27T10:00:00Z) or a duration (30s, 90m, 2h, 7d)")
            : ValidationResult.Success();
    }
}

/// <summary>
/// <c>policytrail snapshot import</c>: records a cluster state as of a time. Against what the store already knows, it
/// becomes changes: objects added (at their creation time when known), modified and gone (between the previous
/// observation and this one), so that successive snapshots build the identity history.
/// </summary>
internal sealed class SnapshotImportCommand(Terminal terminal) : Command<SnapshotImportSettings>
{
    public override int Execute(CommandContext context, SnapshotImportSettings settings, CancellationToken cancellationToken)
    {
        foreach (var file in settings.Files.Where(f => !File.Exists(f) && !Directory.Exists(f)))
        {
            throw new UserInputException($"{file}: no such file or folder");
        }
        DateTimeOffset? at = settings.At is null ? null
            : DateTimeOffset.UnixEpoch.AddTicks(FilterSettings.ParseTime(settings.At, DateTimeOffset.UtcNow)!.Value / 100);
        ClusterHistory clusters;
        try
        {
            clusters = ClusterHistory.LoadOne(settings.Files, takenAt: at);
        }
        catch (SnapshotFormatException e)
        {
            throw new UserInputException(e.Message);
        }
        var snapshot = clusters.Snapshots[0];
        using var session = LedgerSession.Open(settings.Store, settings.Key, new CheckpointPolicy(), terminal.Error);
        var summary = new IngestRun(session.Store, session.Writer, clusters, new IngestOptions { Files = [] }).Run(cancellationToken);
        var s = snapshot.Snapshot;
        terminal.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"snapshot {snapshot.Name} at {snapshot.TakenAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}: {snapshot.Objects.Count} objects ({s.Pods.Count} pods, {s.Namespaces.Count} namespaces, {s.Services.Count} services, {s.EndpointSlices.Count} endpointslices, {s.Nodes.Count} nodes, {s.NetworkPolicies.Count} networkpolicies)"));
        terminal.Error.WriteLine(summary.Snapshots == 0
            ? "already recorded: the store holds these exact files; nothing appended"
            : string.Create(CultureInfo.InvariantCulture, $"recorded {summary.ClusterChanges} changes against the history the store held"));
        terminal.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ledger {settings.Store}: {summary.LogSize} entries, {summary.Checkpoints} checkpoint{(summary.Checkpoints == 1 ? "" : "s")} signed"));
        return ExitCodes.Ok;
    }
}
