using System.Text.Json;
using PolicyTrail.Ledger.Entries;

namespace PolicyTrail.Query.Answers;

/// <summary>What a flow's root template says: its protocol, whether it is a reply, PolicyTrail's verdict.</summary>
internal sealed record RootFacts(string? Protocol, bool? IsReply, string? Verdict);

/// <summary>What an endpoint fragment says of one side of a flow.</summary>
internal sealed record EndpointFacts(string? Ip, string? Namespace, string? Pod, string? Kind, string? Workload, string? Service)
{
    /// <summary>The workload, or the pod itself when it has no owner.</summary>
    public string? WorkloadOrPod => Workload ?? Pod;
}

/// <summary>What one side (ingress or egress) of a decision says: its verdict and the policies that decided it (sorted, distinct).</summary>
internal sealed record SideFacts(string? Verdict, IReadOnlyList<string> Deciding);

/// <summary>
/// Decodes the few distinct fragments a grouped read names, each once, from the fragment's own text (the bytes verify
/// checks), never from a store's derived columns.
/// </summary>
internal sealed class FlowFragments(FragmentTable table)
{
    private static readonly SideFacts NoSide = new(null, []);
    private readonly Dictionary<uint, RootFacts> _roots = [];
    private readonly Dictionary<uint, EndpointFacts> _endpoints = [];
    private readonly Dictionary<uint, SideFacts> _sides = [];

    /// <summary>The fragments by id.</summary>
    public FragmentTable Table { get; } = table;

    public RootFacts Root(uint id)
    {
        if (!_roots.TryGetValue(id, out var facts))
        {
            using var document = Parse(id);
            var root = document.RootElement;
            var decision = Object(root, "decision");
            _roots[id] = facts = new RootFacts(
                String(root, "protocol"),
                root.ValueKind == JsonValueKind.Object && root.TryGetProperty("isReply", out var reply) && reply.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? reply.GetBoolean() : null,
                String(decision, "verdict"));
        }
        return facts;
    }

    public EndpointFacts Endpoint(uint? id)
    {
        if (id is not { } key)
        {
            return new EndpointFacts(null, null, null, null, null, null);
        }
        if (!_endpoints.TryGetValue(key, out var facts))
        {
            using var document = Parse(key);
            var e = document.RootElement;
            _endpoints[key] = facts = new EndpointFacts(
                String(e, "ip"), String(e, "namespace"), String(e, "pod"), String(e, "kind"), String(e, "workload"), String(e, "service"));
        }
        return facts;
    }

    public SideFacts Side(uint? id)
    {
        if (id is not { } key)
        {
            return NoSide;
        }
        if (!_sides.TryGetValue(key, out var facts))
        {
            using var document = Parse(key);
            var side = document.RootElement;
            var verdict = String(side, "verdict");
            var deciding = new List<string>();
            var by = Object(side, "decidedBy");
            if (by.ValueKind == JsonValueKind.Object && String(by, "name") is { } admin)
            {
                // Admin policies are cluster-scoped: named by kind, which no namespace can be ("AdminNetworkPolicy/name").
                deciding.Add($"{String(by, "kind") ?? "AdminNetworkPolicy"}/{admin}");
            }
            else if (verdict == "allow")
            {
                foreach (var match in Array(side, "allowedBy"))
                {
                    if (String(match, "policy") is { } policy && !deciding.Contains(policy))
                    {
                        deciding.Add(policy);
                    }
                }
            }
            else if (verdict == "deny")
            {
                deciding.AddRange(Array(side, "selectedBy").Where(p => p.ValueKind == JsonValueKind.String).Select(p => p.GetString()!));
            }
            // Sorted and distinct once here: a row's policies are then usually this very list, shared (see AuditAnswers.Tally).
            _sides[key] = facts = new SideFacts(verdict, [.. deciding.Distinct().Order(StringComparer.Ordinal)]);
        }
        return facts;
    }

    private JsonDocument Parse(uint id) => EntrySlots.ParseTemplate(Table[id].Text);

    private static JsonElement Object(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Object ? p : default;

    private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Array ? p.EnumerateArray() : [];

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}
