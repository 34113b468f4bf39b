using System.ComponentModel;
using System.Runtime.InteropServices;
using k8s;
using k8s.Exceptions;
using PolicyTrail.Identity.History;
using PolicyTrail.Identity.Watch;
using PolicyTrail.Ingest.Changes;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Watch;

/// <summary>Options of <c>policytrail watch</c>.</summary>
internal sealed class WatchSettings : CommandSettings
{
    [CommandOption("--kubeconfig <PATH>")]
    [Description("The kubeconfig file. Default: as kubectl ($KUBECONFIG, then ~/.kube/config), else the in-cluster service account. Example: --kubeconfig ~/.kube/prod.yaml")]
    public string? Kubeconfig { get; set; }

    [CommandOption("--context <NAME>")]
    [Description("The kubeconfig context. Default: its current context. Example: --context prod-eu")]
    public string? Context { get; set; }

    [CommandOption("--out <FILE>")]
    [Description("Also (or, without --store, only) write each change and each gap as one JSON line to FILE (appended; '-' for standard output), flushed as it happens. Example: --out changes.jsonl")]
    public string? Out { get; set; }

    [CommandOption("--store <PATH>")]
    [Description("The ledger store to record changes in, a DuckDB file created when missing. Default: ./policytrail.duckdb unless only --out is given. Example: --store audit.duckdb")]
    public string? Store { get; set; }

    [CommandOption("--replay <FILE>")]
    [Description("Instead of watching a cluster, record the changes and gaps of FILE (written by --out) into --store. Resumable: a second run skips the lines already recorded. Example: --replay changes.jsonl --store audit.duckdb")]
    public string? Replay { get; set; }

    [CommandOption("--key <PATH>")]
    [Description("The signing key file. Default: policytrail.key beside the store, created when missing. Example: --key /etc/policytrail/policytrail.key")]
    public string? Key { get; set; }
}

