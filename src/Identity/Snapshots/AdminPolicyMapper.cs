using System.Globalization;
using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Identity.Snapshots;

/// <summary>
/// Reads AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) straight from JSON —
/// KubernetesClient has no models for them — and validates what the CRD's OpenAPI schema and CEL rules enforce.
/// Unknown fields are ignored, as the API server prunes them.
/// </summary>
internal static class AdminPolicyMapper
{
    private const int MaxRules = 100;
    private const int MaxPeers = 100;
    private const int MaxPorts = 100;
    private const int MaxNetworks = 25;
    private const int MaxRuleName = 100;

    public static AdminNetworkPolicyInfo Map(JsonElement element, AdminPolicyKind kind, string name, SourceLocation source, ProblemSink problems)
    {
        var baseline = kind == AdminPolicyKind.BaselineAdminNetworkPolicy;
        if (baseline && name != "default")
        {
            problems.Add("$.metadata.name", "only one baseline admin network policy with metadata.name=\"default\" can be created in the cluster");
        }
        string? resourceVersion = null;
        if (element.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("resourceVersion", out var rv) && rv.ValueKind == JsonValueKind.String)
        {
            resourceVersion = rv.GetString();
        }
        var priority = 0;
        var subject = new AdminPeerInfo();
        var ingress = new List<AdminRuleInfo>();
        var egress = new List<AdminRuleInfo>();
        if (!element.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object)
        {
            problems.Add("$.spec", "Required value");
        }
        else
        {
            if (!baseline)
            {
                if (!spec.TryGetProperty("priority", out var p) || p.ValueKind == JsonValueKind.Null)
                {
                    problems.Add("$.spec.priority", "Required value");
                }
                else if (p.ValueKind != JsonValueKind.Number || !p.TryGetInt32(out priority))
                {
                    problems.Add("$.spec.priority", $"must be an integer, not {Show(p)}");
                }
                else if (priority is < 0 or > 1000)
                {
                    problems.Add("$.spec.priority", $"{priority} must be between 0 and 1000");
                }
            }
            if (!spec.TryGetProperty("subject", out var s) || s.ValueKind == JsonValueKind.Null)
            {
                problems.Add("$.spec.subject", "Required value");
            }
            else
            {
                subject = Subject(s, "$.spec.subject", problems);
            }
            Rules(spec, "ingress", baseline, ingress, problems);
            Rules(spec, "egress", baseline, egress, problems);
        }
        return new AdminNetworkPolicyInfo
        {
            Kind = kind,
            Name = name,
            Priority = priority,
            ResourceVersion = resourceVersion,
            Subject = subject,
            Ingress = ingress,
            Egress = egress,
            Source = source,
        };
    }

    private static AdminPeerInfo Subject(JsonElement subject, string path, ProblemSink problems)
    {
        if (!IsObject(subject, path, problems))
        {
            return new AdminPeerInfo();
        }
        var set = Fields(subject, ["namespaces", "pods"]);
        if (set.Count != 1)
        {
            problems.Add(path, set.Count == 0 ? "one of namespaces or pods is required" : "exactly one of namespaces or pods may be set");
            return new AdminPeerInfo();
        }
        return set[0] == "namespaces"
            ? new AdminPeerInfo { NamespaceSelector = Selector(subject.GetProperty("namespaces"), $"{path}.namespaces", problems) }
            : Pods(subject.GetProperty("pods"), $"{path}.pods", problems);
    }

    private static void Rules(JsonElement spec, string direction, bool baseline, List<AdminRuleInfo> rules, ProblemSink problems)
    {
        if (!spec.TryGetProperty(direction, out var list) || list.ValueKind == JsonValueKind.Null)
        {
            return;
        }
        var path = $"$.spec.{direction}";
        if (list.ValueKind != JsonValueKind.Array)
        {
            problems.Add(path, $"must be a list, not {Show(list)}");
            return;
        }
        if (list.GetArrayLength() > MaxRules)
        {
            problems.Add(path, $"must have at most {MaxRules} rules");
        }
        var i = 0;
        foreach (var rule in list.EnumerateArray())
        {
            var at = Index(path, i++);
            if (IsObject(rule, at, problems))
            {
                rules.Add(Rule(rule, at, direction == "egress", baseline, problems));
            }
        }
    }

