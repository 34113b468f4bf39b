using System.Text;
using System.Text.RegularExpressions;
using PolicyTrail.Core.Flows;

namespace PolicyTrail.Sources.Netfilter;

/// <summary>What a log prefix says about a packet once mapped: verdict, policies and the prefix itself.</summary>
internal sealed record PrefixOutcome(ReportedVerdict Verdict, string? RawVerdict, IReadOnlyList<string> Policies, IReadOnlyList<PolicyHit>? Hits);

/// <summary>
/// The --netfilter-prefix rules: user entries "PREFIX=verdict[:policy]" (PREFIX may hold Calico's %t %k %n %p
/// placeholders or end in *) and the presets "calico" and "kube-router". A log prefix is the only place a LOG or NFLOG
/// line can carry a verdict or a policy, so nothing is inferred without a rule.
/// </summary>
internal sealed partial class PrefixRules
{
    /// <summary>Preset names accepted in place of an entry.</summary>
    public static readonly string[] Presets = ["calico", "kube-router"];

    private readonly List<Entry> _exact = [];
    private readonly List<Entry> _patterns = [];
    private readonly List<Entry> _presets = [];

    private PrefixRules()
    {
    }

    /// <summary>Whether the calico preset is on (Calico NFLOG prefixes are decoded, cali* interfaces give direction).</summary>
    public bool Calico { get; private set; }

    /// <summary>The first entry that could not be read, with why; null when all were read.</summary>
    public string? Error { get; private set; }

    /// <summary>Reads the entries; a bad one is reported through <see cref="Error"/> (parsers reject lines with it).</summary>
    public static PrefixRules Parse(IReadOnlyList<string> entries)
    {
        var rules = new PrefixRules();
        foreach (var raw in entries)
        {
            var text = raw ?? "";
            if (text.Trim().Equals("calico", StringComparison.OrdinalIgnoreCase))
            {
                rules.Calico = true;
                rules._presets.Add(new Entry("calico-packet", ReportedVerdict.Unknown, "log", null, null));
                rules._presets.Add(new Entry("calico-drop", ReportedVerdict.Denied, "deny", null, null));
                continue;
            }
            if (text.Trim().Equals("kube-router", StringComparison.OrdinalIgnoreCase))
            {
                // kube-router NFLOGs (group 100, no prefix) only what its next rule REJECTs.
                rules._presets.Add(new Entry("", ReportedVerdict.Denied, "deny", null, null));
                continue;
            }
            if (!TryParseEntry(text, out var entry, out var why))
            {
                rules.Error ??= $"--netfilter-prefix '{text}' {why}";
                continue;
            }
            (entry.Pattern is null ? rules._exact : rules._patterns).Add(entry);
        }
        return rules;
    }

    /// <summary>Checks one entry as the CLI receives it; null when it is valid, else why not.</summary>
    public static string? Validate(string entry) =>
        Presets.Contains(entry.Trim(), StringComparer.OrdinalIgnoreCase) || TryParseEntry(entry, out _, out var why) ? null : why;

    /// <summary>Maps a prefix (verbatim, as logged) to an outcome; Unknown with no policies when no rule matches.</summary>
    public PrefixOutcome Map(string prefix)
    {
        var key = Normalize(prefix);
        var raw = key.Length == 0 ? null : prefix.TrimEnd();
        foreach (var e in _exact)
        {
            if (e.Key == key)
            {
                return Outcome(e, raw, null);
            }
        }
        foreach (var e in _patterns)
        {
            var m = e.Pattern!.Match(key);
            if (m.Success)
            {
                return Outcome(e, raw, m);
            }
        }
        if (Calico && CalicoNflog().Match(key) is { Success: true } nflog)
        {
            return CalicoNflogOutcome(nflog, raw!);
        }
        foreach (var e in _presets)
        {
            if (e.Key == key)
            {
                return Outcome(e, raw, null);
            }
        }
        return new PrefixOutcome(ReportedVerdict.Unknown, null, [], null);
    }

    private static PrefixOutcome Outcome(Entry e, string? raw, Match? m)
    {
        string? policy = e.Policy;
        string? tier = null, kind = null;
        if (m is not null)
        {
            tier = Group(m, "t");
            kind = Group(m, "k");
            policy ??= Group(m, "p") ?? Group(m, "n");
        }
        if (policy is null)
        {
            return new PrefixOutcome(e.Verdict, raw, [], null);
        }
        var slash = policy.IndexOf('/', StringComparison.Ordinal);
        var hit = new PolicyHit
        {
            Namespace = slash > 0 ? policy[..slash] : null,
            Name = slash > 0 ? policy[(slash + 1)..] : policy,
            Tier = tier,
            Kind = kind,
            Action = e.Action,
        };
        return new PrefixOutcome(e.Verdict, raw, [policy], [hit]);
    }

