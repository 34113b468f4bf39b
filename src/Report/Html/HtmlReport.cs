using System.Globalization;
using System.Text;
using PolicyTrail.Query.Answers;
using PolicyTrail.Report.Charts;
using PolicyTrail.Report.Model;

namespace PolicyTrail.Report.Html;

/// <summary>
/// Writes the report as one self-contained HTML page: inline CSS and SVG, no scripts, no external resources, and print
/// rules (a page per section, rows never cut) so that a browser prints it to PDF cleanly.
/// </summary>
public static class HtmlReport
{
    /// <summary>Writes the page (UTF-8, no byte order mark).</summary>
    public static void Write(ReportModel model, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        var page = new Page();
        page.Render(model);
        output.Write(new UTF8Encoding(false).GetBytes(page.ToString()));
    }

    private sealed class Page
    {
        private readonly StringBuilder _html = new();

        public override string ToString() => _html.ToString();

        private void Line(string text) => _html.Append(text).Append('\n');

        private static string E(string? text) => Svg.Escape(text ?? "");

        private static string C(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

        private static string T(long unixNanos) => Times.Short(unixNanos);

        public void Render(ReportModel m)
        {
            var s = m.Scope;
            Line("<!DOCTYPE html>");
            Line("<html lang=\"en\"><head><meta charset=\"utf-8\" />");
            Line("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />");
            Line($"<title>PolicyTrail evidence report {E(T(s.Since))} to {E(T(s.Until))}</title>");
            Line($"<style>{Css}</style></head><body>");
            Line("<header>");
            Line("<h1>PolicyTrail evidence report</h1>");
            Line($"<p class=\"lead\">Network access evidence for <strong>{E(T(s.Since))}</strong> to <strong>{E(T(s.Until))}</strong> (UTC), from the tamper-evident ledger <code>{E(s.Origin ?? "(no log)")}</code>.</p>");
            Line($"<p class=\"generated\">Generated {E(m.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))} by policytrail report.</p>");
            Summary(m);
            Line("</header>");
            Scope(m);
            Sources(m.Sources);
            Verification(m.Verification);
            Questions(m);
            Coverage(m.Coverage);
            PolicyChanges(m.PolicyChanges);
            Disagreements(m.Disagreements);
            Line("</body></html>");
        }

        private void Summary(ReportModel m)
        {
            var v = m.Verification.Status switch
            {
                VerificationStatus.Intact => ("ok", "ledger verified"),
                VerificationStatus.Failed => ("bad", "ledger verification FAILED"),
                VerificationStatus.NoKey => ("warn", "not verified (no key)"),
                _ => ("warn", "verification not run"),
            };
            Line("<ul class=\"summary\">");
            Line($"<li class=\"{v.Item1}\"><span>{E(v.Item2)}</span></li>");
            Line($"<li><span>{C(m.Scope.FlowAttempts)}</span> flow attempts</li>");
            Line($"<li><span>{C(m.DeniedCrossNamespace.Total)}</span> workload pairs denied across namespaces</li>");
            Line($"<li class=\"{(m.Sources.RejectedLines + m.Sources.Gaps.Total > 0 ? "warn" : "ok")}\"><span>{C(m.Sources.Gaps.Total)}</span> gaps, <span>{C(m.Sources.RejectedLines)}</span> rejected lines</li>");
            Line($"<li class=\"{(m.Disagreements.Total > 0 ? "warn" : "ok")}\"><span>{C(m.Disagreements.Total)}</span> CNI disagreements</li>");
            Line("</ul>");
        }

        private void Section(string id, string title) => Line($"<section id=\"{id}\"><h2>{E(title)}</h2>");

        private void End() => Line("</section>");

        private void Facts(params (string Name, string Value)[] facts)
        {
            Line("<dl>");
            foreach (var (name, value) in facts)
            {
                Line($"<dt>{E(name)}</dt><dd>{value}</dd>");
            }
            Line("</dl>");
        }

        private void Table(string id, string[] header, IEnumerable<string[]> rows, int[] numeric, string? caption = null)
        {
            Line($"<table id=\"{id}\">{(caption is null ? "" : $"<caption>{E(caption)}</caption>")}<thead><tr>{string.Concat(header.Select((h, i) => $"<th{(numeric.Contains(i) ? " class=\"n\"" : "")}>{E(h)}</th>"))}</tr></thead><tbody>");
            var any = false;
            foreach (var row in rows)
            {
                any = true;
                Line($"<tr>{string.Concat(row.Select((c, i) => $"<td{(numeric.Contains(i) ? " class=\"n\"" : "")}>{c}</td>"))}</tr>");
            }
            if (!any)
            {
                Line($"<tr><td colspan=\"{header.Length}\" class=\"none\">none</td></tr>");
            }
            Line("</tbody></table>");
        }

        private void More<TRow>(Bounded<TRow> bounded, string what)
        {
            if (bounded.More > 0)
            {
                Line($"<p class=\"more\">… and {C(bounded.More)} more {E(what)} (showing {C(bounded.Rows.Count)} of {C(bounded.Total)}). All of them: <code>{E(bounded.Command)}</code></p>");
            }
            else if (bounded.Command.Length > 0)
            {
                Line($"<p class=\"more\">The same list from the command line: <code>{E(bounded.Command)}</code></p>");
            }
        }

        private void Scope(ReportModel m)
        {
            var s = m.Scope;
            Section("scope", "1. Scope and period");
            Facts(
                ("Store", $"<code>{E(s.Store)}</code>"),
                ("Log origin", $"<code>{E(s.Origin ?? "(the store holds no log)")}</code>"),
                ("Tree size", $"{C(s.TreeSize)} entries"),
                ("First and last entry", s.FirstEntry is { } f && s.LastEntry is { } l ? $"{E(Times.Exact(f))} to {E(Times.Exact(l))}" : "(no entries)"),
                ("Period", $"{E(Times.Exact(s.Since))} (inclusive) to {E(Times.Exact(s.Until))} (exclusive){(s.SinceGiven || s.UntilGiven ? "" : ": the whole store")}"),
                ("Entries in the period", $"{C(s.FlowEntries)} flow entries ({C(s.FlowAttempts)} attempts, replies left out), {C(s.GapEntries)} gaps, {C(s.PolicyChangeEntries)} policy changes, {C(s.InventoryChangeEntries)} inventory changes"),
                ("Sensitive destinations", s.Sensitive.Count == 0
                    ? "none named (give --sensitive, or label a Pod or Service policytrail.io/sensitive=true)"
                    : string.Join(", ", s.Sensitive.Select(t => $"<code>{E(t.Selector)}</code> ({E(t.Reason)})"))));
            Line("<figure>" + TimeSeriesChart.Write(m.Activity) + "<figcaption>Flow attempts and denied attempts per interval over the period.</figcaption></figure>");
            End();
        }

        private void Sources(SourcesSection src)
        {
            Section("sources", "2. Data sources and completeness");
            Line("<h3>Inputs read</h3>");
            Table("inputs", ["Input", "Lines read", "Last read"], src.Inputs.Select(i => new[] { $"<code>{E(i.Source)}</code>", C(i.Lines), E(i.Updated.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)) }), [1]);
            Line("<h3>Flow entries by format and file (in the period)</h3>");
            Table("formats", ["Format", "File", "Entries"], src.Formats.Select(f => new[] { E(f.Format), $"<code>{E(f.File)}</code>", C(f.Entries) }), [2]);
            Line($"<h3>Gaps: what a source did not see ({C(src.Gaps.Total)}, {C(src.LostRecords)} records lost)</h3>");
            Table("gaps", ["Entry", "Time", "Reason", "Lost", "Interval", "Source"], src.Gaps.Rows.Select(g => new[]
            {
                C(g.Index), E(T(g.Time)), E(g.Reason), g.Lost is { } n ? C(n) : "-",
                g.From is { } from ? $"{E(T(from))} to {(g.Until is { } u ? E(T(u)) : "?")}" : g.Until is { } end ? $"until {E(T(end))}" : "-",
                E(g.Source ?? "-"),
            }), [0, 3]);
            More(src.Gaps, "gaps");
            Line($"<h3>Rejected input lines ({C(src.RejectedLines)})</h3>");
            Line("<p>Each rejected line is kept in the ledger as a gap entry with the SHA-256 of the line.</p>");
            Table("rejects", ["Reason", "Lines", "Files"], src.Rejects.Select(r => new[] { E(r.Reason), C(r.Lines), E(string.Join(", ", r.Files)) }), [1]);
            End();
        }

