using System.ComponentModel;
using System.Runtime.InteropServices;
using k8s;
using k8s.Exceptions;
using PolicyTrail.Identity.Watch;
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
    [Description("Write each change and each gap as one JSON line to FILE (appended; '-' for standard output), flushed as it happens. Example: --out changes.jsonl")]
    public string? Out { get; set; }

    [CommandOption("--store <PATH>")]
    [Description("The ledger store to record changes in (a DuckDB file). Not wired yet: use --out for now. Example: --store audit.duckdb")]
    public string? Store { get; set; }
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
            .WithExample("watch", "--kubeconfig", "~/.kube/prod.yaml", "--context", "prod-eu", "--out", "-")
            .WithExample("watch", "--out", "-", "|", "jq", "-c", "'select(.kind == \"Pod\") | [.time, .type, .namespace, .name]'");

    public override async Task<int> ExecuteAsync(CommandContext context, WatchSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Out is null)
        {
            if (settings.Store is not null)
            {
                await terminal.Error.WriteLineAsync($"policytrail: watch: recording to the store ({settings.Store}) is not wired yet; use --out FILE|- to write the changes as JSON lines");
                return ExitCodes.UsageOrInput;
            }
            throw new UserInputException("watch: --out FILE|- is required (recording to the store is not wired yet)");
        }
        using var client = Connect(settings);
        var toStdout = settings.Out == CliApp.StdinArgument || settings.Out == "-";
        await using var file = toStdout ? null : OpenOut(settings.Out);
        var writer = new JsonLinesChangeWriter(file ?? terminal.OutStream);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var errorLock = new Lock();
        var watcher = new ClusterWatcher(client, writer, new ClusterWatcherOptions
        {
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
        await terminal.Error.WriteLineAsync($"watch: stopped: {writer.Summary()}");
        return ExitCodes.Ok;
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