    private static string? Group(Match m, string name) => m.Groups[name] is { Success: true } g ? g.Value : null;

    // Calico's flow-log NFLOG prefix (felix rules/nflogprefix.go): action A/D/P (N in old releases), owner P(olicy) or
    // R (profile), direction I/E, rule index, then "|name" (absent for the no-match profile drop).
    private static PrefixOutcome CalicoNflogOutcome(Match m, string raw)
    {
        var action = m.Groups["a"].Value[0];
        var (verdict, word) = action switch
        {
            'A' => (ReportedVerdict.Allowed, "allow"),
            'D' => (ReportedVerdict.Denied, "deny"),
            _ => (ReportedVerdict.Unknown, "pass"),
        };
        var name = m.Groups["name"].Success ? m.Groups["name"].Value : null;
        if (name is null)
        {
            return new PrefixOutcome(verdict, raw, [], null);
        }
        var hit = new PolicyHit
        {
            Kind = m.Groups["o"].Value == "R" ? "Profile" : null,
            Name = name,
            RuleIndex = m.Groups["i"].Value.Length > 0 && int.TryParse(m.Groups["i"].Value, out var index) ? index : null,
            Action = word,
            Direction = m.Groups["d"].Value == "I" ? "ingress" : "egress",
        };
        return new PrefixOutcome(verdict, raw, [name], [hit]);
    }

    /// <summary>Prefixes compare without trailing blanks and one trailing colon: "PT-DROP", "PT-DROP:" and "PT-DROP: " are one prefix.</summary>
    private static string Normalize(string prefix)
    {
        var s = prefix.TrimEnd();
        if (s.EndsWith(':'))
        {
            s = s[..^1].TrimEnd();
        }
        return s;
    }

    private static bool TryParseEntry(string text, out Entry entry, out string why)
    {
        entry = default!;
        for (var eq = text.LastIndexOf('='); eq >= 0; eq = eq == 0 ? -1 : text.LastIndexOf('=', eq - 1))
        {
            var m = VerdictPart().Match(text[(eq + 1)..]);
            if (!m.Success)
            {
                continue;
            }
            var (verdict, action) = m.Groups["v"].Value.ToLowerInvariant() switch
            {
                "allow" or "accept" => (ReportedVerdict.Allowed, "allow"),
                "deny" or "drop" or "reject" => (ReportedVerdict.Denied, "deny"),
                "audit" => (ReportedVerdict.Audit, "audit"),
                _ => (ReportedVerdict.Unknown, "log"),
            };
            var policy = m.Groups["p"].Success && m.Groups["p"].Value.Length > 0 ? m.Groups["p"].Value : null;
            var key = Normalize(text[..eq]);
            entry = new Entry(key, verdict, action, policy, ToPattern(key));
            why = "";
            return true;
        }
        why = "is not PREFIX=allow|deny|audit|log[:policy] or a preset (calico, kube-router)";
        return false;
    }

    private static Regex? ToPattern(string key)
    {
        if (!key.Contains('%', StringComparison.Ordinal) && !key.EndsWith('*'))
        {
            return null;
        }
        var sb = new StringBuilder("^");
        var seen = new HashSet<char>();
        for (var i = 0; i < key.Length; i++)
        {
            if (key[i] == '%' && i + 1 < key.Length && "tknp".Contains(key[i + 1], StringComparison.Ordinal) && seen.Add(key[i + 1]))
            {
                sb.Append("(?<").Append(key[i + 1]).Append(@">\S+?)");
                i++;
            }
            else if (key[i] == '*' && i == key.Length - 1)
            {
                sb.Append(".*");
            }
            else
            {
                sb.Append(Regex.Escape(key[i].ToString()));
            }
        }
        sb.Append('$');
        return new Regex(sb.ToString(), RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
    }

    [GeneratedRegex(@"^(?<v>allow|accept|deny|drop|reject|audit|log|unknown)(?::(?<p>.*))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VerdictPart();

    [GeneratedRegex(@"^(?<a>[ADPN])(?<o>[PR])(?<d>[IE])(?<i>\d*)(?:\|(?<name>.+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex CalicoNflog();

    private sealed record Entry(string Key, ReportedVerdict Verdict, string Action, string? Policy, Regex? Pattern);
}
