using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Parse;

/// <summary>Options of <c>policytrail parse</c>.</summary>
internal sealed class ParseSettings : SourceSettings
{
    [CommandOption("--formats")]
    [Description("List the supported formats and exit. Example: --formats")]
    public bool ListFormats { get; set; }

    [CommandOption("-o|--output <FORMAT>")]
    [Description("jsonl (default: one normalized record per line) or table. Example: -o table")]
    [DefaultValue("jsonl")]
    public string Output { get; set; } = "jsonl";

    [CommandOption("--follow")]
    [Description("Keep reading the files as they grow, across rotation and truncation, until interrupted (Ctrl+C or SIGTERM). Example: --follow /var/log/antrea/networkpolicy/np.log")]
    public bool Follow { get; set; }

    public override ValidationResult Validate()
    {
        if (ListFormats)
        {
            return ValidationResult.Success();
        }
        if (ValidateSources() is { } problem)
        {
            return problem;
        }
        if (Output is not ("jsonl" or "table"))
        {
            return ValidationResult.Error($"-o must be jsonl or table, not '{Output}'");
        }
        if (Follow && Files.Any(f => f is "-" or CliApp.StdinArgument))
        {
            return ValidationResult.Error("--follow reads files; for stdin just pipe into parse without --follow");
        }
        return ValidationResult.Success();
    }
}
