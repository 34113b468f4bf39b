using System.ComponentModel;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Pipeline;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands;

/// <summary>Options every verb that reads flow logs shares: the inputs, the format and what ambiguous formats need.</summary>
internal class SourceSettings : CommandSettings
{
    [CommandArgument(0, "[FILE]")]
    [Description("Flow or policy log files, folders (read recursively) or - for stdin; plain or gzip. Example: hubble.jsonl np.log.gz logs/")]
    public string[] Files { get; set; } = [];

    [CommandOption("-f|--format <FORMAT>")]
    [Description("auto (default: detected per input from its first lines) or a format name from 'policytrail parse --formats'. Example: --format antrea-np")]
    [DefaultValue("auto")]
    public string Format { get; set; } = "auto";

    [CommandOption("--rejects <PATH>")]
    [Description("Write every rejected line as JSON (file, line, format, reason, raw) to this file. Example: --rejects rejects.jsonl")]
    public string? Rejects { get; set; }

    [CommandOption("--timezone <ZONE>")]
    [Description("IANA zone for timestamps written without one (Antrea np.log, BSD syslog); default UTC. Example: --timezone Europe/Berlin")]
    public string? TimeZone { get; set; }

    [CommandOption("--year <YEAR>")]
    [Description("Year for timestamps written without one (syslog 'Nov 27 10:00:00'); default: each file's modification year. Example: --year 2026")]
    public int? Year { get; set; }

    [CommandOption("--node <NAME>")]
    [Description("Node that wrote inputs whose lines do not name it (kernel logs, np.log). Example: --node worker-1")]
    public string? Node { get; set; }

    [CommandOption("--netfilter-prefix <RULE>")]
    [Description("Netfilter LOG prefix mapping, repeatable: PREFIX=allow|deny[[:policy]], or a preset (calico, kube-router). Example: --netfilter-prefix 'DROP-NP:=deny:default/deny-all'")]
    public string[] NetfilterPrefixes { get; set; } = [];

    /// <summary>The reading options these settings ask for.</summary>
    public FlowReadOptions ReadOptions(Func<Stream> stdin) => new()
    {
        Format = Format == "auto" ? null : FormatRegistry.Find(Format),
        Stdin = stdin,
        FormatOptions = new FormatOptions
        {
            TimeZone = TimeZone is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(TimeZone),
            Year = Year,
            Node = Node,
            NetfilterPrefixes = NetfilterPrefixes,
        },
    };

    /// <summary>Checks the shared options (null when they are fine).</summary>
    protected ValidationResult? ValidateSources()
    {
        if (Files.Length == 0)
        {
            return ValidationResult.Error("give at least one FILE (or - for stdin)");
        }
        if (Format != "auto" && FormatRegistry.Find(Format) is null)
        {
            return ValidationResult.Error($"unknown format '{Format}' (known: {string.Join(", ", FormatRegistry.All.Select(f => f.Name))})");
        }
        if (TimeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
        {
            return ValidationResult.Error($"unknown time zone '{TimeZone}' (use an IANA name such as Europe/Berlin or UTC)");
        }
        if (Year is < 1970 or > 9999)
        {
            return ValidationResult.Error($"--year must be between 1970 and 9999, not {Year}");
        }
        foreach (var entry in NetfilterPrefixes)
        {
            if (Sources.Netfilter.NetfilterFormat.ValidatePrefixRule(entry) is { } problem)
            {
                return ValidationResult.Error($"--netfilter-prefix '{entry}': {problem}");
            }
        }
        return null;
    }
}
