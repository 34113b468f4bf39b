using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using PolicyTrail.Core.Flows;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Ledger;

/// <summary>
/// The entry filters every verb that reads the ledger shares (query, export, ...): time, endpoints, verdict, limit.
/// Different filters are ANDed.
/// </summary>
internal class FilterSettings : StoreSettings
{
    [CommandOption("--since <TIME>")]
    [Description("Entries at or after this time: RFC 3339 (2026-11-27T10:00:00Z) or a duration back from now (90m, 2h, 7d). Example: --since 2h")]
    public string? Since { get; set; }

    [CommandOption("--until <TIME>")]
    [Description("Entries before this time (same forms as --since). Example: --until 2026-11-27T12:00:00Z")]
    public string? Until { get; set; }

    [CommandOption("-n|--namespace <NS>")]
    [Description("Flows whose source or destination is in this namespace. Example: --namespace payments")]
    public string? Namespace { get; set; }

    [CommandOption("--pod <NS/POD>")]
    [Description("Flows whose source or destination is this pod. Example: --pod payments/api-5f6c8d-k9j2q")]
    public string? Pod { get; set; }

    [CommandOption("--verdict <VERDICT>")]
    [Description("Flows PolicyTrail decided so: allow, deny or unknown. Example: --verdict deny")]
    public string? Verdict { get; set; }

    [CommandOption("--limit <N>")]
    [Description("At most N entries (in ledger order). Example: --limit 100")]
    public long? Limit { get; set; }

    public override ValidationResult Validate()
    {
        if (Verdict is not (null or "allow" or "deny" or "unknown"))
        {
            return ValidationResult.Error($"--verdict must be allow, deny or unknown, not '{Verdict}'");
        }
        if (Pod is not null && Pod.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
        {
            return ValidationResult.Error($"--pod must be NAMESPACE/POD, not '{Pod}'");
        }
        if (Limit is < 0)
        {
            return ValidationResult.Error("--limit must not be negative");
        }
        foreach (var (name, value) in new[] { ("--since", Since), ("--until", Until) })
        {
            if (value is not null && ParseTime(value, DateTimeOffset.UtcNow) is null)
            {
                return ValidationResult.Error($"{name} '{value}': use RFC 3339 (2026-11-27T10:00:00Z) or a duration (30s, 90m, 2h, 7d)");
            }
        }
        return ValidationResult.Success();
    }

    /// <summary>The store filter these options ask for (relative times taken from <paramref name="now"/>).</summary>
    public EntryFilter Filter(DateTimeOffset now)
    {
        string? ns = Namespace, pod = null;
        if (Pod?.Split('/') is [var podNs, var podName])
        {
            (ns, pod) = (podNs, podName);
        }
        return new EntryFilter
        {
            Since = Since is null ? null : ParseTime(Since, now),
            Until = Until is null ? null : ParseTime(Until, now),
            Namespace = ns,
            Pod = pod,
            Verdict = Verdict switch
            {
                "allow" => EntryVerdict.Allow,
                "deny" => EntryVerdict.Deny,
                "unknown" => EntryVerdict.Unknown,
                _ => null,
            },
            Kind = Verdict is null && ns is null ? null : EntryKind.Flow,
            Limit = Limit,
        };
    }

    /// <summary>Unix ns of an RFC 3339 time or of now minus a duration; null when neither.</summary>
    public static long? ParseTime(string text, DateTimeOffset now)
    {
        if (Timestamp.TryParseRfc3339(text, out var t))
        {
            return t.UnixNanos;
        }
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            TimeSpan? back = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (back is { } b)
            {
                return (now - b).ToUnixTimeMilliseconds() * 1_000_000;
            }
        }
        return null;
    }
}

/// <summary>Options of <c>policytrail query</c>.</summary>
internal sealed class QuerySettings : FilterSettings
{
    [CommandOption("-o|--output <FORMAT>")]
    [Description("table (default), json (one array), jsonl (each entry exactly as stored, one per line) or csv. Example: -o jsonl")]
    [DefaultValue("table")]
    public string Output { get; set; } = "table";