        private void Verification(VerificationSection v)
        {
            Section("verification", "3. Verification");
            var status = v.Status switch
            {
                VerificationStatus.Intact => "<strong class=\"ok\">OK</strong>: every entry was rebuilt and hashed, the Merkle tree rebuilt, and every checkpoint's signature, root and consistency with the one before checked.",
                VerificationStatus.Failed => $"<strong class=\"bad\">FAILED</strong>: {E(v.Problem)}",
                VerificationStatus.NoKey => $"<strong class=\"warn\">NOT VERIFIED</strong>: {E(v.Problem)}. Run <code>policytrail verify --key KEY</code>.",
                _ => "<strong class=\"warn\">NOT RUN</strong> (--no-verify). Run <code>policytrail verify</code>.",
            };
            Line($"<p class=\"verdict\">{status}</p>");
            var facts = new List<(string, string)>
            {
                ("Entries checked", C(v.Entries)),
                ("Checkpoints", C(v.Checkpoints)),
            };
            if (v.RootHash is not null)
            {
                facts.Add(("Recomputed root", $"<code>{E(v.RootHash)}</code>"));
            }
            if (v.KeyName is not null)
            {
                facts.Add(("Verifier key", $"<code>{E(v.KeyName)}</code>{(v.KeySource is null ? "" : $" from <code>{E(v.KeySource)}</code>")}"));
            }
            if (v.Checkpoint is { } c)
            {
                facts.Add(("Latest checkpoint", $"number {C(c.Sequence)}: origin <code>{E(c.Origin)}</code>, tree size {C(c.Size)}, root hash <code>{E(c.RootHash)}</code>, signed by <code>{E(string.Join(", ", c.Signers))}</code>"));
            }
            Facts([.. facts]);
            if (v.Checkpoint is { } checkpoint)
            {
                Line("<p>The signed checkpoint note this report rests on (keep it; <code>policytrail verify --checkpoint FILE</code> checks the store still extends it):</p>");
                Line($"<pre class=\"note\">{E(checkpoint.Note)}</pre>");
            }
            End();
        }