    private static AdminRuleInfo Rule(JsonElement rule, string path, bool egress, bool baseline, ProblemSink problems)
    {
        string? name = null;
        if (rule.TryGetProperty("name", out var n) && n.ValueKind != JsonValueKind.Null)
        {
            if (n.ValueKind != JsonValueKind.String)
            {
                problems.Add($"{path}.name", $"must be a string, not {Show(n)}");
            }
            else
            {
                name = n.GetString();
                if (name!.Length > MaxRuleName)
                {
                    problems.Add($"{path}.name", $"may not be longer than {MaxRuleName} characters");
                }
            }
        }
        var action = AdminAction.Unknown;
        var allowed = baseline ? "Allow or Deny" : "Allow, Deny or Pass";
        if (!rule.TryGetProperty("action", out var a) || a.ValueKind == JsonValueKind.Null)
        {
            problems.Add($"{path}.action", "Required value");
        }
        else
        {
            action = a.ValueKind == JsonValueKind.String ? a.GetString() switch
            {
                "Allow" => AdminAction.Allow,
                "Deny" => AdminAction.Deny,
                "Pass" when !baseline => AdminAction.Pass,
                _ => AdminAction.Unknown,
            } : AdminAction.Unknown;
            if (action == AdminAction.Unknown)
            {
                problems.Add($"{path}.action", $"{Show(a)} is not an action ({allowed})");
            }
        }
        var peerField = egress ? "to" : "from";
        var peers = new List<AdminPeerInfo>();
        if (!rule.TryGetProperty(peerField, out var list) || list.ValueKind == JsonValueKind.Null)
        {
            problems.Add($"{path}.{peerField}", "Required value");
        }
        else if (list.ValueKind != JsonValueKind.Array)
        {
            problems.Add($"{path}.{peerField}", $"must be a list, not {Show(list)}");
        }
        else
        {
            var count = list.GetArrayLength();
            if (count == 0)
            {
                problems.Add($"{path}.{peerField}", "must have at least 1 peer");
            }
            else if (count > MaxPeers)
            {
                problems.Add($"{path}.{peerField}", $"must have at most {MaxPeers} peers");
            }
            var i = 0;
            foreach (var peer in list.EnumerateArray())
            {
                peers.Add(Peer(peer, Index($"{path}.{peerField}", i++), egress, problems));
            }
        }
        List<AdminPortInfo>? ports = null;
        if (rule.TryGetProperty("ports", out var portList) && portList.ValueKind != JsonValueKind.Null)
        {
            if (portList.ValueKind != JsonValueKind.Array)
            {
                problems.Add($"{path}.ports", $"must be a list, not {Show(portList)}");
            }
            else
            {
                if (portList.GetArrayLength() > MaxPorts)
                {
                    problems.Add($"{path}.ports", $"must have at most {MaxPorts} entries");
                }
                ports = [];
                var i = 0;
                foreach (var port in portList.EnumerateArray())
                {
                    if (Port(port, Index($"{path}.ports", i++), problems) is { } mapped)
                    {
                        ports.Add(mapped);
                    }
                }
            }
        }
        return new AdminRuleInfo(name, action, peers, ports);
    }

    private static AdminPeerInfo Peer(JsonElement peer, string path, bool egress, ProblemSink problems)
    {
        if (!IsObject(peer, path, problems))
        {
            return new AdminPeerInfo();
        }
        string[] known = egress ? ["namespaces", "pods", "nodes", "networks"] : ["namespaces", "pods"];
        var set = Fields(peer, known);
        if (set.Count != 1)
        {
            problems.Add(path, set.Count == 0
                ? $"one of {string.Join(", ", known)} is required"
                : $"exactly one of {string.Join(", ", known)} may be set");
            return new AdminPeerInfo();
        }
        var value = peer.GetProperty(set[0]);
        var at = $"{path}.{set[0]}";
        switch (set[0])
        {
            case "namespaces":
                return new AdminPeerInfo { NamespaceSelector = Selector(value, at, problems) };
            case "pods":
                return Pods(value, at, problems);
            case "nodes":
                return new AdminPeerInfo { Nodes = Selector(value, at, problems) };
            default:
                return Networks(value, at, problems);
        }
    }

