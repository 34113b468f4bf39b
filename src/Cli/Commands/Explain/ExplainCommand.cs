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
        var stopwatch = Stopwatch.StartNew();
        BatchStats stats;
        using (input)
        {
            stats = new BatchExplainer(engine, output, useCache: !settings.NoCache, name).Run(input, terminal.OutStream, terminal.Error, cancellationToken);
        }
        var seconds = stopwatch.Elapsed.TotalSeconds;
        terminal.Error.WriteLine(
            $"explained {stats.Probes} probes in {seconds:F2}s ({(seconds > 0 ? stats.Probes / seconds : 0):F0}/s): {stats.Allow} allow, {stats.Deny} deny, {stats.Unknown} unknown ({stats.Errors} could not be evaluated)"
            + (stats.Malformed > 0 ? $"; {stats.Malformed} malformed lines" : "")
            + (settings.NoCache ? "" : $"; cache hits {stats.CacheHits}"));
        return stats.Malformed > 0 ? ExitCodes.UsageOrInput : ExitCodes.Ok;
    }
}
