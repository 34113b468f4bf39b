using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using PolicyTrail.Ingest.Clusters;
using PolicyTrail.Ingest.Running;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Ledger.Writing;
using PolicyTrail.Policy;
using PolicyTrail.Sources.Output;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Ledger;

/// <summary>Options of <c>policytrail ingest</c>.</summary>
internal sealed class IngestSettings : SourceSettings
{
    [CommandOption("--store <PATH>")]
    [Description("The ledger store, a DuckDB file created when missing. Default: ./policytrail.duckdb. Example: --store audit.duckdb")]
    [DefaultValue(StoreSettings.DefaultStore)]
    public string Store { get; set; } = StoreSettings.DefaultStore;

    [CommandOption("-c|--cluster <PATH>")]
    [Description("A cluster snapshot: a file or folder of 'kubectl get ... -A -o json|yaml' output. Repeatable: each is one snapshot, taken at its files' modification time, recorded in the store's identity history (as 'snapshot import' does). Optional when the store already holds a history (snapshot import, watch). Example: --cluster snapshot/")]
    public string[] Cluster { get; set; } = [];

    [CommandOption("--ipblock-selects-pods <BOOL>")]
    [Description("Whether ipBlock peers match pod addresses: true (default, as upstream) or false. Example: --ipblock-selects-pods false")]
    [DefaultValue(true)]
    public bool IpBlockSelectsPods { get; set; } = true;

    [CommandOption("--key <PATH>")]
    [Description("The signing key file ('policytrail keys init' writes one). Default: policytrail.key beside the store, created (with policytrail.pub) when missing. Example: --key /etc/policytrail/policytrail.key")]
    public string? Key { get; set; }

    [CommandOption("--checkpoint-every <N>")]
    [Description("Also sign a checkpoint every N entries (0: only by time and at the end). Default 1000000. Example: --checkpoint-every 100000")]
    [DefaultValue(1_000_000L)]
    public long CheckpointEvery { get; set; } = 1_000_000;

    [CommandOption("--checkpoint-interval <SECONDS>")]
    [Description("Also sign a checkpoint when this many seconds passed since the last (0: never by time). Default 300. Example: --checkpoint-interval 60")]
    [DefaultValue(300)]
    public int CheckpointInterval { get; set; } = 300;

    [CommandOption("--batch <N>")]
    [Description("Commit (make durable, with the source positions) after about N entries or one second, whichever comes first. Default 20000. Example: --batch 10000")]
    [DefaultValue(20_000)]
    public int Batch { get; set; } = 20_000;

    public override ValidationResult Validate()
    {
        if (Batch < 1)
        {
            return ValidationResult.Error("--batch must be at least 1");
        }
        if (ValidateSources() is { } problem)
        {
            return problem;
        }
        if (CheckpointEvery < 0 || CheckpointInterval < 0)
        {
            return ValidationResult.Error("--checkpoint-every and --checkpoint-interval must not be negative");
        }
        return ValidationResult.Success();
    }
}

