using System.ComponentModel;
using PolicyTrail.Cli.Commands.Ledger;
using PolicyTrail.Export;
using PolicyTrail.Export.Delivery;
using PolicyTrail.Export.Mapping;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Export;

/// <summary>Options of <c>policytrail export</c>: every entry filter <c>query</c> has, plus the format and the destination.</summary>
internal sealed class ExportSettings : FilterSettings
{
    [CommandOption("--format <FORMAT>")]
    [Description("ocsf (OCSF 1.3 Network Activity JSON), ecs (Elastic Common Schema 8.17 JSON), cef (ArcSight CEF) or syslog (RFC 5424). Example: --format ocsf")]
    public string? Format { get; set; }

    [CommandOption("-o|--output <FILE>")]
    [Description("Write the records to this file (one per line) instead of standard output. Example: -o flows.ocsf.jsonl")]
    public string? Output { get; set; }

    [CommandOption("--to <URL>")]
    [Description("Send the records to a collector: udp://HOST:PORT (one datagram each) or tcp://HOST:PORT (syslog octet-counted, RFC 6587; the others one per line). Example: --to tcp://siem.example:6514")]
    public string? To { get; set; }

    public override ValidationResult Validate()
    {
        if (Format is null)
        {
            return ValidationResult.Error($"--format is required: {string.Join(", ", ExportFormats.Names)}");
        }
        if (!ExportFormats.Names.Contains(Format))
        {
            return ValidationResult.Error($"--format must be {string.Join(", ", ExportFormats.Names)}, not '{Format}'");
        }
        if (Output is not null && To is not null)
        {
            return ValidationResult.Error("give -o FILE or --to URL, not both");
        }
        if (To is not null && !Destination.TryParse(To, out _, out _, out _, out var error))
        {
            return ValidationResult.Error(error);
        }
        return base.Validate();
    }
}

/// <summary><c>policytrail export</c>: ledger entries as SIEM records, each naming its ledger index and entry hash.</summary>
internal sealed class ExportCommand(Terminal terminal) : Command<ExportSettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<ExportCommand>("export")
            .WithDescription("Export ledger entries as OCSF, ECS, CEF or RFC 5424 syslog records, to standard output, a file or a UDP/TCP collector. Every record keeps the entry's index and leaf hash, so 'policytrail prove --entry N' proves it later. Takes the same filters as 'query'.")
            .WithExample("export", "--format", "ocsf", "--since", "24h", "-o", "flows.ocsf.jsonl")
            .WithExample("export", "--format", "ecs", "--verdict", "deny")
            .WithExample("export", "--format", "cef", "--namespace", "payments", "--to", "udp://siem.example:514")
            .WithExample("export", "--format", "syslog", "--to", "tcp://127.0.0.1:6514");

    public override int Execute(CommandContext context, ExportSettings settings, CancellationToken cancellationToken)
    {
        using var store = settings.OpenExisting();
        var options = new ExportOptions { LogOrigin = store.LoadState()?.Identity.Origin };
        var mapper = ExportFormats.Create(settings.Format!, options)!;
        var filter = settings.Filter(DateTimeOffset.UtcNow, store);
        long count;
        try
        {
            using var sink = OpenSink(settings, mapper);
            count = LedgerExport.Run(store, filter, mapper, sink, cancellationToken);
        }
        catch (DeliveryException e)
        {
            throw new UserInputException(e.Message);
        }
        var where = settings.To ?? settings.Output ?? "standard output";
        terminal.Error.WriteLine($"{count} entr{(count == 1 ? "y" : "ies")} exported as {settings.Format} to {where}");
        return ExitCodes.Ok;
    }

    private IRecordSink OpenSink(ExportSettings settings, IEntryMapper mapper)
    {
        if (settings.To is { } to)
        {
            return Destination.Open(to, mapper.OctetCountingOverTcp);
        }
        if (settings.Output is { } path)
        {
            try
            {
                return new StreamSink(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), leaveOpen: false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserInputException($"{path}: cannot write: {e.Message}");
            }
        }
        return new StreamSink(terminal.OutStream, leaveOpen: true);
    }
}