    private static AdminPeerInfo Networks(JsonElement value, string path, ProblemSink problems)
    {
        var text = new List<string>();
        var networks = new List<IPNetwork>();
        if (value.ValueKind != JsonValueKind.Array)
        {
            problems.Add(path, $"must be a list of CIDRs, not {Show(value)}");
        }
        else
        {
            var count = value.GetArrayLength();
            if (count == 0)
            {
                problems.Add(path, "must have at least 1 CIDR");
            }
            else if (count > MaxNetworks)
            {
                problems.Add(path, $"must have at most {MaxNetworks} CIDRs");
            }
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                var at = Index(path, i++);
                if (item.ValueKind != JsonValueKind.String)
                {
                    problems.Add(at, $"must be a CIDR string, not {Show(item)}");
                }
                else if (Cidr.TryParse(item.GetString(), out var network, out var error))
                {
                    text.Add(item.GetString()!);
                    networks.Add(network);
                }
                else
                {
                    problems.Add(at, error);
                }
            }
        }
        return new AdminPeerInfo { NetworksText = text, Networks = networks };
    }

    private static AdminPeerInfo Pods(JsonElement pods, string path, ProblemSink problems)
    {
        if (!IsObject(pods, path, problems))
        {
            return new AdminPeerInfo();
        }
        LabelSelector? Required(string field)
        {
            if (!pods.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                problems.Add($"{path}.{field}", "Required value");
                return null;
            }
            return Selector(value, $"{path}.{field}", problems);
        }
        var namespaceSelector = Required("namespaceSelector");
        var podSelector = Required("podSelector");
        return new AdminPeerInfo { NamespaceSelector = namespaceSelector, PodSelector = podSelector ?? LabelSelector.Everything };
    }

    private static AdminPortInfo? Port(JsonElement port, string path, ProblemSink problems)
    {
        if (!IsObject(port, path, problems))
        {
            return null;
        }
        var set = Fields(port, ["portNumber", "namedPort", "portRange"]);
        if (set.Count != 1)
        {
            problems.Add(path, set.Count == 0
                ? "one of portNumber, namedPort or portRange is required"
                : "exactly one of portNumber, namedPort or portRange may be set");
            return null;
        }
        var value = port.GetProperty(set[0]);
        var at = $"{path}.{set[0]}";
        if (set[0] == "namedPort")
        {
            if (value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(value.GetString()))
            {
                problems.Add(at, $"must be a port name, not {Show(value)}");
                return null;
            }
            return new AdminPortInfo(Protocol.Unknown, 0, 0, value.GetString());
        }
        if (!IsObject(value, at, problems))
        {
            return null;
        }
        var protocol = Protocol.Tcp;
        if (value.TryGetProperty("protocol", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            protocol = ObjectMapper.ProtocolOf(p.ValueKind == JsonValueKind.String ? p.GetString() : Show(p), $"{at}.protocol", problems);
        }
        if (set[0] == "portNumber")
        {
            var number = PortField(value, "port", at, problems);
            return number is { } n ? new AdminPortInfo(protocol, n, n, null) : null;
        }
        var start = PortField(value, "start", at, problems);
        var end = PortField(value, "end", at, problems);
        if (start is not { } s || end is not { } e)
        {
            return null;
        }
        if (s >= e)
        {
            problems.Add(at, $"Start port must be less than End port (start {s}, end {e})");
            return null;
        }
        return new AdminPortInfo(protocol, s, e, null);
    }

    private static int? PortField(JsonElement value, string field, string path, ProblemSink problems)
    {
        var at = $"{path}.{field}";
        if (!value.TryGetProperty(field, out var p) || p.ValueKind == JsonValueKind.Null)
        {
            problems.Add(at, "Required value");
            return null;
        }
        if (p.ValueKind != JsonValueKind.Number || !p.TryGetInt32(out var n))
        {
            problems.Add(at, $"must be a port number, not {Show(p)}");
            return null;
        }
        if (n is < 1 or > 65535)
        {
            problems.Add(at, $"port {n} is outside 1..65535");
            return null;
        }
        return n;
    }

    private static LabelSelector? Selector(JsonElement value, string path, ProblemSink problems)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            // A YAML null selector is what the API server defaults to the empty selector.
            return LabelSelector.Everything;
        }
        if (!IsObject(value, path, problems))
        {
            return null;
        }
        V1LabelSelector model;
        try
        {
            model = KubernetesJson.Deserialize<V1LabelSelector>(value);
        }
        catch (JsonException e)
        {
            problems.Add(path, $"not a label selector: {e.Message.Split(" Path:")[0].TrimEnd('.', ' ')}");
            return null;
        }
        return ObjectMapper.Selector(model, path, problems);
    }

    private static bool IsObject(JsonElement value, string path, ProblemSink problems)
    {
        if (value.ValueKind == JsonValueKind.Object)
        {
            return true;
        }
        problems.Add(path, $"must be an object, not {Show(value)}");
        return false;
    }

    /// <summary>The listed fields the object sets (a null value counts as unset, as the API server drops it).</summary>
    private static List<string> Fields(JsonElement value, string[] names) =>
        names.Where(f => value.TryGetProperty(f, out var v) && v.ValueKind != JsonValueKind.Null).ToList();

    private static string Index(string path, int i) => string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]");

    private static string Show(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"'{value.GetString()}'",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        _ => value.GetRawText(),
    };
}
