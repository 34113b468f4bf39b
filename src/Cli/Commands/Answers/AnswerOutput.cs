using System.Globalization;
using System.Text;
using System.Text.Json;
using PolicyTrail.Core.Flows;
using PolicyTrail.Query.Answers;

namespace PolicyTrail.Cli.Commands.Answers;

/// <summary>
/// Writes answer rows as a table (aligned columns, for people), JSON (an array of rows whose shape scripts rely on; see
/// docs/QUESTIONS.md) or CSV (a header, then one line per row; lists joined with ';').
/// </summary>
internal static class AnswerOutput
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    public static void Access(TextWriter output, string format, IReadOnlyList<AccessRow> rows)
    {
        switch (format)
        {
            case "json":
                Json(output, rows, (w, r) =>
                {
                    w.WriteStartObject("source");
                    w.WriteString("namespace", r.Source.Namespace);
                    w.WriteString("workload", r.Source.Workload);
                    w.WriteString("pod", r.Source.Pod);
                    w.WriteString("ip", r.Source.Ip);
                    w.WriteEndObject();
                    w.WriteNumber("attempts", r.Attempts);
                    w.WriteNumber("allowed", r.Allowed);
                    w.WriteNumber("denied", r.Denied);
                    w.WriteString("firstSeen", Time(r.FirstSeen));
                    w.WriteString("lastSeen", Time(r.LastSeen));
                    Strings(w, "policies", r.Policies);
                });
                break;
            case "csv":
                Csv(output, ["source_namespace", "source_workload", "source_pod", "source_ip", "attempts", "allowed", "denied", "first_seen", "last_seen", "policies"],
                    rows.Select(r => new[]
                    {
                        r.Source.Namespace, r.Source.Workload, r.Source.Pod, r.Source.Ip, Number(r.Attempts), Number(r.Allowed), Number(r.Denied),
                        Time(r.FirstSeen), Time(r.LastSeen), string.Join(';', r.Policies),
                    }));
                break;
            default:
                Table(output, ["SOURCE", "WORKLOAD", "IP", "ATTEMPTS", "ALLOWED", "DENIED", "FIRST SEEN", "LAST SEEN", "POLICIES"],
                    rows.Select(r => new[]
                    {
                        r.Source.Pod is { } pod ? $"{r.Source.Namespace}/{pod}" : r.Source.Namespace ?? "(external)", r.Source.Workload ?? "-", r.Source.Ip ?? "-",
                        Number(r.Attempts), Number(r.Allowed), Number(r.Denied), Time(r.FirstSeen), Time(r.LastSeen), Policies(r.Policies),
                    }), numeric: [3, 4, 5]);
                break;
        }
    }

    public static void Talkers(TextWriter output, string format, IReadOnlyList<TalkerRow> rows)
    {
        switch (format)
        {
            case "json":
                Json(output, rows, (w, r) =>
                {
                    Workload(w, "source", r.Source);
                    Workload(w, "destination", r.Destination);
                    Port(w, r.Port);
                    w.WriteString("protocol", r.Protocol);
                    w.WriteNumber("flows", r.Flows);
                    w.WriteNumber("allowed", r.Allowed);
                    w.WriteNumber("denied", r.Denied);
                });
                break;
            case "csv":
                Csv(output, ["source_namespace", "source_workload", "source_ip", "destination_namespace", "destination_workload", "destination_ip", "port", "protocol", "flows", "allowed", "denied"],
                    rows.Select(r => new[]
                    {
                        r.Source.Namespace, r.Source.Workload, r.Source.Ip, r.Destination.Namespace, r.Destination.Workload, r.Destination.Ip,
                        r.Port is { } p ? Number(p) : null, r.Protocol, Number(r.Flows), Number(r.Allowed), Number(r.Denied),
                    }));
                break;
            default:
                Table(output, ["SOURCE", "DESTINATION", "PORT", "PROTOCOL", "FLOWS", "ALLOWED", "DENIED"],
                    rows.Select(r => new[]
                    {
                        Text(r.Source), Text(r.Destination), r.Port is { } p ? Number(p) : "-", r.Protocol ?? "-",
                        Number(r.Flows), Number(r.Allowed), Number(r.Denied),
                    }), numeric: [2, 4, 5, 6]);
                break;
        }
    }

    public static void Denied(TextWriter output, string format, IReadOnlyList<DeniedRow> rows)
    {
        switch (format)
        {
            case "json":
                Json(output, rows, (w, r) =>
                {
                    Workload(w, "source", r.Source);
                    Workload(w, "destination", r.Destination);
                    Port(w, r.Port);
                    w.WriteString("protocol", r.Protocol);
                    w.WriteNumber("attempts", r.Attempts);
                    w.WriteString("firstSeen", Time(r.FirstSeen));
                    w.WriteString("lastSeen", Time(r.LastSeen));
                    Strings(w, "policies", r.Policies);
                });
                break;
            case "csv":
                Csv(output, ["source_namespace", "source_workload", "source_ip", "destination_namespace", "destination_workload", "destination_ip", "port", "protocol", "attempts", "first_seen", "last_seen", "policies"],
                    rows.Select(r => new[]
                    {
                        r.Source.Namespace, r.Source.Workload, r.Source.Ip, r.Destination.Namespace, r.Destination.Workload, r.Destination.Ip,
                        r.Port is { } p ? Number(p) : null, r.Protocol, Number(r.Attempts), Time(r.FirstSeen), Time(r.LastSeen), string.Join(';', r.Policies),
                    }));
                break;
            default:
                Table(output, ["SOURCE", "DESTINATION", "PORT", "PROTOCOL", "ATTEMPTS", "FIRST SEEN", "LAST SEEN", "ISOLATED BY"],
                    rows.Select(r => new[]
                    {
                        Text(r.Source), Text(r.Destination), r.Port is { } p ? Number(p) : "-", r.Protocol ?? "-",
                        Number(r.Attempts), Time(r.FirstSeen), Time(r.LastSeen), Policies(r.Policies),
                    }), numeric: [2, 4]);
                break;
        }
    }

    public static void Coverage(TextWriter output, string format, CoverageReport report)
    {
        switch (format)
        {
            case "json":
                var buffer = new MemoryStream();
                using (var w = new Utf8JsonWriter(buffer, Indented))
                {
                    w.WriteStartObject();
                    w.WriteString("at", Time(report.At));
                    w.WriteNumber("podsConsidered", report.PodsConsidered);
                    w.WriteStartArray("pods");
                    foreach (var p in report.Pods)
                    {
                        w.WriteStartObject();
                        w.WriteString("namespace", p.Namespace);
                        w.WriteString("pod", p.Pod);
                        w.WriteString("workload", p.Workload);
                        w.WriteBoolean("ingressIsolated", p.IngressIsolated);
                        w.WriteBoolean("egressIsolated", p.EgressIsolated);
                        Strings(w, "ingressPolicies", p.IngressPolicies);
                        Strings(w, "egressPolicies", p.EgressPolicies);
                        w.WriteBoolean("hostNetwork", p.HostNetwork);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    Strings(w, "namespacesWithoutPolicy", report.NamespacesWithoutPolicy);
                    w.WriteEndObject();
                }
                output.Write(Encoding.UTF8.GetString(buffer.ToArray()));
                output.WriteLine();
                break;
            case "csv":
                Csv(output, ["kind", "namespace", "pod", "workload", "ingress_isolated", "egress_isolated", "ingress_policies", "egress_policies", "host_network"],
                    report.Pods.Select(p => new[]
                    {
                        "pod", p.Namespace, p.Pod, p.Workload, Bool(p.IngressIsolated), Bool(p.EgressIsolated),
                        string.Join(';', p.IngressPolicies), string.Join(';', p.EgressPolicies), Bool(p.HostNetwork),
                    }).Concat(report.NamespacesWithoutPolicy.Select(n => new[] { "namespace", n, null, null, "false", "false", "", "", null })));
                break;
            default:
                output.WriteLine($"coverage at {Time(report.At)}: {report.Pods.Count} of {report.PodsConsidered} pods not isolated in some direction (default allow there)");
                if (report.Pods.Count > 0)
                {
                    Table(output, ["POD", "WORKLOAD", "INGRESS", "EGRESS", "ISOLATED BY"],
                        report.Pods.Select(p => new[]
                        {
                            $"{p.Namespace}/{p.Pod}", p.Workload ?? "-",
                            p.HostNetwork ? "host network" : p.IngressIsolated ? "isolated" : "default allow",
                            p.HostNetwork ? "host network" : p.EgressIsolated ? "isolated" : "default allow",
                            Policies([.. p.IngressPolicies.Concat(p.EgressPolicies).Distinct(StringComparer.Ordinal)]),
                        }), numeric: []);
                }
                output.WriteLine(report.NamespacesWithoutPolicy.Count == 0
                    ? "every namespace has a NetworkPolicy"
                    : $"namespaces without any NetworkPolicy ({report.NamespacesWithoutPolicy.Count}): {string.Join(", ", report.NamespacesWithoutPolicy)}");
                break;
        }
    }

    /// <summary>RFC 3339 UTC with nanoseconds, as entries write times.</summary>
    public static string Time(long unixNanos) => new Timestamp(unixNanos, 9).ToString();

    private static void Json<T>(TextWriter output, IReadOnlyList<T> rows, Action<Utf8JsonWriter, T> row)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Indented))
        {
            w.WriteStartArray();
            foreach (var r in rows)
            {
                w.WriteStartObject();
                row(w, r);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        output.Write(Encoding.UTF8.GetString(buffer.ToArray()));
        output.WriteLine();
    }

    // A workload is {namespace, workload}; an address outside the cluster adds ip (and has no namespace).
    private static void Workload(Utf8JsonWriter w, string name, WorkloadIdentity identity)
    {
        w.WriteStartObject(name);
        w.WriteString("namespace", identity.Namespace);
        w.WriteString("workload", identity.Workload);
        if (identity.Namespace is null)
        {
            w.WriteString("ip", identity.Ip);
        }
        w.WriteEndObject();
    }

    private static void Port(Utf8JsonWriter w, int? port)
    {
        if (port is { } p)
        {
            w.WriteNumber("port", p);
        }
        else
        {
            w.WriteNull("port");
        }
    }

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }
        w.WriteEndArray();
    }

    private static void Csv(TextWriter output, string[] header, IEnumerable<string?[]> rows)
    {
        output.WriteLine(string.Join(',', header));
        foreach (var row in rows)
        {
            output.WriteLine(string.Join(',', row.Select(Quote)));
        }
    }

    private static string Quote(string? value) =>
        value is null ? "" : value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;

    private static void Table(TextWriter output, string[] header, IEnumerable<string[]> rows, int[] numeric)
    {
        var all = rows.ToList();
        var widths = header.Select((h, i) => all.Aggregate(h.Length, (m, r) => Math.Max(m, r[i].Length))).ToArray();
        void Line(string[] cells)
        {
            var line = new StringBuilder();
            for (var i = 0; i < cells.Length; i++)
            {
                var last = i == cells.Length - 1;
                var cell = numeric.Contains(i) ? cells[i].PadLeft(widths[i]) : last ? cells[i] : cells[i].PadRight(widths[i]);
                line.Append(cell);
                if (!last)
                {
                    line.Append("  ");
                }
            }
            output.WriteLine(line.ToString().TrimEnd());
        }
        Line(header);
        foreach (var row in all)
        {
            Line(row);
        }
    }

    private static string Text(WorkloadIdentity w) => w.Namespace is null ? w.Ip ?? "(unknown)" : $"{w.Namespace}/{w.Workload ?? "-"}";

    private static string Policies(IReadOnlyList<string> policies) => policies.Count == 0 ? "-" : string.Join(", ", policies);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";
}
