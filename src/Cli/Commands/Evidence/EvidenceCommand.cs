using System.ComponentModel;
using System.Reflection;
using PolicyTrail.Cli.Commands.Ledger;
using PolicyTrail.Ledger.Evidence;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Evidence;

/// <summary>Options of <c>policytrail evidence</c>: the shared query filters, where the bundle goes, and the key.</summary>
internal sealed class EvidenceSettings : FilterSettings
{
    [CommandOption("-o|--output <BUNDLE.zip>")]
    [Description("The bundle to write (a zip archive; required). An existing file is kept unless --force is given. Example: -o evidence-2026-11.zip")]
    public string? Output { get; set; }

    [CommandOption("--force")]
    [Description("Replace the output file when it exists.")]
    public bool Force { get; set; }

    [CommandOption("--key <VERIFIER-KEY>")]
    [Description("The verifier key the checkpoint must verify with, bundled as verifier.vkey: the key, or a file holding it. Default: policytrail.pub beside the store. Example: --key /etc/policytrail/policytrail.pub")]
    public string? Key { get; set; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrEmpty(Output))
        {
            return ValidationResult.Error("-o BUNDLE.zip is required (where to write the evidence bundle)");
        }
        if (Output == CliApp.StdinArgument)
        {
            return ValidationResult.Error("-o must name a file: the bundle is a zip archive, not written to standard output");
        }
        return base.Validate();
    }

    /// <summary>The filter options as given (long name → values; a flag has none), in declaration order, for the manifest and README.</summary>
    public IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> FiltersAsGiven()
    {
        var given = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        foreach (var property in typeof(FilterSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.DeclaringType == typeof(FilterSettings)))
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is not { } option || option.LongNames.FirstOrDefault() is not { } name)
            {
                continue;
            }
            IReadOnlyList<string>? values = property.GetValue(this) switch
            {
                string text when name != "order" || text != "asc" => [text],
                string[] { Length: > 0 } many => many,
                true => [],
                long number => [number.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                _ => null,
            };
            if (values is not null)
            {
                given.Add(new($"--{name}", values));
            }
        }
        return given;
    }
}

/// <summary><c>policytrail evidence</c>: an evidence bundle an auditor checks offline.</summary>
internal sealed class EvidenceCommand(Terminal terminal) : Command<EvidenceSettings>
{
    public static void Register(IConfigurator config)
    {
        // A plain command, not a branch with a default command: Spectre's branch parsing misreads repeated options
        // (--to-namespace a --to-namespace b). 'evidence verify' is routed to its own command by VerifyArguments.
        config.AddCommand<EvidenceCommand>("evidence")
            .WithDescription("Write an evidence bundle (zip) an auditor checks offline: the entries the filters select, the policy-change entries that define the policies in force during the period, an inclusion proof for each against the latest signed checkpoint, that checkpoint, the verifier key, a manifest and a README. Filters as for 'query'; entries after the checkpoint cannot be proven and are counted, not included. Exit 0 written, 1 the store does not match its checkpoint, 2 usage (no checkpoint yet, wrong key, output exists). Check a bundle with 'policytrail evidence verify BUNDLE --key KEY'.")
            .WithExample("evidence", "--since", "2026-11-01T00:00:00Z", "--until", "2026-12-01T00:00:00Z", "--to-namespace", "payments", "-o", "payments-2026-11.zip")
            .WithExample("evidence", "--since", "30d", "--verdict", "deny", "--cross-namespace", "-o", "denied.zip", "--force")
            .WithExample("evidence", "--store", "audit.duckdb", "--key", "/etc/policytrail/policytrail.pub", "--service", "payments/api", "--since", "7d", "-o", "api.zip");
        EvidenceVerifyCommand.Register(config);
    }

    /// <summary>'evidence verify ...' as the command it names ('evidence-verify ...'); other arguments unchanged.</summary>
    public static string[] VerifyArguments(string[] args) =>
        args is ["evidence", "verify", .. var rest] ? [EvidenceVerifyCommand.Name, .. rest] : args;

    public override int Execute(CommandContext context, EvidenceSettings settings, CancellationToken cancellationToken)
    {
        var output = settings.Output!;
        if (File.Exists(output) && !settings.Force)
        {
            throw new UserInputException($"{output}: exists already (use --force to replace it)");
        }
        if (Directory.Exists(output))
        {
            throw new UserInputException($"{output}: is a folder; -o names the zip file to write");
        }
        using var store = settings.OpenExisting();
        var (key, _) = StoreSettings.VerifierKey(settings.Key, settings.StoreFolder);
        var now = DateTimeOffset.UtcNow;
        var filter = settings.Filter(now, store);
        var request = new EvidenceRequest
        {
            Filter = filter,
            Since = filter.Since,
            Until = filter.Until,
            Limit = settings.Limit,
            Descending = settings.Order == "desc",
            FiltersAsGiven = settings.FiltersAsGiven(),
            Key = key,
            GeneratedAt = now,
            Generator = $"policytrail {typeof(EvidenceCommand).Assembly.GetName().Version?.ToString(3) ?? "?"}",
        };
        var folder = Path.GetDirectoryName(Path.GetFullPath(output))!;
        if (!Directory.Exists(folder))
        {
            throw new UserInputException($"{output}: the folder {folder} does not exist");
        }
        // Written beside the target and moved into place, so a failed run never leaves a half bundle under its name.
        var partial = Path.Combine(folder, $".{Path.GetFileName(output)}.{Environment.ProcessId}.partial");
        EvidenceSummary summary;
        try
        {
            using (var file = File.Create(partial))
            {
                summary = EvidenceBundleWriter.Write(store, request, file);
            }
            File.Move(partial, output, overwrite: settings.Force);
        }
        catch (EvidenceException e)
        {
            if (e.StoreInconsistent)
            {
                terminal.Error.WriteLine($"policytrail: {settings.Store}: {e.Message}");
                return ExitCodes.Findings;
            }
            throw new UserInputException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{output}: cannot write the bundle: {e.Message}");
        }
        finally
        {
            File.Delete(partial);
        }
        var policies = summary.PoliciesInForceAtStart + summary.PolicyChangesInPeriod;
        terminal.Error.WriteLine($"wrote {output}: {summary.Entries} entries and {policies} policy versions ({summary.PoliciesInForceAtStart} in force at the start, {summary.PolicyChangesInPeriod} changes), each proven against checkpoint size {summary.TreeSize} (root {Convert.ToHexStringLower(summary.RootHash)[..16]}...) of {summary.Origin}");
        if (summary.EntriesAfterCheckpoint > 0 || summary.PolicyChangesAfterCheckpoint > 0)
        {
            terminal.Error.WriteLine($"warning: {summary.EntriesAfterCheckpoint} matching entries and {summary.PolicyChangesAfterCheckpoint} policy changes lie after the latest checkpoint (size {summary.TreeSize}) and are not in the bundle; they are counted in its manifest and README (the next ingest signs a checkpoint that covers them)");
        }
        if (summary.EntriesLeftOutByLimit > 0)
        {
            terminal.Error.WriteLine($"note: --limit left out {summary.EntriesLeftOutByLimit} further matching entries");
        }
        return ExitCodes.Ok;
    }
}