/// <summary><c>policytrail ingest</c>: attribute flow logs against cluster snapshots and append them to the ledger.</summary>
internal sealed class IngestCommand(Terminal terminal) : Command<IngestSettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<IngestCommand>("ingest")
            .WithDescription("Read flow logs (any supported format), decide every flow against the cluster snapshot in force at its time, and append them to the tamper-evident ledger with signed checkpoints. Rerunning appends only what is new.")
            .WithExample("ingest", "--cluster", "examples/cluster", "examples/flows/hubble.jsonl")
            .WithExample("ingest", "--store", "audit.duckdb", "--cluster", "snap-0900/", "--cluster", "snap-1200/", "logs/")
            .WithExample("ingest", "--cluster", "snapshot.yaml", "--key", "/etc/policytrail/policytrail.key", "-", "--format", "hubble");

    public override int Execute(CommandContext context, IngestSettings settings, CancellationToken cancellationToken)
    {
        var files = settings.Files.Select(f => f == CliApp.StdinArgument ? "-" : f).ToArray();
        foreach (var file in files.Where(f => f != "-" && !File.Exists(f) && !Directory.Exists(f)))
        {
            throw new UserInputException($"{file}: no such file or folder");
        }
        var clusters = ClusterHistory.Load(settings.Cluster, new PolicyEngineOptions { IpBlockSelectsPods = settings.IpBlockSelectsPods });
        foreach (var version in clusters.Snapshots)
        {
            var s = version.Snapshot;
            terminal.Error.WriteLine($"cluster {version.Name}: {s.Pods.Count} pods, {s.NetworkPolicies.Count} networkpolicies, taken at {version.TakenAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}");
        }
        DuckDbLedgerStore.KeepFreedMemory();
        using var session = LedgerSession.Open(settings.Store, settings.Key, new CheckpointPolicy
        {
            EveryEntries = settings.CheckpointEvery,
            Every = TimeSpan.FromSeconds(settings.CheckpointInterval),
        }, terminal.Error, DuckDbLedgerStore.FlowMemoryLimit);
        var (store, writer) = (session.Store, session.Writer);
        if (settings.Cluster.Length == 0
            && !store.Query(new EntryFilter { Kinds = [EntryKind.InventoryChange, EntryKind.PolicyChange], Limit = 1 }).Any())
        {
            throw new UserInputException($"{settings.Store} holds no cluster history to decide flows against: give --cluster PATH (kubectl get ... -o json|yaml output), or record one first with 'policytrail snapshot import' or 'policytrail watch'");
        }
        var startSize = writer.Size;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var rejects = settings.Rejects is null ? null : OpenRejects(settings.Rejects);
        using var rejectWriter = rejects is null ? null : new Utf8JsonWriter(rejects);

        var lastPlain = TimeSpan.Zero;
        var run = new IngestRun(store, writer, clusters, new IngestOptions
        {
            Files = files,
            Read = settings.ReadOptions(terminal.OpenInput),
            CommitEntries = settings.Batch,
            OnAppended = KillSwitch(),
            OnReject = rejectWriter is null ? null : reject =>
            {
                RecordJsonWriter.WriteReject(rejectWriter, reject);
                rejectWriter.Flush();
                rejectWriter.Reset();
                rejects!.WriteByte((byte)'\n');
            },
            OnProgress = s =>
            {
                if (terminal.StderrIsTerminal)
                {
                    terminal.Error.Write($"\r{s.Read:N0} records, {s.Appended:N0} appended, {s.Rate:N0}/s   ");
                }
                else if (s.Elapsed - lastPlain >= TimeSpan.FromSeconds(10))
                {
                    // Not a terminal (a log, a pipe): a plain line every ten seconds.
                    lastPlain = s.Elapsed;
                    terminal.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"progress: {s.Read} records, {s.Appended} entries appended, {s.Rejected} rejected, {s.Rate:F0} records/s"));
                }
            },
        });
        IngestSummary summary;
        try
        {
            summary = run.Run(stop.Token);
        }
        catch (OperationCanceledException)
        {
            terminal.Error.WriteLine($"policytrail: interrupted; {writer.CommittedSize - startSize} entries committed (the same command goes on from there)");
            return ExitCodes.Findings;
        }
        if (terminal.StderrIsTerminal)
        {
            terminal.Error.Write("\r");
        }
        var sources = summary.Sources!;
        foreach (var line in sources.Unreadable)
        {
            terminal.Error.WriteLine($"policytrail: {line}");
        }
        foreach (var name in sources.Unrecognised)
        {
            terminal.Error.WriteLine($"policytrail: {name}: no supported format recognises this input; its lines are rejected (name one with --format)");
        }
        var seconds = summary.Elapsed.TotalSeconds;
        terminal.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"read {summary.Read} records ({summary.Flows} flows, {summary.Rejected} rejected{(summary.LinesAlreadyIngested > 0 ? $"; {summary.LinesAlreadyIngested} lines ingested by earlier runs were skipped" : "")}); appended {summary.Appended} entries ({summary.Flows} flows, {summary.Gaps} gaps, {summary.PolicyChanges} policy changes, {summary.Snapshots} snapshots)"));
        if (clusters.Timeline is { } timeline)
        {
            terminal.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"identity history: {timeline.ChangeCount} changes ({summary.ClusterChanges} recorded by this run), {timeline.PodCount} pods, {timeline.EpochCount} stretches of unchanged state; {clusters.EnginesCompiled} policy engine{(clusters.EnginesCompiled == 1 ? "" : "s")} compiled"));
        }
        terminal.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"decisions: {summary.Allow} allow, {summary.Deny} deny, {summary.Unknown} unknown; CNI verdict: {summary.Agree} agree, {summary.Disagree} disagree"));
        terminal.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ledger {settings.Store}: {summary.LogSize} entries, {summary.Checkpoints} checkpoint{(summary.Checkpoints == 1 ? "" : "s")} signed; {seconds:F1} s, {summary.Rate:F0} records/s"));
        if (sources.Read == 0 && summary.LinesAlreadyIngested == 0 && summary.Appended == 0)
        {
            terminal.Error.WriteLine("policytrail: nothing could be read");
            return ExitCodes.UsageOrInput;
        }
        return summary.Rejected > 0 || sources.Unreadable.Count > 0 ? ExitCodes.Findings : ExitCodes.Ok;
    }

    // Crash tests set POLICYTRAIL_TEST_KILL_AFTER=N: the process SIGKILLs itself after appending N entries, so that
    // "kill -9 at any moment" is tested at exact, random points (committed, half-built and pending batches alike).
    private static Action<long>? KillSwitch()
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("POLICYTRAIL_TEST_KILL_AFTER"), out var after))
        {
            return null;
        }
        return appended =>
        {
            if (appended >= after)
            {
                System.Diagnostics.Process.GetCurrentProcess().Kill();
            }
        };
    }

    private static FileStream OpenRejects(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: cannot write rejects: {e.Message}");
        }
    }
}