        private static string Workload(WorkloadIdentity w) => w.Namespace is null ? w.Ip ?? "(unknown)" : $"{w.Namespace}/{w.Workload ?? "-"}";

        private static string Policies(IReadOnlyList<string> policies) => policies.Count == 0 ? "-" : E(string.Join(", ", policies));

        private static string Port(int? port, string? protocol) => $"{(port is { } p ? p.ToString(CultureInfo.InvariantCulture) : "-")}/{E(protocol ?? "-")}";

        private void Questions(ReportModel m)
        {
            Section("access", "4. Who accessed, or tried to access, a sensitive service");
            if (m.Access.Count == 0)
            {
                Line("<p class=\"none\">No sensitive destination was named: give <code>--sensitive</code> (as <code>access --to</code> takes it) or label a Pod or Service <code>policytrail.io/sensitive=true</code>.</p>");
            }
            var n = 0;
            foreach (var a in m.Access)
            {
                Line($"<h3>{E(a.Description)} <small>({E(a.Target.Reason)})</small></h3>");
                if (a.Error is not null)
                {
                    Line($"<p class=\"warn\">{E(a.Error)}</p>");
                    continue;
                }
                Line($"<p>{C(a.Sources.Total)} sources, {C(a.Attempts)} attempts, {C(a.Denied)} denied.</p>");
                Table($"access-{n++}", ["Source", "Workload", "IP", "Attempts", "Allowed", "Denied", "First seen", "Last seen", "Policies"], a.Sources.Rows.Select(r => new[]
                {
                    E(r.Source.Pod is { } pod ? $"{r.Source.Namespace}/{pod}" : r.Source.Namespace ?? "(external)"), E(r.Source.Workload ?? "-"), E(r.Source.Ip ?? "-"),
                    C(r.Attempts), C(r.Allowed), C(r.Denied), E(T(r.FirstSeen)), E(T(r.LastSeen)), Policies(r.Policies),
                }), [3, 4, 5]);
                More(a.Sources, "sources");
            }
            End();

            Section("talkers", "5. Which workloads talked to each other");
            Table("talkers-table", ["Source", "Destination", "Port/protocol", "Flows", "Allowed", "Denied"], m.Talkers.Rows.Select(r => new[]
            {
                E(Workload(r.Source)), E(Workload(r.Destination)), Port(r.Port, r.Protocol), C(r.Flows), C(r.Allowed), C(r.Denied),
            }), [3, 4, 5]);
            More(m.Talkers, "pairs");
            End();

            Section("denied", "6. Denied connection attempts across namespaces");
            Line("<figure>" + BarChart.Write("chart-top-denied", "Most denied workload pairs", "denied attempts",
                [.. m.TopDeniedPairs.Select(r => new Bar($"{Workload(r.Source)} \u2192 {Workload(r.Destination)}:{(r.Port is { } p ? p.ToString(CultureInfo.InvariantCulture) : "-")}", r.Attempts, string.Join(", ", r.Policies)))],
                "no denied attempts in the period") + "<figcaption>The workload pairs with the most denied attempts in the period (any namespaces).</figcaption></figure>");
            Table("denied-table", ["Source", "Destination", "Port/protocol", "Attempts", "First seen", "Last seen", "Isolated by"], m.DeniedCrossNamespace.Rows.Select(r => new[]
            {
                E(Workload(r.Source)), E(Workload(r.Destination)), Port(r.Port, r.Protocol), C(r.Attempts), E(T(r.FirstSeen)), E(T(r.LastSeen)), Policies(r.Policies),
            }), [3]);
            More(m.DeniedCrossNamespace, "denied pairs");
            End();
        }

