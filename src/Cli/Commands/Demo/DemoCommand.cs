using System.ComponentModel;
using System.Globalization;
using PolicyTrail.Demo;
using PolicyTrail.Demo.Scenario;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Demo;

/// <summary>Options of <c>policytrail demo</c>.</summary>
internal sealed class DemoSettings : CommandSettings
{
    [CommandOption("--dir <DIR>")]
    [Description("Where the example, its store and report.html go; created when missing, refreshed when it holds an earlier demo. Default: ./policytrail-demo. Example: --dir /tmp/demo")]
    [DefaultValue("policytrail-demo")]
    public string Dir { get; set; } = "policytrail-demo";

    [CommandOption("--seed <N>")]
    [Description("Seed of the generated day of traffic (the same seed writes the same files). Example: --seed 7")]
    [DefaultValue(DemoDataset.DefaultSeed)]
    public int Seed { get; set; } = DemoDataset.DefaultSeed;
}

/// <summary>
/// <c>policytrail demo</c>: writes the bundled shop example, then runs the real verbs on it — snapshot import, ingest,
/// verify, the three questions, coverage and the report — printing each command so it can be run again by hand.
/// </summary>
internal sealed class DemoCommand(Terminal terminal) : AsyncCommand<DemoSettings>
{
    // Marks a folder as the demo's own, so that a rerun may replace what it wrote and nothing else.
    private const string Marker = ".policytrail-demo";

    public static void Register(IConfigurator config) =>
        config.AddCommand<DemoCommand>("demo")
            .WithDescription("Show PolicyTrail end to end on a bundled example: a 10-namespace shop cluster (default-deny policies with exceptions), two snapshots an hour apart with a pod address reused between them, and a day of flows in three CNI formats (Hubble JSON, Calico flow logs, Antrea np.log). Ingests it into a fresh embedded store, verifies it, answers the three audit questions and writes report.html.")
            .WithExample("demo")
            .WithExample("demo", "--dir", "/tmp/policytrail-demo");

    public override async Task<int> ExecuteAsync(CommandContext context, DemoSettings settings, CancellationToken cancellationToken)
    {
        var dir = Path.GetFullPath(settings.Dir);
        Prepare(dir);
        var files = DemoDataset.Write(dir, settings.Seed);
        var output = terminal.Out;
        output.WriteLine($"Wrote the example to {Shown(dir)}:");
        foreach (var (folder, takenAt) in files.Snapshots)
        {
            output.WriteLine($"  {Shown(folder)}/  cluster snapshot taken {Time(takenAt)}");
        }
        foreach (var (path, format, records) in files.FlowFiles)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Shown(path)}  {records} records ({format})"));
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {files.Flows} connection attempts on {DemoCluster.Day:yyyy-MM-dd}, {files.Denied} refused by the policies; {DemoCluster.ReusedIP} passes from a catalog pod to sandbox/debug-shell between the snapshots"));

        var store = Shown(Path.Combine(dir, "policytrail.duckdb"));
        var report = Shown(Path.Combine(dir, "report.html"));
        var since = Time(DemoCluster.Day);
        var until = Time(DemoCluster.Day.AddDays(1));
        (string Title, string[] Args)[] steps =
        [
            ("Record the cluster as the first snapshot shows it", ["snapshot", "import", "--store", store, "--at", Time(files.Snapshots[0].TakenAt), Shown(files.Snapshots[0].Folder)]),
            ("...and the second, an hour later (what changed between them becomes history)", ["snapshot", "import", "--store", store, "--at", Time(files.Snapshots[1].TakenAt), Shown(files.Snapshots[1].Folder)]),
            ("Ingest the day's flows: each decided against the cluster and policies of its own time", ["ingest", "--store", store, Shown(Path.Combine(dir, "flows"))]),
            ("Check the ledger: every entry, the Merkle tree and the signed checkpoints", ["verify", "--store", store]),
            ("Question 1: who accessed, or tried to access, the payments API?", ["access", "--store", store, "--to", "svc:payments/payments-api", "--since", since, "--until", until]),
            ("Question 2: which workloads talked to each other?", ["talkers", "--store", store, "--since", since, "--until", until, "--limit", "12"]),
            ("Question 3: which attempts across namespaces were refused?", ["denied", "--store", store, "--cross-namespace", "--since", since, "--until", until]),
            ($"The reused address {DemoCluster.ReusedIP}, before and after the snapshots: each flow names the pod of its time", ["talkers", "--store", store, "--from-ip", DemoCluster.ReusedIP, "--since", since, "--until", until]),
            ("Where the CNI's verdict and the policies disagree", ["query", "--store", store, "--disagreement", "--limit", "5"]),
            ("Coverage: pods no policy isolates, namespaces without any policy", ["coverage", "--store", store, "--at", Time(DemoCluster.Day.AddHours(12))]),
            ("The evidence report for auditors (the services annotated policytrail.io/sensitive are the sensitive ones)", ["report", "--store", store, "--since", since, "--until", until, "-o", report]),
        ];
        foreach (var (title, args) in steps)
        {
            output.WriteLine();
            output.WriteLine($"# {title}");
            output.WriteLine($"$ policytrail {string.Join(' ', args.Select(Quote))}");
            output.Flush();
            var code = await CliApp.RunAsync(args, terminal);
            if (code != ExitCodes.Ok)
            {
                terminal.Error.WriteLine($"policytrail: demo: 'policytrail {args[0]}' ended with exit code {code}; the files are in {Shown(dir)}");
                return code;
            }
        }
        output.WriteLine();
        output.WriteLine($"Done. Open {report} in a browser (it prints to PDF). The store is {store}; try any verb on it, e.g. 'policytrail query --store {store} --verdict deny --limit 20'.");
        return ExitCodes.Ok;
    }

    // A folder the demo may write into: missing, empty, or one it wrote before (whose generated parts it replaces).
    private static void Prepare(string dir)
    {
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
        {
            if (!File.Exists(Path.Combine(dir, Marker)))
            {
                throw new UserInputException($"{dir}: the folder exists and was not written by 'policytrail demo'; give another --dir");
            }
            foreach (var generated in new[] { "cluster", "flows" }.Select(d => Path.Combine(dir, d)).Where(Directory.Exists))
            {
                Directory.Delete(generated, recursive: true);
            }
            foreach (var file in Directory.GetFiles(dir, "policytrail.duckdb*").Concat(Directory.GetFiles(dir, "report.*")))
            {
                File.Delete(file);
            }
        }
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, Marker), "Written by 'policytrail demo'; a rerun replaces this folder's example, store and report.\n");
    }

    // Paths under the working directory are shown relative to it, so the printed commands can be pasted.
    private static string Shown(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Quote(string arg) => arg.Contains(' ', StringComparison.Ordinal) ? $"'{arg}'" : arg;
}
