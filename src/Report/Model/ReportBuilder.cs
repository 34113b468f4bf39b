using System.Globalization;
using System.Text;
using System.Text.Json;
using PolicyTrail.Identity.History;
using PolicyTrail.Ingest.Changes;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;
using PolicyTrail.Ledger.Verification;
using PolicyTrail.Query.Answers;
using PolicyTrail.Query.Filtering;

namespace PolicyTrail.Report.Model;

/// <summary>
/// Builds the report model from a store: every number is read from the store's entries (and the audit answers over
/// them), nothing from outside it but the options. The same store and options give the same model, apart from
/// <see cref="ReportModel.GeneratedAt"/>.
/// </summary>
public static class ReportBuilder
{
    /// <summary>The label or annotation (value "true") that marks a Pod or Service as sensitive in the cluster history.</summary>
    public const string SensitiveKey = "policytrail.io/sensitive";

    private const string RejectedPrefix = "rejected record: ";

    /// <summary>Reads the store and answers every section for the options' period.</summary>
    /// <exception cref="ArgumentException">A --sensitive value is not a destination (message for users).</exception>
    public static ReportModel Build(ILedgerStore store, ReportOptions options, DateTimeOffset generatedAt)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var targets = new List<(SensitiveTarget Target, AccessTarget Parsed)>();
        foreach (var text in options.Sensitive)
        {
            var parsed = AccessTarget.Parse(text, out var error) ?? throw new ArgumentException($"--sensitive: {error?.Replace("--to ", "", StringComparison.Ordinal)}");
            targets.Add((new SensitiveTarget(text.Trim(), "--sensitive"), parsed));
        }

        var state = store.LoadState();
        var fragments = new FragmentTable(store.ReadFragments());
        var changes = ChangeReader.Read(store, fragments).ToList();
        var gaps = ReadGaps(store, fragments);
        var flowBounds = store.GroupFlows(new EntryFilter { Kind = EntryKind.Flow }, new FlowGrouping { Sides = false });
        var snapshots = store.ReadSnapshots();

        // The store's first and last entry times, over every kind.
        var times = flowBounds.Select(g => g.FirstSeen).Concat(flowBounds.Select(g => g.LastSeen))
            .Concat(changes.Select(c => c.Change.Time)).Concat(gaps.Select(g => g.Time))
            .Concat(snapshots.Select(s => (s.TakenAt.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100))
            .ToList();
        long? first = times.Count == 0 ? null : times.Min();
        long? last = times.Count == 0 ? null : times.Max();
        var sinceGiven = options.Since != long.MinValue;
        var untilGiven = options.Until != long.MaxValue;
        var since = sinceGiven ? options.Since : first ?? 0;
        var until = untilGiven ? options.Until : last is { } l ? l + 1 : since;
        if (until < since)
        {
            throw new ArgumentException($"the period is empty: --until {Times.Exact(until)} is before --since {Times.Exact(since)}");
        }
        var period = new EntryFilter { Since = since, Until = until, Kind = EntryKind.Flow };
        var context = new Context(options, since, until);

        foreach (var target in SensitiveFromHistory(changes, until))
        {
            if (!targets.Any(t => t.Target.Selector == target.Selector))
            {
                targets.Add((target, AccessTarget.Parse(target.Selector, out _)!));
            }
        }

        var pass = FlowPass.Read(store, fragments, period, since, until);
        var answers = new AuditAnswers(store);
        var inPeriod = (long t) => t >= since && t < until;

        var scope = new ScopeSection(
            store.Description, state?.Identity.Origin, state?.Size ?? 0, first, last, since, until, sinceGiven, untilGiven,
            pass.FlowEntries, pass.Attempts, gaps.Count(g => inPeriod(g.Time)),
            changes.Count(c => IsPolicy(c.Change.Kind) && inPeriod(c.Change.Time)),
            changes.Count(c => !IsPolicy(c.Change.Kind) && inPeriod(c.Change.Time)) + snapshots.Count(s => inPeriod((s.TakenAt.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100)),
            [.. targets.Select(t => t.Target)]);

        var denied = answers.Denied(period, crossNamespace: false);
        var crossDenied = answers.Denied(period, crossNamespace: true);
        var talkers = answers.Talkers(period);
        return new ReportModel
        {
            GeneratedAt = generatedAt,
            Scope = scope,
            Sources = Sources(state, pass, gaps.Where(g => inPeriod(g.Time)).ToList(), context),
            Verification = Verification(store, options),
            Access = [.. targets.Select(t => Access(answers, t.Target, t.Parsed, period, context))],
            Talkers = context.Bound(talkers, "talkers"),
            DeniedCrossNamespace = context.Bound(crossDenied, "denied --cross-namespace"),
            Coverage = Coverage(answers, until, context),
            PolicyChanges = context.Bound(PolicyChanges(changes, since, until), null,
                $"{context.Query} -o jsonl | grep '\"kind\":\"policy-change\"'"),
            Disagreements = context.Bound(Disagreements(store, fragments, period), "query --disagreement"),
            Activity = pass.Series,
            TopDeniedPairs = [.. denied.Take(10)],
        };
    }

    private static bool IsPolicy(string kind) =>
        kind is ObjectKinds.NetworkPolicy or ObjectKinds.AdminNetworkPolicy or ObjectKinds.BaselineAdminNetworkPolicy;

    /// <summary>The options' period and store, to write the "list all" commands and cut tables.</summary>
    private sealed class Context(ReportOptions options, long since, long until)
    {
        public string Range { get; } = $"{(options.StorePath is { } s ? $" --store {Quote(s)}" : "")} --since {Times.Exact(since)} --until {Times.Exact(until)}";

        public string Query => $"policytrail query{Range}";

        public Bounded<T> Bound<T>(IReadOnlyList<T> rows, string? verb, string? command = null) =>
            new([.. rows.Take(Math.Max(0, options.TopRows))], rows.Count, command ?? $"policytrail {verb}{Range}");

        public string Store => options.StorePath is { } s ? $" --store {Quote(s)}" : "";

        public static string Quote(string value) =>
            value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or ':' or '=' or ',')
                ? value
                : $"'{value.Replace("'", "'\\''", StringComparison.Ordinal)}'";
    }

