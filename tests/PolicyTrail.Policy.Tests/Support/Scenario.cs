using System.Text.Json;
using System.Text.Json.Nodes;
using PolicyTrail.Identity.Snapshots;
using PolicyTrail.Policy.Evaluation;

namespace PolicyTrail.Policy.Tests.Support;

/// <summary>One probe of a truth case with the verdict its source project expects.</summary>
internal sealed record ScenarioProbe(string From, string To, int Port, string Protocol, string Expect);

/// <summary>
/// A truth-case file of ../shared/netpol-cases turned into the Kubernetes objects kubectl would print, read through
/// the real snapshot reader, so the cases exercise input and engine together.
/// </summary>
internal sealed class Scenario
{
    private Scenario(string id, JsonObject root)
    {
        Id = id;
        Root = root;
    }

    public string Id { get; }

    public JsonObject Root { get; }

    public IReadOnlyList<string> PolicyKinds =>
        Root["policies"]!.AsArray().Select(p => (string?)p!["kind"] ?? "?").Distinct().ToList();

    public bool IpBlockSelectsPods => Root["semantics"]?["ipBlockSelectsPods"]?.GetValue<bool>() ?? true;

    public static Scenario Load(string path) =>
        new(Path.GetFileNameWithoutExtension(path), JsonNode.Parse(File.ReadAllText(path))!.AsObject());

    public IEnumerable<ScenarioProbe> Probes() => Root["probes"]!.AsArray().Select(p => new ScenarioProbe(
        Endpoint(p!["from"]!), Endpoint(p["to"]!), (int)p["port"]!, (string)p["protocol"]!, (string)p["expect"]!));

    /// <summary>
    /// Reads the scenario through the real reader. With <paramref name="defaultAdminSelectors"/>, an admin policy's
    /// "pods" subject or peer that omits namespaceSelector or podSelector gets the empty selector, as netpol-analyzer
    /// reads it; the API server (and so our reader) rejects such an object as "Required value".
    /// </summary>
    public PolicyEngine Compile(bool defaultAdminSelectors = false)
    {
        var items = new JsonArray();
        foreach (var ns in Root["namespaces"]!.AsArray())
        {
            items.Add(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject { ["name"] = ns!["name"]!.DeepClone(), ["labels"] = ns["labels"]?.DeepClone() },
            });
        }
        foreach (var pod in Root["pods"]!.AsArray())
        {
            var ports = new JsonArray();
            foreach (var port in pod!["ports"]?.AsArray() ?? [])
            {
                var entry = new JsonObject { ["containerPort"] = port!["port"]!.DeepClone(), ["protocol"] = port["protocol"]?.DeepClone() ?? "TCP" };
                if (port["name"] is { } name)
                {
                    entry["name"] = name.DeepClone();
                }
                ports.Add(entry);
            }
            items.Add(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Pod",
                ["metadata"] = new JsonObject
                {
                    ["name"] = pod["name"]!.DeepClone(),
                    ["namespace"] = pod["namespace"]!.DeepClone(),
                    ["labels"] = pod["labels"]?.DeepClone(),
                },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["ports"] = ports }) },
                ["status"] = new JsonObject { ["phase"] = "Running", ["podIP"] = pod["ip"]!.DeepClone() },
            });
        }
        foreach (var policy in Root["policies"]!.AsArray())
        {
            var copy = policy!.DeepClone();
            if (defaultAdminSelectors && (string?)copy["kind"] is "AdminNetworkPolicy" or "BaselineAdminNetworkPolicy")
            {
                DefaultPodsSelectors(copy);
            }
            items.Add(copy);
        }
        var list = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = items };
        var snapshot = KubectlOutputReader.ReadText(list.ToJsonString(), Id).Snapshot;
        return PolicyEngine.Create(snapshot, new PolicyEngineOptions { IpBlockSelectsPods = IpBlockSelectsPods });
    }

    private static void DefaultPodsSelectors(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            if (o["pods"] is JsonObject pods)
            {
                pods["namespaceSelector"] ??= new JsonObject();
                pods["podSelector"] ??= new JsonObject();
            }
            foreach (var (_, child) in o.ToList())
            {
                DefaultPodsSelectors(child);
            }
        }
        else if (node is JsonArray a)
        {
            foreach (var child in a)
            {
                DefaultPodsSelectors(child);
            }
        }
    }

    private static string Endpoint(JsonNode node) =>
        node is JsonValue ? node.GetValue<string>() : (string)node["ip"]!;

    public override string ToString() => Id;
}
