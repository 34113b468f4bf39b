using System.Runtime.InteropServices;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Output;
using PolicyTrail.Sources.Pipeline;
using PolicyTrail.Sources.Reading;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Parse;

/// <summary><c>policytrail parse</c>: read flow logs of any supported CNI and print them as normalized records.</summary>
internal sealed class ParseCommand(Terminal terminal) : Command<ParseSettings>
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public static void Register(IConfigurator config) =>
        config.AddCommand<ParseCommand>("parse")
            .WithDescription("Read CNI flow and policy logs (Hubble, Calico, Antrea, OVN, AWS, GKE, netfilter, ...) and print one normalized record per line; rejected lines are counted and kept with their reason.")
            .WithExample("parse", "hubble.jsonl")
            .WithExample("parse", "logs/", "-o", "table")
            .WithExample("parse", "np.log", "--format", "antrea-np", "--timezone", "Europe/Berlin", "--node", "worker-1")
            .WithExample("parse", "kern.log", "--year", "2026", "--netfilter-prefix", "calico", "--netfilter-prefix", "DROP-NP:=deny:default/deny-all")
            .WithExample("parse", "flows.jsonl.gz", "--rejects", "rejects.jsonl")
            .WithExample("parse", "--follow", "/var/log/antrea/networkpolicy/np.log")
            .WithExample("parse", "-", "-f", "hubble")
            .WithExample("parse", "--formats");

    public override int Execute(CommandContext context, ParseSettings settings, CancellationToken cancellationToken)
    {
        if (settings.ListFormats)
        {
            foreach (var format in FormatRegistry.All)
            {
                terminal.Out.WriteLine($"{format.Name,-24} {format.Description}");
            }
            return ExitCodes.Ok;
        }
        IReadOnlyList<Input> inputs;
        try
        {
            inputs = Inputs.Expand(settings.Files.Select(f => f == CliApp.StdinArgument ? "-" : f));
        }
        catch (FileNotFoundException e)
        {
            throw new UserInputException(e.Message);
        }
        if (inputs.Count == 0)
        {
            throw new UserInputException($"{string.Join(", ", settings.Files)}: no files to read");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });

        using var rejects = settings.Rejects is null ? null : OpenRejects(settings.Rejects);
        // Records are data for people and tools, not for embedding in HTML: keep quotes and '+' readable.
        var jsonOptions = new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using var rejectWriter = rejects is null ? null : new Utf8JsonWriter(rejects, jsonOptions);
        using var json = new Utf8JsonWriter(terminal.OutStream, jsonOptions);
        var table = settings.Output == "table";
        if (table)
        {
            terminal.Out.WriteLine($"{"TIME",-30} {"FORMAT",-10} {"SOURCE",-40} {"DESTINATION",-40} {"PROTO",-6} {"VERDICT",-8} POLICIES");
        }
        var reader = new FlowReader(settings.ReadOptions(terminal.OpenInput) with { Follow = settings.Follow });
        ReadSummary summary;
        try
        {
            summary = reader.Read(
                inputs,
                record =>
                {
                    if (table)
                    {
                        terminal.Out.WriteLine(TableRow(record));
                    }
                    else
                    {
                        RecordJsonWriter.Write(json, record);
                        json.Flush();
                        json.Reset();
                        terminal.OutStream.Write(NewLine);
                    }
                    if (settings.Follow)
                    {
                        terminal.Flush();
                    }
                },
                reject =>
                {
                    if (rejectWriter is not null)
                    {
                        RecordJsonWriter.WriteReject(rejectWriter, reject);
                        rejectWriter.Flush();
                        rejectWriter.Reset();
                        rejects!.Write(NewLine);
                    }
                },
                stop.Token);
        }
        catch (OperationCanceledException) when (settings.Follow)
        {
            terminal.Error.WriteLine("policytrail: stopped");
            return ExitCodes.Ok;
        }
        WriteSummary(summary);
        if (summary.Read == 0)
        {
            terminal.Error.WriteLine("policytrail: nothing could be read" + (summary.Unreadable.Count > 0 ? "" : " (the inputs are empty)"));
            return ExitCodes.UsageOrInput;
        }
        return summary.Rejected > 0 || summary.Unreadable.Count > 0 ? ExitCodes.Findings : ExitCodes.Ok;
    }

    private static FileStream OpenRejects(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: cannot write rejects: {e.Message}");
        }
    }

    private void WriteSummary(ReadSummary summary)
    {
        foreach (var line in summary.Unreadable)
        {
            terminal.Error.WriteLine($"policytrail: {line}");
        }
        foreach (var name in summary.Unrecognised)
        {
            terminal.Error.WriteLine($"policytrail: {name}: no supported format recognises this input; its lines are rejected (name one with --format; see --formats)");
        }
        terminal.Error.WriteLine($"read {summary.Read} lines: {summary.Normalized} normalized ({summary.Flows} flows, {summary.Gaps} gaps{(summary.PolicyChanges > 0 ? $", {summary.PolicyChanges} policy changes" : "")}), {summary.Skipped} skipped, {summary.Rejected} rejected");
        foreach (var f in summary.Formats.Values)
        {
            var skipped = f.Skipped.Count == 0 ? "" : $" ({string.Join(", ", f.Skipped.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"))})";
            terminal.Error.WriteLine($"  {f.Name}: {f.Inputs} input{(f.Inputs == 1 ? "" : "s")}, {f.Read} read, {f.Flows} flows, {f.Gaps} gaps,{(f.Other > 0 ? $" {f.Other} policy changes," : "")} {f.Skipped.Values.Sum()} skipped{skipped}, {f.Rejected} rejected");
        }
    }

    private static string TableRow(NormalizedRecord record) => record switch
    {
        FlowRecord f => $"{f.Time,-30} {f.Source.Format,-10} {Endpoint(f.Src),-40} {Endpoint(f.Dst),-40} {(f.Protocol == Protocol.Unknown ? "-" : f.Protocol.ToName()),-6} {f.Reported.Verdict.ToName(),-8} {string.Join(",", f.Reported.Policies)}",
        GapRecord g => $"{g.Time,-30} {g.Source.Format,-10} GAP: {g.Reason}{(g.Lost is { } lost ? $" ({lost} lost)" : "")}",
        PolicyChangeRecord c => $"{c.Time,-30} {c.Source.Format,-10} POLICY {c.Verb} {c.Resource} {c.Namespace}/{c.Name} by {c.User ?? "?"} ({c.ResponseCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no status"})",
        _ => "",
    };

    private static string Endpoint(FlowEndpoint e)
    {
        var ipv6 = e.Pod is null && e.IP?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var who = e.Pod is not null ? $"{e.Namespace}/{e.Pod}"
            : e.IP?.ToString() ?? (e.Workload is not null ? $"{e.Namespace}/{e.Workload}" : e.Namespace ?? "?");
        return e.Port is { } port && port > 0 ? (ipv6 ? $"[{who}]:{port}" : $"{who}:{port}") : who;
    }
}