    private static AccessSection Access(AuditAnswers answers, SensitiveTarget target, AccessTarget parsed, EntryFilter period, Context context)
    {
        var command = $"policytrail access --to {Context.Quote(target.Selector)}{context.Range}";
        try
        {
            var rows = answers.Access(parsed, period);
            return new AccessSection(target, parsed.ToString(), context.Bound(rows, null, command), rows.Sum(r => r.Attempts), rows.Sum(r => r.Denied), null);
        }
        catch (ArgumentException e)
        {
            return new AccessSection(target, parsed.ToString(), new Bounded<AccessRow>([], 0, command), 0, 0, e.Message);
        }
    }

    /// <summary>Pods and Services whose label or annotation <see cref="SensitiveKey"/> is "true" in any version recorded before the period ends.</summary>
    private static IEnumerable<SensitiveTarget> SensitiveFromHistory(List<(long Index, ClusterChange Change)> changes, long until)
    {
        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (_, change) in changes)
        {
            if (change.Kind is not (ObjectKinds.Pod or ObjectKinds.Service) || change.Namespace is null || change.ObjectJson is null || change.Time >= until)
            {
                continue;
            }
            using var document = JsonDocument.Parse(change.ObjectJson);
            var metadata = FragmentJson.Obj(document.RootElement, "metadata");
            var how = FragmentJson.Str(FragmentJson.Obj(metadata, "labels"), SensitiveKey) == "true" ? "label"
                : FragmentJson.Str(FragmentJson.Obj(metadata, "annotations"), SensitiveKey) == "true" ? "annotation"
                : null;
            if (how is not null)
            {
                var selector = $"{(change.Kind == ObjectKinds.Pod ? "pod" : "svc")}:{change.Namespace}/{change.Name}";
                found.TryAdd(selector, $"{change.Kind} {how} {SensitiveKey}=true");
            }
        }
        return found.Select(f => new SensitiveTarget(f.Key, f.Value));
    }

    private static CoverageSection Coverage(AuditAnswers answers, long until, Context context)
    {
        var at = until - 1;
        if (answers.Timeline.ChangeCount == 0)
        {
            return new CoverageSection(null, 0, 0, 0, new Bounded<PodCoverage>([], 0, ""), "the store holds no cluster history (record one with ingest --cluster, snapshot import or watch)");
        }
        var report = answers.Coverage(at);
        var pods = report.Pods;
        return new CoverageSection(
            report,
            pods.Count(p => !p.IngressIsolated && !p.HostNetwork),
            pods.Count(p => !p.EgressIsolated && !p.HostNetwork),
            pods.Count(p => p.HostNetwork),
            context.Bound(pods, null, $"policytrail coverage{context.Store} --at {Times.Exact(at)}"),
            null);
    }

    private static List<PolicyChangeRow> PolicyChanges(List<(long Index, ClusterChange Change)> changes, long since, long until) =>
        [.. changes
            .Where(c => IsPolicy(c.Change.Kind) && c.Change.Time >= since && c.Change.Time < until)
            .Select(c => new PolicyChangeRow(
                c.Index, c.Change.Time, c.Change.NotBefore is { } nb && nb != long.MinValue ? nb : null, c.Change.NotBefore == long.MinValue,
                c.Change.Kind, c.Change.Namespace, c.Change.Name, c.Change.Type.ToString().ToLowerInvariant(), c.Change.ResourceVersion,
                c.Change.User, c.Change.Origin))
            .OrderBy(r => r.Time).ThenBy(r => r.Index)];

    /// <summary>Every gap entry of the store, rebuilt (gap entries are few: lost events, rejected lines, watch outages).</summary>
    private static List<GapEntry> ReadGaps(ILedgerStore store, FragmentTable fragments)
    {
        var gaps = new List<GapEntry>();
        foreach (var row in store.Query(new EntryFilter { Kind = EntryKind.Gap }))
        {
            using var document = JsonDocument.Parse(EntryTemplates.Rebuild(row, fragments));
            var e = document.RootElement;
            var source = FragmentJson.Obj(e, "source");
            var file = FragmentJson.Str(source, "file") ?? FragmentJson.Str(source, "origin");
            var format = FragmentJson.Str(source, "format");
            gaps.Add(new GapEntry(
                row.Index, row.Time, FragmentJson.Str(e, "reason") ?? "(no reason given)", FragmentJson.Int(e, "lost"),
                Time(FragmentJson.Str(e, "from")), Time(FragmentJson.Str(e, "until") ?? FragmentJson.Str(e, "end")),
                file is null ? format : format is null ? file : $"{format} {file}", file));
        }
        return gaps;
    }

    private static long? Time(string? text) =>
        text is not null && Core.Flows.Timestamp.TryParseRfc3339(text, out var t) ? t.UnixNanos : null;

    private sealed record GapEntry(long Index, long Time, string Reason, long? Lost, long? From, long? Until, string? Source, string? File);

    private static SourcesSection Sources(LedgerState? state, FlowPass pass, List<GapEntry> gaps, Context context)
    {
        var inputs = state?.Sources.Values
            .OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => new InputRow(s.Key, s.Line, s.Updated)).ToList() ?? [];
        var rejected = gaps.Where(g => g.Reason.StartsWith(RejectedPrefix, StringComparison.Ordinal)).ToList();
        var rejects = rejected
            .GroupBy(g => g.Reason[RejectedPrefix.Length..], StringComparer.Ordinal)
            .Select(g => new RejectRow(g.Key, g.Sum(x => x.Lost ?? 1), [.. g.Select(x => x.File ?? "(unknown)").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]))
            .OrderByDescending(r => r.Lines).ThenBy(r => r.Reason, StringComparer.Ordinal)
            .ToList();
        var other = gaps.Where(g => !g.Reason.StartsWith(RejectedPrefix, StringComparison.Ordinal))
            .OrderBy(g => g.Time).ThenBy(g => g.Index)
            .Select(g => new GapRow(g.Index, g.Time, g.Reason, g.Lost, g.From, g.Until, g.Source))
            .ToList();
        return new SourcesSection(
            inputs, pass.Formats,
            context.Bound(other, null, $"{context.Query} -o jsonl | grep '\"kind\":\"gap\"'"),
            rejects, rejected.Sum(g => g.Lost ?? 1), other.Sum(g => g.Lost ?? 0));
    }

    private static VerificationSection Verification(ILedgerStore store, ReportOptions options)
    {
        var checkpoints = store.ReadCheckpoints();
        var latest = checkpoints.Count == 0 ? null : CheckpointOf(checkpoints[^1]);
        if (!options.Verify)
        {
            return new VerificationSection(VerificationStatus.NotRun, null, 0, checkpoints.Count, null, null, null, latest);
        }
        if (options.VerifierKey is not { } key)
        {
            return new VerificationSection(VerificationStatus.NoKey, "no verifier key was given, so the checkpoint signatures could not be checked", 0, checkpoints.Count, null, null, null, latest);
        }
        var result = LedgerVerifier.Verify(store, key, options.KeptCheckpoints);
        return new VerificationSection(
            result.Intact ? VerificationStatus.Intact : VerificationStatus.Failed, result.Problem, result.Entries, result.Checkpoints,
            result.Root is { } root ? Convert.ToHexStringLower(root) : null,
            string.Create(CultureInfo.InvariantCulture, $"{key.Name}+{key.KeyId:x8}"), options.VerifierKeySource,
            latest);
    }

    /// <summary>The checkpoint a stored note carries (its text read without checking the signature; verification does that).</summary>
    internal static CheckpointInfo? CheckpointOf(StoredCheckpoint stored)
    {
        var split = stored.Note.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !Checkpoint.TryParse(stored.Note[..(split + 1)], out var checkpoint, out _))
        {
            return null;
        }
        var signers = stored.Note[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith("\u2014 ", StringComparison.Ordinal))
            .Select(line => line[2..].Split(' ')[0])
            .ToList();
        return new CheckpointInfo(stored.Sequence, checkpoint.Origin, checkpoint.Size, Convert.ToHexStringLower(checkpoint.RootHash), signers, stored.Note);
    }

    private static List<DisagreementRow> Disagreements(ILedgerStore store, FragmentTable fragments, EntryFilter period)
    {
        var plan = FilterPlanner.Plan(new FlowCriteria { Disagreement = true }, fragments.Select(), new StoreInventory(store));
        var decoded = new Dictionary<uint, JsonDocument>();
        JsonElement Decode(uint? id)
        {
            if (id is not { } key)
            {
                return default;
            }
            if (!decoded.TryGetValue(key, out var document))
            {
                decoded[key] = document = FragmentJson.Parse(fragments[key].Text);
            }
            return document.RootElement;
        }
        try
        {
            var rows = new Dictionary<(string, string, int?, string?, bool, string, string), (long Attempts, long First, long Last, SortedSet<string> Policies)>();
            foreach (var g in store.GroupFlows(plan.Apply(period)))
            {
                var root = Decode(g.Template);
                var decision = FragmentJson.Obj(root, "decision");
                if (FragmentJson.Str(decision, "agreement") != "disagree")
                {
                    continue;
                }
                var key = (
                    EndpointText(Decode(g.Src)), EndpointText(Decode(g.Dst)), g.DstPort, FragmentJson.Str(root, "protocol"),
                    root.ValueKind == JsonValueKind.Object && root.TryGetProperty("isReply", out var reply) && reply.ValueKind == JsonValueKind.True,
                    FragmentJson.Str(FragmentJson.Obj(root, "reported"), "verdict") ?? "?", FragmentJson.Str(decision, "verdict") ?? "?");
                var (attempts, firstSeen, lastSeen, policies) = rows.TryGetValue(key, out var r) ? r : (0, long.MaxValue, long.MinValue, new SortedSet<string>(StringComparer.Ordinal));
                foreach (var side in new[] { Decode(g.Egress), Decode(g.Ingress) })
                {
                    policies.UnionWith(Deciding(side));
                }
                rows[key] = (checked(attempts + g.Attempts), Math.Min(firstSeen, g.FirstSeen), Math.Max(lastSeen, g.LastSeen), policies);
            }
            return [.. rows
                .Select(r => new DisagreementRow(r.Key.Item1, r.Key.Item2, r.Key.Item3, r.Key.Item4, r.Key.Item5, r.Key.Item6, r.Key.Item7,
                    r.Value.Attempts, r.Value.First, r.Value.Last, [.. r.Value.Policies]))
                .OrderByDescending(r => r.Attempts)
                .ThenBy(r => r.Source, StringComparer.Ordinal)
                .ThenBy(r => r.Destination, StringComparer.Ordinal)
                .ThenBy(r => r.Port)
                .ThenBy(r => r.Protocol, StringComparer.Ordinal)
                .ThenBy(r => r.IsReply)
                .ThenBy(r => r.Reported, StringComparer.Ordinal)];
        }
        finally
        {
            foreach (var document in decoded.Values)
            {
                document.Dispose();
            }
        }
    }

    // The policies a decision side names: the admin policy that decided it, those that allowed it, or for a default deny
    // those that isolated the pod.
    private static IEnumerable<string> Deciding(JsonElement side)
    {
        var by = FragmentJson.Obj(side, "decidedBy");
        if (FragmentJson.Str(by, "name") is { } admin)
        {
            return [$"{FragmentJson.Str(by, "kind") ?? "AdminNetworkPolicy"}/{admin}"];
        }
        return FragmentJson.Str(side, "verdict") switch
        {
            "allow" => FragmentJson.Objects(side, "allowedBy").Select(m => FragmentJson.Str(m, "policy")).OfType<string>(),
            "deny" => FragmentJson.Strings(side, "selectedBy"),
            _ => [],
        };
    }

    /// <summary>"namespace/pod", a Service as "namespace/name (service)", or the address.</summary>
    internal static string EndpointText(JsonElement e)
    {
        if (FragmentJson.Str(e, "pod") is { } pod)
        {
            return $"{FragmentJson.Str(e, "namespace")}/{pod}";
        }
        if (FragmentJson.Str(e, "kind") == "service" && FragmentJson.Str(e, "service") is { } service)
        {
            return $"{service} (service)";
        }
        return FragmentJson.Str(e, "ip") ?? "(unknown)";
    }

    private static IEnumerable<Fragment> Select(this FragmentTable table)
    {
        for (var id = 0u; id < table.Count; id++)
        {
            yield return table[id];
        }
    }

    /// <summary>One read of the period's flow entries: the time series, the entries per source, the totals.</summary>
    private sealed class FlowPass
    {
        public long FlowEntries { get; private set; }
        public long Attempts { get; private set; }
        public required TimeSeries Series { get; init; }
        public IReadOnlyList<FormatRow> Formats { get; private set; } = [];

        public static FlowPass Read(ILedgerStore store, FragmentTable fragments, EntryFilter period, long since, long until)
        {
            var step = Step(until - since);
            var start = since == until ? since : Floor(since, step);
            var count = since == until ? 0 : (int)((until - 1 - start) / step + 1);
            var flows = new long[count];
            var denied = new long[count];
            var roots = new Dictionary<uint, (bool Reply, bool Deny)>();
            var sources = new Dictionary<uint, long>();
            long entries = 0, attempts = 0, noSource = 0;
            foreach (var row in store.Query(period with { Kind = EntryKind.Flow }))
            {
                entries++;
                if (row.SourceRef is { } sourceRef)
                {
                    sources[sourceRef] = sources.GetValueOrDefault(sourceRef) + 1;
                }
                else
                {
                    noSource++;
                }
                if (!roots.TryGetValue(row.Template, out var root))
                {
                    using var document = FragmentJson.Parse(fragments[row.Template].Text);
                    var e = document.RootElement;
                    roots[row.Template] = root = (
                        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("isReply", out var r) && r.ValueKind == JsonValueKind.True,
                        FragmentJson.Str(FragmentJson.Obj(e, "decision"), "verdict") == "deny");
                }
                // Replies answer a connection already counted (as the audit answers count).
                if (root.Reply)
                {
                    continue;
                }
                var n = row.Count ?? 1;
                attempts = checked(attempts + n);
                var bucket = (int)((row.Time - start) / step);
                if (bucket >= 0 && bucket < count)
                {
                    flows[bucket] += n;
                    if (root.Deny)
                    {
                        denied[bucket] += n;
                    }
                }
            }
            var formats = new Dictionary<(string, string), long>();
            foreach (var (id, n) in sources)
            {
                using var document = FragmentJson.Parse(fragments[id].Text);
                var e = document.RootElement;
                var source = FragmentJson.Obj(e, "source").ValueKind == JsonValueKind.Object ? FragmentJson.Obj(e, "source") : e;
                var key = (FragmentJson.Str(source, "format") ?? "(unknown)", FragmentJson.Str(source, "file") ?? "(unknown)");
                formats[key] = formats.GetValueOrDefault(key) + n;
            }
            if (noSource > 0)
            {
                formats[("(not recorded)", "(not recorded)")] = noSource;
            }
            return new FlowPass
            {
                FlowEntries = entries,
                Attempts = attempts,
                Series = new TimeSeries(start, step, [.. Enumerable.Range(0, count).Select(i => new TimeBucket(start + i * step, flows[i], denied[i]))]),
                Formats = [.. formats.Select(f => new FormatRow(f.Key.Item1, f.Key.Item2, f.Value))
                    .OrderBy(f => f.Format, StringComparer.Ordinal).ThenBy(f => f.File, StringComparer.Ordinal)],
            };
        }

        private static readonly long[] Steps =
        [
            1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000,
            7776000, 31536000,
        ];

        /// <summary>The smallest round interval that cuts the span into at most 60 buckets.</summary>
        internal static long Step(long span)
        {
            foreach (var seconds in Steps)
            {
                var step = seconds * 1_000_000_000L;
                if (span / step < 60)
                {
                    return step;
                }
            }
            return Math.Max(1, span / 60 + 1);
        }

        private static long Floor(long t, long step) => t - ((t % step) + step) % step;
    }
}
