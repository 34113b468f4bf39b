using System.ComponentModel;
using PolicyTrail.Cli.Commands.Ledger;
using PolicyTrail.Query.Answers;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Answers;

/// <summary>Options every flow question shares: the entry filters (--since, --until, --namespace, ...) and -o.</summary>
internal class AnswerSettings : FilterSettings
{
    [CommandOption("-o|--output <FORMAT>")]
    [Description("table (default, for people), json (an array of rows, for scripts) or csv. Example: -o json")]
    [DefaultValue("table")]
    public string Output { get; set; } = "table";

    public override ValidationResult Validate() =>
        Output is not ("table" or "json" or "csv")
            ? ValidationResult.Error($"-o must be table, json or csv, not '{Output}'")
            : base.Validate();
}

/// <summary>Options of <c>policytrail access</c>.</summary>
internal sealed class AccessSettings : AnswerSettings
{
    [CommandOption("--to <TARGET>")]
    [Description("The destination: NS (any pod in it), NS/POD, NS/SVC (the Service's addresses and backends), pod:NS/POD, svc:NS/NAME, or a label selector (app=api,tier in (db)). Example: --to payments/api")]
    public string? To { get; set; }

    public override ValidationResult Validate()
    {
        if (To is null)
        {
            return ValidationResult.Error("access needs --to NS, NS/POD, NS/SVC or a label selector");
        }
        return AccessTarget.Parse(To, out var error) is null ? ValidationResult.Error(error!) : base.Validate();
    }
}

/// <summary>Options of <c>policytrail denied</c>.</summary>
/// <remarks>--cross-namespace is the shared filter option: only attempts between pods of two different namespaces.</remarks>
internal sealed class DeniedSettings : AnswerSettings;

/// <summary>Options of <c>policytrail coverage</c>.</summary>
internal sealed class CoverageSettings : StoreSettings
{
    [CommandOption("--at <TIME>")]
    [Description("The instant to look at: RFC 3339 or a duration back from now (2h, 7d). Default: now. Example: --at 2026-11-27T09:00:00Z")]
    public string? At { get; set; }

    [CommandOption("-o|--output <FORMAT>")]
    [Description("table (default), json (one object: pods and namespacesWithoutPolicy) or csv (one row per pod or namespace). Example: -o json")]
    [DefaultValue("table")]
    public string Output { get; set; } = "table";

    public override ValidationResult Validate()
    {
        if (Output is not ("table" or "json" or "csv"))
        {
            return ValidationResult.Error($"-o must be table, json or csv, not '{Output}'");
        }
        if (At is not null && FilterSettings.ParseTime(At, DateTimeOffset.UtcNow) is null)
        {
            return ValidationResult.Error($"--at '{At}': use RFC 3339 (2026-11-27T10:00:00Z) or a duration (30s, 90m, 2h, 7d)");
        }
        return ValidationResult.Success();
    }
}
