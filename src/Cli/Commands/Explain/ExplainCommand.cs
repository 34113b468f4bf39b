using System.Diagnostics;
using System.Text.Json;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Policy.Evaluation;
using PolicyTrail.Policy.Explanation;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Explain;

/// <summary><c>policytrail explain</c>: decide one connection, or a batch of probes, and say which policy and rule decided it.</summary>
internal sealed class ExplainCommand(Terminal terminal) : Command<ExplainSettings>
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public static void Register(IConfigurator config) =>
        config.AddCommand<ExplainCommand>("explain")
            .WithDescription("Decide whether a connection is allowed by the cluster's NetworkPolicies, and name the policy, rule, peer and port that decided it.")
            .WithExample("explain", "--cluster", "examples/cluster", "--from", "frontend/web-7d4b9c-x2x7p", "--to", "payments/api-5f6c8d-k9j2q", "--port", "8443")
            .WithExample("explain", "--cluster", "examples/cluster", "--from", "payments/api-5f6c8d-k9j2q", "--to", "203.0.113.10", "--port", "443", "-o", "json")
            .WithExample("explain", "-c", "examples/cluster", "--from", "monitoring/prometheus-0", "--to", "payments/api-5f6c8d-k9j2q", "--port", "metrics")
            .WithExample("explain", "-c", "examples/cluster", "--from", "frontend/web-7d4b9c-x2x7p", "--to", "service:payments/api", "--port", "443")
            .WithExample("explain", "-c", "examples/cluster", "--from", "kube-system/coredns-5d78c9869d-abcde", "--to", "10.96.0.10", "--port", "53", "--protocol", "UDP")
            .WithExample("explain", "-c", "examples/cluster", "--probes", "examples/probes.jsonl", "-o", "jsonl")
            .WithExample("explain", "-c", "snapshot.json", "--probes", "-", "--ipblock-selects-pods", "false", "--no-cache");

    public override int Execute(CommandContext context, ExplainSettings settings, CancellationToken cancellationToken)
    {
        var cluster = settings.ReadCluster(terminal);
        var engine = PolicyEngine.Create(cluster.Snapshot, settings.EngineOptions);
        return settings.Probes is null ? ExplainOne(engine, settings) : ExplainBatch(engine, settings, cancellationToken);
    }

    private int ExplainOne(PolicyEngine engine, ExplainSettings settings)
    {
        ProtocolNames.TryParse(settings.Protocol ?? "TCP", out var protocol);
        var port = PortRef.Parse(settings.Port!.Trim());
        var decision = engine.Explain(settings.From!, settings.To!, port, protocol);
        if (settings.Output is "json" or "jsonl")
        {
            using var writer = new Utf8JsonWriter(terminal.OutStream, new JsonWriterOptions { Indented = settings.Output == "json" });
            DecisionJsonWriter.WriteProbe(writer, settings.From!, settings.To!, port, decision);
            writer.Flush();
            terminal.OutStream.Write(NewLine);
        }
        else
        {
            TextDecisionWriter.Write(terminal.Out, decision);
        }
        if (decision.Error is not null)
        {
            terminal.Error.WriteLine($"policytrail: {decision.Error}");
            return ExitCodes.UsageOrInput;
        }
        return ExitCodes.Ok;
    }

    private int ExplainBatch(PolicyEngine engine, ExplainSettings settings, CancellationToken cancellationToken)
    {
        var stdin = settings.Probes is "-" or CliApp.StdinArgument;
        var name = stdin ? "-" : settings.Probes!;
        Stream input;
        try
        {
            input = stdin ? terminal.OpenInput() : File.OpenRead(name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{name}: cannot read probes: {e.Message}");
        }
        var output = settings.Output ?? "jsonl";
        var cache = settings.NoCache ? null : new DecisionCache(engine);
        var stopwatch = Stopwatch.StartNew();
        long lines = 0, probes = 0, malformed = 0, allow = 0, deny = 0, unknown = 0, errors = 0;
        using var writer = new Utf8JsonWriter(terminal.OutStream, new JsonWriterOptions { Indented = output == "json" });
        if (output == "json")
        {
            writer.WriteStartArray();
        }
        using (input)
        {
            foreach (var line in LineReader.ReadLines(input))
            {
                cancellationToken.ThrowIfCancellationRequested();
                lines++;
                if (IsBlank(line.Span))
                {
                    continue;
                }
                if (!ProbeReader.TryParse(line.Span, out var probe, out var error))
                {
                    malformed++;
                    terminal.Error.WriteLine($"policytrail: {name}:{lines}: not a probe: {error}");
                    if (output != "text")
                    {
                        writer.WriteStartObject();
                        writer.WriteNumber("line", lines);
                        writer.WriteString("verdict", "unknown");
                        writer.WriteString("error", $"line {lines}: not a probe: {error}");
                        writer.WriteEndObject();
                        EndRecord(writer, output);
                    }
                    continue;
                }
                probes++;
                var decision = cache is null
                    ? engine.Explain(probe!.From, probe.To, probe.Port, probe.Protocol)
                    : cache.Explain(probe!.From, probe.To, probe.Port, probe.Protocol);
                switch (decision.Verdict)
                {
                    case Verdict.Allow: allow++; break;
                    case Verdict.Deny: deny++; break;
                    default: unknown++; break;
                }
                if (decision.Error is not null)
                {
                    errors++;
                }
                if (output == "text")
                {
                    writer.Flush();
                    terminal.Out.WriteLine($"{probe.From} -> {probe.To} {probe.Protocol.ToName()}/{probe.Port}: {decision.Explanation}");
                }
                else
                {
                    DecisionJsonWriter.WriteProbe(writer, probe.From, probe.To, probe.Port, decision);
                    EndRecord(writer, output);
                }
            }
        }
        if (output == "json")
        {
            writer.WriteEndArray();
            writer.Flush();
            terminal.OutStream.Write(NewLine);
        }
        writer.Flush();
        var seconds = stopwatch.Elapsed.TotalSeconds;
        terminal.Error.WriteLine(
            $"explained {probes} probes in {seconds:F2}s ({(seconds > 0 ? probes / seconds : 0):F0}/s): {allow} allow, {deny} deny, {unknown} unknown ({errors} could not be evaluated)"
            + (malformed > 0 ? $"; {malformed} malformed lines" : "")
            + (cache is not null ? $"; cache hits {cache.Hits}" : ""));
        return malformed > 0 ? ExitCodes.UsageOrInput : ExitCodes.Ok;
    }

    private void EndRecord(Utf8JsonWriter writer, string output)
    {
        if (output == "jsonl")
        {
            writer.Flush();
            terminal.OutStream.Write(NewLine);
            writer.Reset();
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
            {
                return false;
            }
        }
        return true;
    }
}
