using System.ComponentModel;
using System.Globalization;
using PolicyTrail.Cli.Commands.Ledger;
using PolicyTrail.Report;
using PolicyTrail.Report.Html;
using PolicyTrail.Report.Json;
using PolicyTrail.Report.Model;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Report;

/// <summary>Options of <c>policytrail report</c>.</summary>
internal sealed class ReportSettings : StoreSettings
{
    [CommandOption("--since <TIME>")]
    [Description("Start of the period: RFC 3339 (2026-11-01T00:00:00Z) or a duration back from now (24h, 7d). Default: the store's first entry. Example: --since 30d")]
    public string? Since { get; set; }

    [CommandOption("--until <TIME>")]
    [Description("End of the period, exclusive (same forms as --since). Default: just after the store's last entry. Example: --until 2026-12-01T00:00:00Z")]
    public string? Until { get; set; }

    [CommandOption("--sensitive <SELECTOR>")]
    [Description("A sensitive destination, as access --to takes it: ns, ns/svc, svc:ns/name, pod:ns/name or a label selector (repeatable). Pods and Services labelled or annotated policytrail.io/sensitive=true in the cluster history are added. Example: --sensitive svc:payments/api --sensitive app=postgres")]
    public string[] Sensitive { get; set; } = [];

    [CommandOption("-o|--output <FILE>")]
    [Description("The file to write: .html/.htm (one self-contained page) or .json. Example: -o report.html")]
    public string? Output { get; set; }

    [CommandOption("--format <FORMAT>")]
    [Description("html or json; default: from the extension of -o. Example: --format json")]
    public string? Format { get; set; }

    [CommandOption("--key <VERIFIER-KEY>")]
    [Description("The verifier key (or a file holding it) the ledger is verified with. Default: policytrail.pub beside the store; without one the report says the ledger was not verified. Example: --key auditor/policytrail.pub")]
    public string? Key { get; set; }

    [CommandOption("--checkpoint <FILE>")]
    [Description("A checkpoint kept outside the store that the log must still extend (as verify --checkpoint; repeatable). Example: --checkpoint /audit/2026-11-27.note")]
    public string[] Checkpoints { get; set; } = [];

    [CommandOption("--no-verify")]
    [Description("Skip verifying the ledger (the report then says so).")]
    public bool NoVerify { get; set; }

    [CommandOption("--top <N>")]
    [Description("At most N rows per table; the rest is counted and the command that lists all is named. Default: 25. Example: --top 50")]
    [DefaultValue(25)]
    public int Top { get; set; } = 25;

    /// <summary>html or json, from --format or the extension of -o; null when neither says.</summary>
    public string? ResolvedFormat => Format?.ToLowerInvariant() ?? Path.GetExtension(Output ?? "").ToLowerInvariant() switch
    {
        ".html" or ".htm" => "html",
        ".json" => "json",
        _ => null,
    };

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Output))
        {
            return ValidationResult.Error("-o FILE is required: the report to write (report.html or report.json)");
        }
        if (Format is not null && Format.ToLowerInvariant() is not ("html" or "json"))
        {
            return ValidationResult.Error($"--format must be html or json, not '{Format}'");
        }
        if (ResolvedFormat is null)
        {
            return ValidationResult.Error($"-o {Output}: give a .html, .htm or .json file, or --format html|json");
        }
        if (Top < 1)
        {
            return ValidationResult.Error("--top must be at least 1");
        }
        foreach (var (name, value) in new[] { ("--since", Since), ("--until", Until) })
        {
            if (value is not null && FilterSettings.ParseTime(value, DateTimeOffset.UtcNow) is null)
            {
                return ValidationResult.Error($"{name} '{value}': use RFC 3339 (2026-11-27T10:00:00Z) or a duration (30s, 90m, 2h, 7d)");
            }
        }
        foreach (var value in Sensitive)
        {
            if (Query.Answers.AccessTarget.Parse(value, out var error) is null)
            {
                return ValidationResult.Error($"--sensitive: {error?.Replace("--to ", "", StringComparison.Ordinal)}");
            }
        }
        return ValidationResult.Success();
    }
}

