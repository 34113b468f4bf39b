using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Core.Decisions;

/// <summary>A NetworkPolicy named by namespace and name, with the resourceVersion the decision used.</summary>
public sealed record PolicyRef(string Namespace, string Name, string? ResourceVersion)
{
    /// <summary>"namespace/name".</summary>
    public string Key => $"{Namespace}/{Name}";

    /// <inheritdoc />
    public override string ToString() => Key;
}

/// <summary>
/// One (policy, rule, peer, port) that admits a connection. Indexes are 0-based in the order of the policy's
/// YAML; Peer is null when the rule has no from/to list (all peers), Port null when it has no ports list (all ports).
/// </summary>
public sealed record RuleMatch(PolicyRef Policy, int Rule, int? Peer, int? Port);

/// <summary>Which tier of policy decided a direction.</summary>
public enum DecisionTier
{
    /// <summary>Not set.</summary>
    Unknown = 0,
    /// <summary>No policy decided: the default allow (or the side was not evaluated).</summary>
    None,
    /// <summary>An AdminNetworkPolicy Allow or Deny rule.</summary>
    Admin,
    /// <summary>NetworkPolicy isolation and rules.</summary>
    NetworkPolicy,
    /// <summary>A BaselineAdminNetworkPolicy Allow or Deny rule.</summary>
    Baseline,
}

/// <summary>
/// One rule of an AdminNetworkPolicy or BaselineAdminNetworkPolicy that matched: the policy, the 0-based rule index
/// in its ingress or egress list, the rule's name and its action.
/// </summary>
public sealed record AdminRuleMatch(AdminPolicyKind Kind, string Policy, string? ResourceVersion, int Rule, string? RuleName, AdminAction Action);

/// <summary>The decision of one direction: the source's egress or the destination's ingress.</summary>
public sealed record DirectionDecision
{
    /// <summary>This direction's verdict.</summary>
    public required Verdict Verdict { get; init; }
    /// <summary>False when no NetworkPolicy can govern this side (external address, host network, node).</summary>
    public bool Applies { get; init; } = true;
    /// <summary>Whether some policy selects the pod for this direction.</summary>
    public bool Isolated { get; init; }
    /// <summary>The policies that select the pod for this direction; for a deny, these are the isolating policies.</summary>
    public IReadOnlyList<PolicyRef> SelectedBy { get; init; } = Array.Empty<PolicyRef>();
    /// <summary>Every (policy, rule, peer, port) that admits the connection.</summary>
    public IReadOnlyList<RuleMatch> AllowedBy { get; init; } = Array.Empty<RuleMatch>();
    /// <summary>The tier that decided this direction.</summary>
    public DecisionTier Tier { get; init; } = DecisionTier.None;
    /// <summary>The admin or baseline rule (Allow or Deny) that decided, when one did.</summary>
    public AdminRuleMatch? DecidedBy { get; init; }
    /// <summary>The AdminNetworkPolicy Pass rule that sent this direction on to NetworkPolicy, when one did.</summary>
    public AdminRuleMatch? PassedBy { get; init; }

    /// <summary>The decision of a side no policy governs (not isolated, allowed).</summary>
    public static DirectionDecision NotApplicable { get; } = new() { Verdict = Verdict.Allow, Applies = false };

    /// <summary>The decision of a side that could not be evaluated.</summary>
    public static DirectionDecision Unevaluated { get; } = new() { Verdict = Verdict.Unknown, Applies = false };
}

/// <summary>PolicyTrail's answer for one connection: verdict, attribution per direction and one human line.</summary>
public sealed record Decision
{
    /// <summary>The overall verdict: allow only if egress and ingress both allow.</summary>
    public required Verdict Verdict { get; init; }
    /// <summary>The source.</summary>
    public required Endpoint Source { get; init; }
    /// <summary>The destination (a service when one was addressed; see <see cref="Backends"/>).</summary>
    public required Endpoint Destination { get; init; }
    /// <summary>The destination port (after service translation for a backend decision).</summary>
    public int Port { get; init; }
    /// <summary>The protocol.</summary>
    public Protocol Protocol { get; init; }
    /// <summary>The destination's ingress side.</summary>
    public required DirectionDecision Ingress { get; init; }
    /// <summary>The source's egress side.</summary>
    public required DirectionDecision Egress { get; init; }
    /// <summary>One line a person reads, starting with the verdict (written on first read when it was deferred).</summary>
    public string Explanation
    {
        get => _explanation ??= _writeExplanation?.Invoke(this) ?? "";
        init => _explanation = value;
    }
    /// <summary>
    /// Writes <see cref="Explanation"/> when it is first read, instead of now: most decisions of a flow log are stored
    /// without theirs.
    /// </summary>
    public Func<Decision, string>? DeferredExplanation { init => _writeExplanation = value; }
    /// <summary>Why the connection could not be evaluated, when it could not.</summary>
    public string? Error { get; init; }
    /// <summary>For a service destination, one decision per backend pod.</summary>
    public IReadOnlyList<Decision>? Backends { get; init; }

    private string? _explanation;
    private Func<Decision, string>? _writeExplanation;

    /// <summary>Equal when everything a reader sees is equal (a deferred explanation is written to compare it).</summary>
    public bool Equals(Decision? other) =>
        other is not null && (ReferenceEquals(this, other)
            || (Verdict == other.Verdict && Equals(Source, other.Source) && Equals(Destination, other.Destination) && Port == other.Port
                && Protocol == other.Protocol && Equals(Ingress, other.Ingress) && Equals(Egress, other.Egress)
                && Explanation == other.Explanation && Error == other.Error && Equals(Backends, other.Backends)));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Verdict, Source, Destination, Port, Protocol, Ingress, Egress, Error);
}