    public override ValidationResult Validate() =>
        Output is not ("table" or "json" or "jsonl" or "csv")
            ? ValidationResult.Error($"-o must be table, json, jsonl or csv, not '{Output}'")
            : base.Validate();
}

/// <summary><c>policytrail query</c>: read entries back.</summary>
internal sealed class QueryCommand(Terminal terminal) : Command<QuerySettings>
{
    public static void Register(IConfigurator config) =>
        config.AddCommand<QueryCommand>("query")
            .WithDescription("Read ledger entries back, filtered by time, namespace, pod and PolicyTrail's verdict. -o jsonl prints each entry exactly as stored (the bytes its Merkle leaf hashes).")
            .WithExample("query", "--since", "2h", "--verdict", "deny")
            .WithExample("query", "--namespace", "payments", "-o", "jsonl")
            .WithExample("query", "--pod", "payments/api-5f6c8d-k9j2q", "--since", "2026-11-27T00:00:00Z", "--until", "2026-11-28T00:00:00Z", "-o", "csv")
            .WithExample("query", "--store", "audit.duckdb", "--limit", "20");

    public override int Execute(CommandContext context, QuerySettings settings, CancellationToken cancellationToken)
    {
        using var store = settings.OpenExisting();
        var fragments = new FragmentTable(store.ReadFragments());
        var filter = settings.Filter(DateTimeOffset.UtcNow);
        var output = terminal.OutStream;
        var count = 0L;
        var first = true;
        if (settings.Output == "json")
        {
            output.Write("["u8);
        }
        else if (settings.Output == "table")
        {
            terminal.Out.WriteLine($"{"INDEX",-8} {"TIME",-30} {"SOURCE",-40} {"DESTINATION",-44} {"PROTO",-6} {"CNI",-8} {"VERDICT",-8} {"AGREEMENT",-12} POLICY");
        }
        else if (settings.Output == "csv")
        {
            terminal.Out.WriteLine("index,kind,time,src_ip,src_port,src_namespace,src_pod,dst_ip,dst_port,dst_namespace,dst_pod,protocol,reported_verdict,reported_policies,verdict,agreement,policy,source_file,source_line");
        }
        foreach (var row in store.Query(filter))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bytes = EntryTemplates.Rebuild(row, fragments);
            count++;
            switch (settings.Output)
            {
                case "jsonl":
                    output.Write(bytes);
                    output.Write("\n"u8);
                    break;
                case "json":
                    output.Write(first ? "\n"u8 : ",\n"u8);
                    output.Write(bytes);
                    break;
                default:
                    using (var entry = JsonDocument.Parse(bytes))
                    {
                        var e = Flat.Of(entry.RootElement);
                        terminal.Out.WriteLine(settings.Output == "table"
                            ? $"{e.Index,-8} {e.Time,-30} {e.Src,-40} {e.Dst,-44} {e.Protocol,-6} {e.Reported,-8} {e.Verdict,-8} {e.Agreement,-12} {e.Policy}"
                            : string.Join(",", e.Csv().Select(Csv)));
                    }
                    break;
            }
            first = false;
        }
        if (settings.Output == "json")
        {
            output.Write(first ? "]\n"u8 : "\n]\n"u8);
        }
        terminal.Error.WriteLine($"{count} entr{(count == 1 ? "y" : "ies")}");
        return ExitCodes.Ok;
    }

    private static string Csv(string? value) =>
        value is null ? "" : value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;

    /// <summary>The fields of an entry that tables and CSV show.</summary>
    private sealed record Flat(string Index, string Kind, string Time, string Src, string Dst, string Protocol, string Reported, string Verdict, string Agreement, string Policy, JsonElement Entry)
    {
        private static string ChangeOf(JsonElement change)
        {
            var name = Str(change, "namespace") is { } ns ? $"{ns}/{Str(change, "name")}" : Str(change, "name");
            var text = $"{Str(change, "type")} {Str(change, "objectKind")} {name}";
            if (Str(change, "resourceVersion") is { } version)
            {
                text += $" (resourceVersion {version})";
            }
            if (Str(change, "user") is { } user)
            {
                text += $" by {user}";
            }
            return Str(change, "notBefore") is { } notBefore ? $"{text}, after {notBefore}" : text;
        }

        public static Flat Of(JsonElement e)
        {
            var kind = Str(e, "kind") ?? "?";
            var decision = e.TryGetProperty("decision", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
            var policy = kind switch
            {
                "flow" => PolicyOf(decision),
                _ when e.TryGetProperty("change", out var c) && c.ValueKind == JsonValueKind.Object => ChangeOf(c),
                "gap" => Str(e, "reason") ?? "",
                "inventory-change" => $"snapshot {Str(e.GetProperty("snapshot"), "name")}",
                _ => $"{Str(e, "verb")} {Str(e, "resource")} {Str(e, "namespace")}/{Str(e, "name")}",
            };
            return new Flat(
                e.TryGetProperty("index", out var i) ? i.GetRawText() : "?",
                kind,
                Str(e, "time") ?? "",
                kind == "flow" ? Endpoint(e.GetProperty("src")) : kind.ToUpperInvariant(),
                kind == "flow" ? Endpoint(e.GetProperty("dst")) : "",
                Str(e, "protocol") ?? "",
                e.TryGetProperty("reported", out var r) ? Str(r, "verdict") ?? "" : "",
                decision.ValueKind == JsonValueKind.Object ? Str(decision, "verdict") ?? "" : "",
                decision.ValueKind == JsonValueKind.Object ? Str(decision, "agreement") ?? "" : "",
                policy,
                e);
        }

        public IEnumerable<string?> Csv()
        {
            JsonElement src = default, dst = default;
            var isFlow = Kind == "flow";
            if (isFlow)
            {
                src = Entry.GetProperty("src");
                dst = Entry.GetProperty("dst");
            }
            var source = Entry.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
            var reported = Entry.TryGetProperty("reported", out var r) ? r : default;
            return
            [
                Index, Kind, Time,
                isFlow ? Str(src, "ip") : null, isFlow ? Raw(src, "port") : null, isFlow ? Str(src, "namespace") : null, isFlow ? Str(src, "pod") : null,
                isFlow ? Str(dst, "ip") : null, isFlow ? Raw(dst, "port") : null, isFlow ? Str(dst, "namespace") : null, isFlow ? Str(dst, "pod") : null,
                Protocol, Reported,
                reported.ValueKind == JsonValueKind.Object && reported.TryGetProperty("policies", out var p) ? string.Join(";", p.EnumerateArray().Select(x => x.GetString())) : null,
                Verdict, Agreement, Policy,
                source.ValueKind == JsonValueKind.Object ? Str(source, "file") : null,
                source.ValueKind == JsonValueKind.Object ? Raw(source, "line") : null,
            ];
        }

        private static string Endpoint(JsonElement e)
        {
            var who = Str(e, "pod") is { } pod ? $"{Str(e, "namespace")}/{pod}" : Str(e, "ip") ?? "?";
            return Raw(e, "port") is { } port && port != "null" ? $"{who}:{port}" : who;
        }

        private static string PolicyOf(JsonElement decision)
        {
            if (decision.ValueKind != JsonValueKind.Object)
            {
                return "";
            }
            var parts = new List<string>();
            foreach (var side in new[] { "egress", "ingress" })
            {
                if (!decision.TryGetProperty(side, out var d) || d.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }
                if (d.TryGetProperty("decidedBy", out var by) && by.ValueKind == JsonValueKind.Object)
                {
                    parts.Add($"{side}: {Str(by, "kind")} {Str(by, "name")} rule {Raw(by, "rule")} {Str(by, "action")}");
                }
                else if (Str(d, "verdict") == "deny" && d.TryGetProperty("selectedBy", out var sel))
                {
                    parts.Add($"{side}: denied by default ({string.Join(", ", sel.EnumerateArray().Select(x => x.GetString()))})");
                }
                else if (d.TryGetProperty("allowedBy", out var allowed) && allowed.GetArrayLength() > 0)
                {
                    var m = allowed[0];
                    parts.Add($"{side}: {Str(m, "policy")} rule {Raw(m, "rule")}");
                }
            }
            return string.Join("; ", parts);
        }

        private static string? Str(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

        private static string? Raw(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) ? p.GetRawText() : null;
    }
}
