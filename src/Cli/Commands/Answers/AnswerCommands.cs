using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Query.Answers;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Answers;

/// <summary><c>policytrail access</c>: who connected, or tried to, to a destination.</summary>
internal sealed class AccessCommand(Terminal terminal) : Command<AccessSettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<AccessCommand>("access")
            .WithDescription("Who accessed, or tried to access, a destination: every source (namespace, workload, pod or external address) with attempts, allowed, denied, first and last seen and the deciding policies.")
            .WithExample("access", "--to", "payments/api-5f6c8d-k9j2q", "--since", "7d")
            .WithExample("access", "--to", "svc:payments/api", "-o", "json")
            .WithExample("access", "--to", "payments", "--since", "2026-11-01T00:00:00Z", "--until", "2026-12-01T00:00:00Z", "-o", "csv")
            .WithExample("access", "--to", "app=postgres", "--verdict", "deny");

    public override int Execute(CommandContext context, AccessSettings settings, CancellationToken cancellationToken)
    {
        var target = AccessTarget.Parse(settings.To!, out _)!;
        using var store = settings.OpenExisting();
        IReadOnlyList<AccessRow> rows;
        try
        {
            rows = new AuditAnswers(store).Access(target, AnswerFilter.Of(settings, store));
        }
        catch (ArgumentException e)
        {
            throw new UserInputException(e.Message);
        }
        rows = AnswerFilter.Limit(rows, settings);
        AnswerOutput.Access(terminal.Out, settings.Output, rows);
        terminal.Error.WriteLine($"{rows.Count} source{(rows.Count == 1 ? "" : "s")} of {target}");
        return ExitCodes.Ok;
    }
}

/// <summary><c>policytrail talkers</c>: which workload pairs communicated.</summary>
internal sealed class TalkersCommand(Terminal terminal) : Command<AnswerSettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<TalkersCommand>("talkers")
            .WithDescription("Which workload pairs communicated: per source and destination workload, port and protocol, how many flows, allowed and denied.")
            .WithExample("talkers", "--since", "2026-11-27T09:00:00Z", "--until", "2026-11-27T10:00:00Z")
            .WithExample("talkers", "--since", "24h", "--namespace", "payments", "-o", "json")
            .WithExample("talkers", "--verdict", "deny", "--limit", "20");

    public override int Execute(CommandContext context, AnswerSettings settings, CancellationToken cancellationToken)
    {
        using var store = settings.OpenExisting();
        var rows = new AuditAnswers(store).Talkers(AnswerFilter.Of(settings, store), AnswerFilter.Rows(settings));
        AnswerOutput.Talkers(terminal.Out, settings.Output, rows);
        terminal.Error.WriteLine($"{rows.Count} pair{(rows.Count == 1 ? "" : "s")}");
        return ExitCodes.Ok;
    }
}

/// <summary><c>policytrail denied</c>: denied attempts, grouped by source, destination and the isolating policies.</summary>
internal sealed class DeniedCommand(Terminal terminal) : Command<DeniedSettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<DeniedCommand>("denied")
            .WithDescription("Denied connection attempts, grouped by source and destination workload, port and protocol, with the policies that isolated the denying side.")
            .WithExample("denied", "--cross-namespace", "--since", "7d")
            .WithExample("denied", "--namespace", "payments", "-o", "json")
            .WithExample("denied", "--cross-namespace", "--since", "2026-11-01T00:00:00Z", "--until", "2026-12-01T00:00:00Z", "-o", "csv");

    public override int Execute(CommandContext context, DeniedSettings settings, CancellationToken cancellationToken)
    {
        using var store = settings.OpenExisting();
        // The answer keeps the cross-namespace pairs itself, from the templates' facts it has read anyway; the planner
        // would read every template once more for it.
        var rows = new AuditAnswers(store).Denied(AnswerFilter.Of(settings, store, planCrossNamespace: false), settings.CrossNamespace, AnswerFilter.Rows(settings));
        AnswerOutput.Denied(terminal.Out, settings.Output, rows);
        terminal.Error.WriteLine($"{rows.Count} denied pair{(rows.Count == 1 ? "" : "s")}{(settings.CrossNamespace ? " across namespaces" : "")}");
        return ExitCodes.Ok;
    }
}

/// <summary><c>policytrail coverage</c>: pods no policy isolates, and namespaces without any policy.</summary>
internal sealed class CoverageCommand(Terminal terminal) : Command<CoverageSettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<CoverageCommand>("coverage")
            .WithDescription("Segmentation coverage at an instant, from the cluster history the store records: pods not isolated for ingress or egress (default allow) and namespaces with no NetworkPolicy at all.")
            .WithExample("coverage")
            .WithExample("coverage", "--at", "2026-11-26T09:00:00Z", "-o", "json")
            .WithExample("coverage", "--store", "audit.duckdb", "--at", "30d", "-o", "csv");

    public override int Execute(CommandContext context, CoverageSettings settings, CancellationToken cancellationToken)
    {
        using var store = settings.OpenExisting();
        var at = settings.At is null
            ? (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100
            : Ledger.FilterSettings.ParseTime(settings.At, DateTimeOffset.UtcNow)!.Value;
        var answers = new AuditAnswers(store);
        if (answers.Timeline.ChangeCount == 0)
        {
            throw new UserInputException($"{settings.Store} holds no cluster history: record one with 'policytrail ingest --cluster PATH', 'snapshot import' or 'watch'");
        }
        var report = answers.Coverage(at);
        AnswerOutput.Coverage(terminal.Out, settings.Output, report);
        return ExitCodes.Ok;
    }
}

/// <summary>How the shared filter options become the store filter the answers read with.</summary>
internal static class AnswerFilter
{
    /// <summary>The filter the shared options ask for (time, endpoints, verdicts, ...); --limit limits rows, not entries.</summary>
    public static EntryFilter Of(Ledger.FilterSettings settings, ILedgerStore store, bool planCrossNamespace = true) =>
        settings.Filter(DateTimeOffset.UtcNow, store, planCrossNamespace) with { Limit = null, Kind = EntryKind.Flow, Descending = false };

    /// <summary>The first --limit rows (all without it).</summary>
    public static IReadOnlyList<T> Limit<T>(IReadOnlyList<T> rows, Ledger.FilterSettings settings) =>
        settings.Limit is { } n && n < rows.Count ? [.. rows.Take((int)n)] : rows;

    /// <summary>How many rows an answer needs to build for <c>--limit</c> (null: all of them).</summary>
    public static int? Rows(Ledger.FilterSettings settings) => settings.Limit is { } n ? (int)Math.Clamp(n, 0, int.MaxValue) : null;
}
