using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using PolicyTrail.Cli.Commands.Ledger;
using PolicyTrail.Ingest.Clusters;
using PolicyTrail.Ingest.Running;
using PolicyTrail.Ledger.Writing;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Output;
using PolicyTrail.Sources.Pipeline;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Snapshot;

/// <summary>Options of <c>policytrail snapshot audit-log</c>.</summary>
internal sealed class SnapshotAuditLogSettings : StoreSettings
{
    [CommandArgument(0, "<FILE>")]
    [Description("Kubernetes API audit log files (audit.k8s.io/v1 or v1beta1 Event lines, plain or gzip), folders, or - for stdin. Example: /var/log/kubernetes/audit/audit.log")]
    public string[] Files { get; set; } = [];

    [CommandOption("--key <PATH>")]
    [Description("The signing key file. Default: policytrail.key beside the store, created when missing. Example: --key /etc/policytrail/policytrail.key")]
    public string? Key { get; set; }

    [CommandOption("--rejects <PATH>")]
    [Description("Write every rejected line as JSON (file, line, format, reason, raw) to this file. Example: --rejects rejects.jsonl")]
    public string? Rejects { get; set; }

    public override ValidationResult Validate() =>
        Files.Length == 0 ? ValidationResult.Error("give at least one audit log FILE (or - for stdin)") : ValidationResult.Success();
}

/// <summary>
/// <c>policytrail snapshot audit-log</c>: records the NetworkPolicy, admin policy and namespace changes an API audit log
/// shows, with the user who made each, as policy-change and inventory-change entries. Rerunning records only what is new.
/// </summary>
internal sealed class SnapshotAuditLogCommand(Terminal terminal) : Command<SnapshotAuditLogSettings>
{
    public override int Execute(CommandContext context, SnapshotAuditLogSettings settings, CancellationToken cancellationToken)
    {
        var files = settings.Files.Select(f => f == CliApp.StdinArgument ? "-" : f).ToArray();
        foreach (var file in files.Where(f => f != "-" && !File.Exists(f) && !Directory.Exists(f)))
        {
            throw new UserInputException($"{file}: no such file or folder");
        }
        using var session = LedgerSession.Open(settings.Store, settings.Key, new CheckpointPolicy(), terminal.Error);
        using var rejects = settings.Rejects is null ? null : new StreamWriter(settings.Rejects);
        var run = new IngestRun(session.Store, session.Writer, ClusterHistory.Load([]), new IngestOptions
        {
            Files = files,
            Read = new FlowReadOptions { Format = FormatRegistry.Find("k8s-audit"), Stdin = terminal.OpenInput },
            OnReject = rejects is null ? null : reject =>
            {
                using var json = new MemoryStream();
                using (var w = new Utf8JsonWriter(json))
                {
                    RecordJsonWriter.WriteReject(w, reject);
                }
                rejects.WriteLine(System.Text.Encoding.UTF8.GetString(json.ToArray()));
            },
        });
        var summary = run.Run(cancellationToken);
        var sources = summary.Sources!;
        foreach (var line in sources.Unreadable)
        {
            terminal.Error.WriteLine($"policytrail: {line}");
        }
        var skipped = sources.Formats.Values.SelectMany(f => f.Skipped).GroupBy(s => s.Key).Select(g => $"{g.Sum(s => s.Value)} {g.Key}");
        terminal.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"read {summary.Read} audit events{(summary.LinesAlreadyIngested > 0 ? $" ({summary.LinesAlreadyIngested} lines recorded by earlier runs skipped)" : "")}: recorded {summary.ClusterChanges} changes to namespaces and policies, {summary.PolicyChanges - summary.ClusterChanges} other policy audit records (failed requests, deletecollection, Calico or Cilium kinds), {summary.Rejected} rejected; skipped {sources.Skipped}{(sources.Skipped > 0 ? $" ({string.Join(", ", skipped)})" : "")}"));
        terminal.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ledger {settings.Store}: {summary.LogSize} entries, {summary.Checkpoints} checkpoint{(summary.Checkpoints == 1 ? "" : "s")} signed"));
        if (sources.Read == 0 && summary.LinesAlreadyIngested == 0)
        {
            terminal.Error.WriteLine("policytrail: nothing could be read");
            return ExitCodes.UsageOrInput;
        }
        return summary.Rejected > 0 || sources.Unreadable.Count > 0 ? ExitCodes.Findings : ExitCodes.Ok;
    }
}