/// <summary><c>policytrail report</c>: one evidence report (HTML or JSON) of a period, for auditors.</summary>
internal sealed class ReportCommand(Terminal terminal) : Command<ReportSettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<ReportCommand>("report")
            .WithDescription("Write one evidence report of a period for auditors: scope, data sources and their completeness (gaps, rejected lines), the ledger's verification and the checkpoint it rests on, who accessed the sensitive services, which workloads talked, which cross-namespace attempts were denied, coverage, policy changes and where the CNI disagrees with the policies. HTML is one self-contained page (inline SVG charts, prints to PDF); JSON holds the same. Exit 1 when the ledger fails verification (the report is still written and says so). See docs/REPORT.md.")
            .WithExample("report", "-o", "report.html")
            .WithExample("report", "--since", "30d", "--sensitive", "svc:payments/api", "--sensitive", "app=postgres", "-o", "report.html")
            .WithExample("report", "--store", "audit.duckdb", "--since", "2026-11-01T00:00:00Z", "--until", "2026-12-01T00:00:00Z", "--key", "auditor/policytrail.pub", "-o", "november.html")
            .WithExample("report", "--since", "7d", "-o", "report.json");

    public override int Execute(CommandContext context, ReportSettings settings, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var verify = !settings.NoVerify;
        PolicyTrail.Ledger.Checkpoints.NoteVerifier? key = null;
        string? keySource = null;
        if (verify && (settings.Key is not null || File.Exists(Path.Combine(settings.StoreFolder, Keys.KeysInitCommand.VerifierFile))))
        {
            (key, keySource) = StoreSettings.VerifierKey(settings.Key, settings.StoreFolder);
        }
        var kept = StoreSettings.ReadKeptCheckpoints(settings.Checkpoints);
        var options = new ReportOptions
        {
            Since = settings.Since is null ? long.MinValue : FilterSettings.ParseTime(settings.Since, now)!.Value,
            Until = settings.Until is null ? long.MaxValue : FilterSettings.ParseTime(settings.Until, now)!.Value,
            Sensitive = settings.Sensitive,
            Verify = verify,
            VerifierKey = key,
            VerifierKeySource = keySource,
            KeptCheckpoints = kept,
            StorePath = settings.Store,
            TopRows = settings.Top,
        };
        using var store = settings.OpenExisting();
        ReportModel model;
        try
        {
            model = ReportBuilder.Build(store, options, now);
        }
        catch (ArgumentException e)
        {
            throw new UserInputException(e.Message);
        }
        var output = settings.Output!;
        try
        {
            using var file = File.Create(output);
            if (settings.ResolvedFormat == "json")
            {
                JsonReport.Write(model, file);
            }
            else
            {
                HtmlReport.Write(model, file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{output}: cannot write the report: {e.Message}");
        }
        foreach (var access in model.Access.Where(a => a.Error is not null))
        {
            terminal.Error.WriteLine($"warning: --sensitive {access.Target.Selector}: {access.Error}");
        }
        var v = model.Verification;
        var verification = v.Status switch
        {
            VerificationStatus.Intact => string.Create(CultureInfo.InvariantCulture, $"ledger verified ({v.Entries} entries, checkpoint of size {v.Checkpoint?.Size})"),
            VerificationStatus.Failed => $"ledger verification FAILED: {v.Problem}",
            VerificationStatus.NoKey => "ledger not verified (no verifier key: give --key)",
            _ => "ledger not verified (--no-verify)",
        };
        var s = model.Scope;
        terminal.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {output}: {s.FlowEntries} flow entries, {s.GapEntries} gaps and {s.PolicyChangeEntries} policy changes from {Times.Exact(s.Since)} to {Times.Exact(s.Until)}; {verification}"));
        return v.Status == VerificationStatus.Failed ? ExitCodes.Findings : ExitCodes.Ok;
    }
}
