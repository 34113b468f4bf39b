using System.Text.Json;
using k8s;
using k8s.Models;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Identity.Snapshots;

namespace PolicyTrail.Identity.History;

/// <summary>
/// Turns a change's object JSON into the Core record of its kind with the mappers the snapshot reader uses, so a
/// history and a snapshot read the same object the same way. Problems become warnings; nothing here throws for input.
/// </summary>
internal sealed class ObjectDecoder
{
    private readonly Dictionary<string, SourceLocation> _locations = new(StringComparer.Ordinal);

    public List<string> Warnings { get; } = [];

    public int WarningCount { get; private set; }

    /// <summary>The mapped record (PodInfo, NamespaceInfo, ...) or, for ReplicaSet and Job, the controlling owner (or null); null when unreadable.</summary>
    public object? Decode(ClusterChange change)
    {
        if (change.ObjectJson is null)
        {
            return null;
        }
        var source = Location(change.Origin);
        var problems = new ProblemSink();
        object? value;
        try
        {
            value = change.Kind switch
            {
                ObjectKinds.Pod => ObjectMapper.Pod(KubernetesJson.Deserialize<V1Pod>(change.ObjectJson), source, problems),
                ObjectKinds.Namespace => ObjectMapper.Namespace(KubernetesJson.Deserialize<V1Namespace>(change.ObjectJson), source),
                ObjectKinds.Service => ObjectMapper.Service(KubernetesJson.Deserialize<V1Service>(change.ObjectJson), source, problems),
                ObjectKinds.EndpointSlice => ObjectMapper.EndpointSlice(KubernetesJson.Deserialize<V1EndpointSlice>(change.ObjectJson), source, problems),
                ObjectKinds.Node => ObjectMapper.Node(KubernetesJson.Deserialize<V1Node>(change.ObjectJson), source, problems),
                ObjectKinds.NetworkPolicy => ObjectMapper.NetworkPolicy(KubernetesJson.Deserialize<V1NetworkPolicy>(change.ObjectJson), source, problems),
                ObjectKinds.AdminNetworkPolicy => Admin(change, AdminPolicyKind.AdminNetworkPolicy, source, problems),
                ObjectKinds.BaselineAdminNetworkPolicy => Admin(change, AdminPolicyKind.BaselineAdminNetworkPolicy, source, problems),
                ObjectKinds.ReplicaSet or ObjectKinds.Job => Owner(change.ObjectJson),
                _ => null,
            };
        }
        catch (JsonException e)
        {
            Warn($"{change.Origin}: {change.Kind} {change.Key}: unreadable object JSON: {e.Message}");
            return null;
        }
        catch (FormatException e)
        {
            Warn($"{change.Origin}: {change.Kind} {change.Key}: {e.Message}");
            return null;
        }
        foreach (var (path, message) in problems.Items)
        {
            Warn($"{change.Origin}: {change.Kind} {change.Key}: {path[1..].TrimStart('.')}: {message}");
        }
        return value;
    }

    private static AdminNetworkPolicyInfo Admin(ClusterChange change, AdminPolicyKind kind, SourceLocation source, ProblemSink problems)
    {
        using var document = JsonDocument.Parse(change.ObjectJson!);
        return AdminPolicyMapper.Map(document.RootElement, kind, change.Name, source, problems);
    }

    /// <summary>A ReplicaSet's or Job's controlling owner, read without the full model: only metadata.ownerReferences matters.</summary>
    private static OwnerBox Owner(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("ownerReferences", out var owners) && owners.ValueKind == JsonValueKind.Array)
        {
            OwnerRef? first = null;
            foreach (var owner in owners.EnumerateArray())
            {
                if (owner.ValueKind != JsonValueKind.Object
                    || !owner.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String
                    || !owner.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    continue;
                }
                var reference = new OwnerRef(kind.GetString()!, name.GetString()!);
                if (owner.TryGetProperty("controller", out var controller) && controller.ValueKind == JsonValueKind.True)
                {
                    return new OwnerBox(reference);
                }
                first ??= reference;
            }
            return new OwnerBox(first);
        }
        return new OwnerBox(null);
    }

    private SourceLocation Location(string origin)
    {
        if (!_locations.TryGetValue(origin, out var location))
        {
            location = new SourceLocation(origin, "");
            _locations[origin] = location;
        }
        return location;
    }

    private void Warn(string message)
    {
        WarningCount++;
        // A broken feed could repeat one problem a million times; the first thousand say enough.
        if (Warnings.Count < 1000)
        {
            Warnings.Add(message);
        }
    }
}

/// <summary>A ReplicaSet's or Job's owner as decoded (Owner null: the object says it has none).</summary>
internal sealed record OwnerBox(OwnerRef? Owner);