        private void Coverage(CoverageSection c)
        {
            Section("coverage", "7. Segmentation coverage");
            if (c.Report is null)
            {
                Line($"<p class=\"warn\">No coverage: {E(c.Missing)}.</p>");
                End();
                return;
            }
            var r = c.Report;
            Line($"<p>At {E(Times.Exact(r.At))} (the end of the period), as the recorded cluster history has it: {C(r.PodsConsidered)} pods; {C(c.IngressUnisolated)} not isolated for ingress, {C(c.EgressUnisolated)} not isolated for egress (default allow there), {C(c.HostNetwork)} on the host network (outside NetworkPolicy).</p>");
            Line("<figure>" + CoverageChart.Write(c) + "<figcaption>Pods isolated by some NetworkPolicy, per direction.</figcaption></figure>");
            Table("coverage-table", ["Pod", "Workload", "Ingress", "Egress", "Isolated by"], c.Pods.Rows.Select(p => new[]
            {
                E($"{p.Namespace}/{p.Pod}"), E(p.Workload ?? "-"),
                p.HostNetwork ? "host network" : p.IngressIsolated ? "isolated" : "<span class=\"warn\">default allow</span>",
                p.HostNetwork ? "host network" : p.EgressIsolated ? "isolated" : "<span class=\"warn\">default allow</span>",
                Policies([.. p.IngressPolicies.Concat(p.EgressPolicies).Distinct(StringComparer.Ordinal)]),
            }), []);
            More(c.Pods, "pods");
            Line(r.NamespacesWithoutPolicy.Count == 0
                ? "<p>Every namespace has a NetworkPolicy.</p>"
                : $"<p>Namespaces without any NetworkPolicy ({C(r.NamespacesWithoutPolicy.Count)}): {string.Join(", ", r.NamespacesWithoutPolicy.Select(ns => $"<code>{E(ns)}</code>"))}</p>");
            End();
        }

