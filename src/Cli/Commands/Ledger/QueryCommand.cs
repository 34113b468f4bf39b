using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using PolicyTrail.Core.Flows;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Query.Filtering;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Ledger;

/// <summary>
/// The entry filters every verb that reads the ledger shares (query, export, ...): time, endpoints, labels, addresses,
/// ports, protocols, verdicts, policies, Services, order and limit. Repeated values of one filter are ORed, different
/// filters ANDed.
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

    [CommandOption("--from-namespace <NS>")]
    [Description("Flows whose source is in this namespace (repeatable: any of them). Example: --from-namespace frontend")]
    public string[] FromNamespace { get; set; } = [];

    [CommandOption("--to-namespace <NS>")]
    [Description("Flows whose destination is in this namespace (repeatable). Example: --to-namespace payments")]
    public string[] ToNamespace { get; set; } = [];

    [CommandOption("--from-pod <[NS/]POD-PREFIX>")]
    [Description("Flows whose source is a pod whose name starts so, in NS when given (NS/ alone: any pod of NS; repeatable). Example: --from-pod frontend/web-")]
    public string[] FromPod { get; set; } = [];

    [CommandOption("--to-pod <[NS/]POD-PREFIX>")]
    [Description("Flows whose destination is such a pod (repeatable). Example: --to-pod payments/postgres-0")]
    public string[] ToPod { get; set; } = [];

    [CommandOption("--from-label <SELECTOR>")]
    [Description("Flows whose source pod's labels, as they were at the flow's time, match this selector (kubectl syntax: app=web, tier!=db, 'env in (a,b)', 'env notin (a)', x, !x; comma = AND; repeatable = OR). Addresses that are no pod match no selector. Example: --from-label 'app=web,tier!=db'")]
    public string[] FromLabel { get; set; } = [];

    [CommandOption("--to-label <SELECTOR>")]
    [Description("Flows whose destination pod's labels at the flow's time match this selector (as --from-label). Example: --to-label 'app in (api,postgres)'")]
    public string[] ToLabel { get; set; } = [];

    [CommandOption("--from-ip <ADDRESS|CIDR>")]
    [Description("Flows whose source address is this address or lies in this block, IPv4 or IPv6 (repeatable). Example: --from-ip 10.244.0.0/16")]
    public string[] FromIp { get; set; } = [];

    [CommandOption("--to-ip <ADDRESS|CIDR>")]
    [Description("Flows whose destination address is this address or lies in this block (repeatable). Example: --to-ip fd00::/8")]
    public string[] ToIp { get; set; } = [];

    [CommandOption("--port <PORT>")]
    [Description("Flows to this destination port, or port range FIRST-LAST, 1 to 65535 (repeatable). Example: --port 5432 --port 8000-8080")]
    public string[] Port { get; set; } = [];

    [CommandOption("--protocol <PROTOCOL>")]
    [Description("Flows of this protocol: TCP, UDP, SCTP, ICMPv4, ICMPv6, or ICMP for both (case-insensitive; repeatable). Example: --protocol udp")]
    public string[] Protocol { get; set; } = [];

    [CommandOption("--verdict <VERDICT>")]
    [Description("Flows PolicyTrail decided so: allow, deny or unknown (repeatable). Example: --verdict deny")]
    public string[] Verdict { get; set; } = [];

    [CommandOption("--policy <NS/NAME>")]
    [Description("Flows whose decision (ingress or egress side) names this policy: it allowed them (allowedBy), isolated the pod of a default deny (selectedBy of a denied side), or decided them in an admin tier (decidedBy; give NAME alone for a cluster-scoped admin policy). Repeatable. Example: --policy payments/default-deny")]
    public string[] Policy { get; set; } = [];

    [CommandOption("--service <NS/NAME>")]
    [Description("Flows addressed to this Service (PolicyTrail resolved its cluster IP, or the CNI named the Service) or whose destination pod is a backend of it (a target of any recorded EndpointSlice of the Service). Repeatable. Example: --service payments/api")]
    public string[] Service { get; set; } = [];

    [CommandOption("--cross-namespace")]
    [Description("Flows between two namespaced endpoints (pods, Services) of different namespaces.")]
    public bool CrossNamespace { get; set; }

    [CommandOption("--disagreement")]
    [Description("Flows where PolicyTrail's verdict disagrees with the CNI's (agreement = disagree).")]
    public bool Disagreement { get; set; }

    [CommandOption("--order <ORDER>")]
    [Description("asc (default: oldest first) or desc (newest first), in ledger order; with --limit, the first or the last N. Example: --order desc --limit 20")]
    [DefaultValue("asc")]
    public string Order { get; set; } = "asc";

    [CommandOption("--limit <N>")]
    [Description("At most N entries (in ledger order). Example: --limit 100")]
    public long? Limit { get; set; }

    public override ValidationResult Validate()
    {
        if (Verdict.FirstOrDefault(v => v is not ("allow" or "deny" or "unknown")) is { } verdict)
        {
            return ValidationResult.Error($"--verdict must be allow, deny or unknown, not '{verdict}'");
        }
        if (Pod is not null && Pod.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
        {
            return ValidationResult.Error($"--pod must be NAMESPACE/POD, not '{Pod}'");
        }
        if (Limit is < 0)
        {
            return ValidationResult.Error("--limit must not be negative");
        }
        if (Order is not ("asc" or "desc"))
        {
            return ValidationResult.Error($"--order must be asc or desc, not '{Order}'");
        }
        foreach (var (name, value) in new[] { ("--since", Since), ("--until", Until) })
        {
            if (value is not null && ParseTime(value, DateTimeOffset.UtcNow) is null)
            {
                return ValidationResult.Error($"{name} '{value}': use RFC 3339 (2026-11-27T10:00:00Z) or a duration (30s, 90m, 2h, 7d)");
            }
        }
        try
        {
            _ = Criteria();
        }
        catch (FilterValueException e)
        {
            return ValidationResult.Error(e.Message);
        }
        return ValidationResult.Success();
    }

    /// <summary>The flow criteria these options ask for, beyond what <see cref="EntryFilter"/> holds itself.</summary>
    /// <exception cref="FilterValueException">A value is invalid (the message names the option and the value).</exception>
    public FlowCriteria Criteria() => new()
    {
        FromNamespaces = FromNamespace,
        ToNamespaces = ToNamespace,
        FromPods = Parsed("--from-pod", FromPod, PodPattern.Parse),
        ToPods = Parsed("--to-pod", ToPod, PodPattern.Parse),
        FromLabels = Parsed("--from-label", FromLabel, LabelSelector.Parse),
        ToLabels = Parsed("--to-label", ToLabel, LabelSelector.Parse),
        FromIps = Parsed("--from-ip", FromIp, IpPrefix.Parse),
        ToIps = Parsed("--to-ip", ToIp, IpPrefix.Parse),
        Ports = Parsed("--port", Port, FlowCriteria.ParsePort),
        Protocols = [.. Parsed("--protocol", Protocol, FlowCriteria.ParseProtocol).SelectMany(p => p).Distinct()],
        // One verdict is EntryFilter.Verdict, as it always was; several go through the planner.
        Verdicts = Verdict.Distinct().Count() > 1 ? Verdict : [],
        Policies = Parsed("--policy", Policy, p => FlowCriteria.ParseReference(p, clusterScoped: true)),
        Services = Parsed("--service", Service, s => FlowCriteria.ParseReference(s, clusterScoped: false)),
        CrossNamespace = CrossNamespace,
        Disagreement = Disagreement,
    };

    private static T[] Parsed<T>(string option, string[] values, Func<string, T> parse) =>
        [.. values.Select(v =>
        {
            try
            {
                return parse(v);
            }
            catch (FilterValueException e)
            {
                throw new FilterValueException($"{option}: {e.Message}");
            }
        })];

    /// <summary>
    /// The store filter these options ask for (relative times taken from <paramref name="now"/>): the flow criteria are
    /// planned over the store's fragments (and, for labels and Services, its recorded cluster history). Without
    /// <paramref name="planCrossNamespace"/>, --cross-namespace is left to the caller.
    /// </summary>
    public EntryFilter Filter(DateTimeOffset now, ILedgerStore store, bool planCrossNamespace = true)
    {
        ArgumentNullException.ThrowIfNull(store);
        var criteria = Criteria() with { CrossNamespace = planCrossNamespace && CrossNamespace };
        var filter = BaseFilter(now);
        return criteria.IsEmpty
            ? filter
            : FilterPlanner.Plan(criteria, store.ReadFragments(), new StoreInventory(store)).Apply(filter with { Kind = EntryKind.Flow });
    }

    private EntryFilter BaseFilter(DateTimeOffset now)
    {
        string? ns = Namespace, pod = null;
        if (Pod?.Split('/') is [var podNs, var podName])
        {
            (ns, pod) = (podNs, podName);
        }
        var verdicts = Verdict.Distinct().ToArray();
        return new EntryFilter
        {
            Since = Since is null ? null : ParseTime(Since, now),
            Until = Until is null ? null : ParseTime(Until, now),
            Namespace = ns,
            Pod = pod,
            Verdict = verdicts is [var one] ? one switch
            {
                "allow" => EntryVerdict.Allow,
                "deny" => EntryVerdict.Deny,
                "unknown" => EntryVerdict.Unknown,
                _ => null,
            } : null,
            Kind = verdicts.Length == 0 && ns is null ? null : EntryKind.Flow,
            Limit = Limit,
            Descending = Order == "desc",
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
            .WithDescription("Read ledger entries back, filtered by time, namespace, pod, labels, address, port, protocol, PolicyTrail's verdict, policy and Service. Repeated values of one filter are ORed (--verdict deny --verdict unknown: either), different filters ANDed (--from-namespace frontend --port 5432: both); any flow filter leaves only flow entries. -o jsonl prints each entry exactly as stored (the bytes its Merkle leaf hashes).")
            .WithExample("query", "--since", "2h", "--verdict", "deny")
            .WithExample("query", "--from-namespace", "frontend", "--to-label", "tier=data", "--port", "5432", "--port", "8443")
            .WithExample("query", "--cross-namespace", "--verdict", "deny", "--verdict", "unknown", "--order", "desc", "--limit", "20")
            .WithExample("query", "--policy", "payments/default-deny", "--from-ip", "10.244.0.0/16", "--protocol", "TCP")
            .WithExample("query", "--service", "payments/api", "--disagreement", "-o", "csv")
            .WithExample("query", "--namespace", "payments", "-o", "jsonl")
            .WithExample("query", "--pod", "payments/api-5f6c8d-k9j2q", "--since", "2026-11-27T00:00:00Z", "--until", "2026-11-28T00:00:00Z", "-o", "csv")
            .WithExample("query", "--store", "audit.duckdb", "--limit", "20");

    public override int Execute(CommandContext context, QuerySettings settings, CancellationToken cancellationToken)
    {
        using var store = settings.OpenExisting();
        var fragments = new FragmentTable(store.ReadFragments());
        var filter = settings.Filter(DateTimeOffset.UtcNow, store);
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