/// <summary><c>policytrail watch</c>: follow a live cluster's objects (LIST then WATCH) until stopped.</summary>
internal sealed class WatchCommand(Terminal terminal) : AsyncCommand<WatchSettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<WatchCommand>("watch")
            .WithDescription(
                "Follow a live cluster: list, then watch pods, namespaces, services, endpointslices, nodes, networkpolicies, replicasets, jobs "
                + "(and admin/baseline admin network policies where served). Each change is one JSON line "
                + "{\"record\":\"change\",\"time\",\"notBefore\"?,\"type\":\"Added|Modified|Deleted\",\"kind\",\"namespace\"?,\"name\",\"uid\",\"resourceVersion\",\"origin\",\"object\"}; "
                + "each interval not watched (a relist after the server lost our place) is {\"record\":\"gap\",\"from\",\"to\",\"reason\"}. "
                + "notBefore: the change happened after it, at or before time (start-up list: since creation; after a relist or reconnect: since the watch stopped). "
                + "Ctrl-C or SIGTERM stops cleanly and prints a summary.")
            .WithExample("watch", "--out", "changes.jsonl")
            .WithExample("watch", "--replay", "changes.jsonl", "--store", "audit.duckdb")
            .WithExample("watch", "--kubeconfig", "~/.kube/prod.yaml", "--context", "prod-eu", "--out", "-")
            .WithExample("watch", "--out", "-", "|", "jq", "-c", "'select(.kind == \"Pod\") | [.time, .type, .namespace, .name]'");

    public override async Task<int> ExecuteAsync(CommandContext context, WatchSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Replay is { } replay)
        {
            return await ReplayAsync(replay, settings, cancellationToken);
        }
        var storePath = settings.Store ?? (settings.Out is null ? Ledger.StoreSettings.DefaultStore : null);
        using var client = Connect(settings);
        var server = ServerName(client);
        var toStdout = settings.Out == CliApp.StdinArgument || settings.Out == "-";
        await using var file = settings.Out is null || toStdout ? null : OpenOut(settings.Out);
        var lines = settings.Out is null ? null : new JsonLinesChangeWriter(file ?? terminal.OutStream);
        using var session = storePath is null ? null : Ledger.LedgerSession.Open(storePath, settings.Key, new PolicyTrail.Ledger.Writing.CheckpointPolicy(), terminal.Error);
        var recorder = session is null ? null : new ChangeRecorder(session.Writer, positionKey: $"watch {server}");
        IReadOnlyList<ClusterChange>? known = null;
        long? knownUntil = null;
        if (recorder?.LastRecorded is { } last)
        {
            // What happened while nothing was watching is not known: say so in the ledger, and record only what differs
            // from the state recorded then.
            recorder.Gap(Nanos(last), Nanos(DateTimeOffset.UtcNow), $"not watching {server}: policytrail watch was not running");
            known = LatestState(session!);
            knownUntil = Nanos(last);
        }
        IClusterChangeSink writer = (lines, recorder) switch
        {
            (null, { } r) => r,
            ({ } l, null) => l,
            _ => new TeeSink(lines!, recorder!),
        };
        await using var ticker = recorder is null ? null : new Timer(_ => recorder.Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var errorLock = new Lock();
        var watcher = new ClusterWatcher(client, writer, new ClusterWatcherOptions
        {
            Known = known,
            KnownUntil = knownUntil,
            // Warnings come from the loops of several resources at once.
            Warning = line =>
            {
                lock (errorLock)
                {
                    terminal.Error.WriteLine($"policytrail: warning: {line}");
                    terminal.Error.Flush();
                }
            },
        });
        await terminal.Error.WriteLineAsync($"watch: following {ServerName(client)}; Ctrl-C or SIGTERM stops");
        await terminal.Error.FlushAsync(CancellationToken.None);
        await watcher.RunAsync(stop.Token);
        recorder?.Complete();
        await terminal.Error.WriteLineAsync($"watch: stopped: {(recorder is not null ? Summary(recorder) : lines!.Summary())}");
        if (session is not null)
        {
            await terminal.Error.WriteLineAsync($"ledger {storePath}: {session.Writer.Size} entries, checkpoint signed");
        }
        return ExitCodes.Ok;
    }

    // The changes of a file written by --out, recorded through the same recorder a live watch uses.
    private async Task<int> ReplayAsync(string file, WatchSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Out is not null || settings.Kubeconfig is not null || settings.Context is not null)
        {
            throw new UserInputException("--replay records a file into --store: --out, --kubeconfig and --context do not apply");
        }
        if (!File.Exists(file))
        {
            throw new UserInputException($"{file}: no such file");
        }
        var storePath = settings.Store ?? Ledger.StoreSettings.DefaultStore;
        using var session = Ledger.LedgerSession.Open(storePath, settings.Key, new PolicyTrail.Ledger.Writing.CheckpointPolicy(), terminal.Error);
        var recorder = new ChangeRecorder(session.Writer, commitEntries: ChangeReplay.CommitEntries);
        ChangeReplaySummary summary;
        try
        {
            summary = ChangeReplay.Run(recorder, session.Writer, file, terminal.Error, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{file}: cannot read: {e.Message}");
        }
        var skipped = summary.AlreadyRecorded > 0 ? $"; {summary.AlreadyRecorded} lines already recorded, skipped" : "";
        var rejected = summary.Rejected > 0 ? $"; {summary.Rejected} line{(summary.Rejected == 1 ? "" : "s")} rejected" : "";
        await terminal.Error.WriteLineAsync($"watch: replayed {file}: {Summary(recorder)}{skipped}{rejected}");
        await terminal.Error.WriteLineAsync($"ledger {storePath}: {session.Writer.Size} entries, checkpoint signed");
        return summary.Rejected > 0 ? ExitCodes.Findings : ExitCodes.Ok;
    }

    private static IKubernetes Connect(WatchSettings settings)
    {
        if (settings.Kubeconfig is { } path && !File.Exists(path))
        {
            throw new UserInputException($"{path}: no such kubeconfig file");
        }
        try
        {
            return ClusterWatcher.Connect(settings.Kubeconfig, settings.Context);
        }
        catch (KubeConfigException e)
        {
            var where = settings.Kubeconfig ?? "the default kubeconfig ($KUBECONFIG, ~/.kube/config) or in-cluster config";
            throw new UserInputException($"{where}: {e.Message.TrimEnd('.')}");
        }
    }

    /// <summary>The latest recorded change of each object (by kind and key) that still exists.</summary>
    private static List<ClusterChange> LatestState(Ledger.LedgerSession session)
    {
        var latest = new Dictionary<(string, string), ClusterChange>();
        foreach (var (_, change) in ChangeReader.Read(session.Store, session.Writer.Fragments))
        {
            latest[(change.Kind, change.Key)] = change;
        }
        return [.. latest.Values.Where(c => c.Type != ChangeType.Deleted)];
    }

    private static long Nanos(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100;

    private static string Summary(ChangeRecorder recorder)
    {
        var kinds = recorder.ByKind.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key} {k.Value}");
        return $"{recorder.Changes} changes ({string.Join(", ", kinds)}), {recorder.Gaps} gap{(recorder.Gaps == 1 ? "" : "s")}";
    }

    /// <summary>Hands every change and gap to two sinks.</summary>
    private sealed class TeeSink(IClusterChangeSink first, IClusterChangeSink second) : IClusterChangeSink
    {
        public void Record(ClusterChange change)
        {
            first.Record(change);
            second.Record(change);
        }

        public void Gap(long fromUnixNanos, long toUnixNanos, string reason)
        {
            first.Gap(fromUnixNanos, toUnixNanos, reason);
            second.Gap(fromUnixNanos, toUnixNanos, reason);
        }
    }

    private static string ServerName(IKubernetes client) => client is Kubernetes k ? k.BaseUri.ToString().TrimEnd('/') : "the cluster";

    private static FileStream OpenOut(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: cannot write: {e.Message}");
        }
    }
}