        private void PolicyChanges(Bounded<PolicyChangeRow> changes)
        {
            Section("policy-changes", "8. Policy change history in the period");
            Table("policy-changes-table", ["Entry", "Time", "Kind", "Policy", "Change", "resourceVersion", "User", "Learned from"], changes.Rows.Select(c => new[]
            {
                C(c.Index),
                c.TimeUnknown ? $"at or before {E(T(c.Time))}" : c.NotBefore is { } nb ? $"{E(T(nb))} to {E(T(c.Time))}" : E(T(c.Time)),
                E(c.Kind), E(c.Namespace is null ? c.Name : $"{c.Namespace}/{c.Name}"), E(c.Change), E(c.ResourceVersion ?? "-"), E(c.User ?? "-"), E(c.Origin),
            }), [0]);
            More(changes, "changes");
            End();
        }

        private void Disagreements(Bounded<DisagreementRow> rows)
        {
            Section("disagreements", "9. Where the CNI's verdict disagrees with the policies");
            Line("<p>Flows the CNI reported one way while PolicyTrail's evaluation of the NetworkPolicies in force decided the other: a policy the CNI did not apply, a rule outside Kubernetes NetworkPolicy, or a cluster history that differs from the cluster.</p>");
            Table("disagreements-table", ["Source", "Destination", "Port/protocol", "CNI said", "Policies say", "Attempts", "First seen", "Last seen", "Deciding policies"], rows.Rows.Select(r => new[]
            {
                E(r.Source), E(r.Destination) + (r.IsReply ? " (reply)" : ""), Port(r.Port, r.Protocol), E(r.Reported), E(r.Computed), C(r.Attempts), E(T(r.FirstSeen)), E(T(r.LastSeen)), Policies(r.Policies),
            }), [5]);
            More(rows, "disagreements");
            End();
        }

        private const string Css = """
            :root { color-scheme: light; }
            body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a202c; margin: 0 auto; max-width: 1100px; padding: 24px; }
            h1 { font-size: 26px; margin: 0 0 6px; } h2 { font-size: 20px; border-bottom: 2px solid #2b6cb0; padding-bottom: 4px; margin-top: 36px; }
            h3 { font-size: 15px; margin: 20px 0 6px; } small { font-weight: normal; color: #4a5568; }
            .lead { font-size: 15px; } .generated { color: #4a5568; font-size: 12px; }
            code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
            pre.note { background: #f7fafc; border: 1px solid #e2e8f0; padding: 8px; white-space: pre-wrap; }
            .summary { display: flex; flex-wrap: wrap; gap: 10px; list-style: none; padding: 0; }
            .summary li { border: 1px solid #cbd5e0; border-radius: 6px; padding: 8px 12px; } .summary span { font-weight: 600; }
            .ok { color: #276749; } .bad { color: #c53030; } .warn { color: #c05621; } .none { color: #718096; font-style: italic; }
            dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; } dt { font-weight: 600; } dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
            table { border-collapse: collapse; width: 100%; margin: 6px 0; font-size: 12px; table-layout: auto; }
            th, td { border: 1px solid #e2e8f0; padding: 3px 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
            th { background: #edf2f7; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
            .more { font-size: 12px; color: #4a5568; }
            figure { margin: 12px 0; } figcaption { font-size: 12px; color: #4a5568; }
            svg.chart { max-width: 100%; height: auto; display: block; }
            @page { size: A4; margin: 14mm; }
            @media print {
              body { max-width: none; padding: 0; font-size: 11px; }
              section { break-before: page; }
              h2, h3 { break-after: avoid; }
              tr, figure, svg, dl, pre { break-inside: avoid; }
              thead { display: table-header-group; }
              a { color: inherit; text-decoration: none; }
            }
            """;
    }
}
