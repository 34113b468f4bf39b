using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Explain;

/// <summary>Options of <c>policytrail explain</c>.</summary>
internal sealed class ExplainSettings : ClusterSettings
{
    [CommandOption("--from <SRC>")]
    [Description("Source: namespace/pod or an IP address. Example: --from x/a, --from 203.0.113.9")]
    public string? From { get; set; }

    [CommandOption("--to <DST>")]
    [Description("Destination: namespace/pod, service:namespace/name, a Service ClusterIP (evaluated against its backends) or an IP address. Example: --to y/b")]
    public string? To { get; set; }

    [CommandOption("-p|--port <PORT>")]
    [Description("Destination port: a number, or a name resolved on the destination pod's container ports (a service port name for a service). Example: --port 80, --port http")]
    public string? Port { get; set; }

    [CommandOption("--protocol <PROTOCOL>")]
    [Description("TCP (default), UDP or SCTP. Example: --protocol UDP")]
    public string? Protocol { get; set; }

    [CommandOption("--probes <FILE>")]
    [Description("Batch mode: a JSON-lines file (or - for stdin) of {\"from\", \"to\", \"port\", \"protocol\"}; one answer per line, in input order. Example: --probes probes.jsonl -o jsonl")]
    public string? Probes { get; set; }

    [CommandOption("-o|--output <FORMAT>")]
    [Description("text (default for one probe), json, or jsonl (default for --probes). Example: -o json")]
    public string? Output { get; set; }

    [CommandOption("--no-cache")]
    [Description("Decide every probe afresh instead of remembering repeated ones (for measuring). Example: --no-cache")]
    public bool NoCache { get; set; }

    public override ValidationResult Validate()
    {
        if (Output is not (null or "text" or "json" or "jsonl"))
        {
            return ValidationResult.Error($"-o must be text, json or jsonl, not '{Output}'");
        }
        if (Probes is not null)
        {
            if (From is not null || To is not null || Port is not null)
            {
                return ValidationResult.Error("--probes cannot be combined with --from, --to or --port");
            }
            return ValidationResult.Success();
        }
        var missing = new[] { ("--from", From), ("--to", To), ("--port", Port) }.Where(p => string.IsNullOrWhiteSpace(p.Item2)).Select(p => p.Item1).ToList();
        if (missing.Count > 0)
        {
            return ValidationResult.Error($"{string.Join(", ", missing)} required (or --probes FILE)");
        }
        if (Protocol is not null && !Core.ProtocolNames.TryParse(Protocol, out _))
        {
            return ValidationResult.Error($"--protocol must be TCP, UDP or SCTP, not '{Protocol}'");
        }
        return ValidationResult.Success();
    }
}
