using System.Net;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Policy.Compilation;

namespace PolicyTrail.Policy.Endpoints;

/// <summary>
/// Resolves "namespace/pod", "service:namespace/name" or an address against the snapshot: a pod, a service,
/// a node, an external address, or unknown / ambiguous with the reason. It never guesses.
/// </summary>
internal sealed class EndpointResolver
{
    private readonly CompiledCluster _cluster;

    public EndpointResolver(CompiledCluster cluster)
    {
        _cluster = cluster;
        foreach (var pod in cluster.Pods)
        {
            pod.Target = TargetOf(pod, null);
        }
    }

    public Resolution Resolve(string reference)
    {
        // The common case first: "namespace/pod" exactly as the pod's key, with no allocation.
        if (_cluster.PodsByKey.TryGetValue(reference, out var direct))
        {
            return new(direct.Target, null);
        }
        var text = reference.Trim();
        if (text.Length == 0)
        {
            return new(null, "empty endpoint (expected namespace/pod or an IP address)");
        }
        if (IPAddress.TryParse(text, out var address))
        {
            return new(ResolveAddress(address), null);
        }
        var wantService = false;
        var wantPod = false;
        if (text.StartsWith("service:", StringComparison.Ordinal) || text.StartsWith("svc:", StringComparison.Ordinal))
        {
            wantService = true;
            text = text[(text.IndexOf(':', StringComparison.Ordinal) + 1)..];
        }
        else if (text.StartsWith("pod:", StringComparison.Ordinal))
        {
            wantPod = true;
            text = text[4..];
        }
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1 || text.IndexOf('/', slash + 1) >= 0)
        {
            return new(null, $"'{reference}' is neither namespace/pod nor an IP address");
        }
        if (!wantService && _cluster.PodsByKey.TryGetValue(text, out var pod))
        {
            return new(pod.Target, null);
        }
        if (!wantPod && _cluster.ServicesByKey.TryGetValue(text, out var service))
        {
            var endpoint = new Endpoint
            {
                Kind = EndpointKind.Service,
                Namespace = service.Namespace,
                Name = service.Name,
                IP = service.ClusterIPs.Count > 0 ? service.ClusterIPs[0] : null,
            };
            return new(new Target(endpoint, Service: service), null);
        }
        var what = wantService ? "service" : wantPod ? "pod" : "pod or service";
        return new(null, $"no {what} {text} in the cluster snapshot");
    }

    public Target ResolveAddress(IPAddress address) => ResolveAddressCore(address) with { AddressGiven = true };

    private Target ResolveAddressCore(IPAddress address)
    {
        if (_cluster.PodsByAddress.TryGetValue(address, out var holders))
        {
            if (holders.Count == 1)
            {
                return holders[0].Info.IPs.Count > 0 && holders[0].Info.IPs[0].Equals(address)
                    ? holders[0].Target
                    : TargetOf(holders[0], address);
            }
            var names = string.Join(" and ", holders.Select(h => h.Info.Key));
            return new Target(new Endpoint
            {
                Kind = EndpointKind.Ambiguous,
                IP = address,
                Reason = $"{address} is claimed by {holders.Count} pods at once: {names}",
            });
        }
        if (_cluster.NodesByAddress.TryGetValue(address, out var node))
        {
            return new Target(new Endpoint
            {
                Kind = EndpointKind.Node,
                IP = address,
                Node = node,
                Reason = $"{address} is an address of node {node} (node or host-network traffic, which NetworkPolicy does not define)",
            });
        }
        if (_cluster.ServicesByAddress.TryGetValue(address, out var service))
        {
            return new Target(new Endpoint { Kind = EndpointKind.Service, IP = address, Namespace = service.Namespace, Name = service.Name }, Service: service);
        }
        foreach (var (network, nodeName) in _cluster.PodCidrs)
        {
            if (network.Contains(address))
            {
                return new Target(new Endpoint
                {
                    Kind = EndpointKind.Unknown,
                    IP = address,
                    Reason = $"{address} lies in pod CIDR {network} of node {nodeName}, but no pod in the snapshot holds it",
                });
            }
        }
        return new Target(new Endpoint { Kind = EndpointKind.External, IP = address });
    }

    public Target PodTarget(CompiledPod pod) => pod.Target;

    private static Target TargetOf(CompiledPod pod, IPAddress? address)
    {
        var info = pod.Info;
        var endpoint = new Endpoint
        {
            Kind = info.HostNetwork ? EndpointKind.HostNetworkPod : EndpointKind.Pod,
            Namespace = info.Namespace,
            Name = info.Name,
            Key = info.Key,
            IP = address ?? (info.IPs.Count > 0 ? info.IPs[0] : null),
            Node = info.NodeName,
            Reason = info.HostNetwork
                ? $"{info.Key} uses the host network of node {info.NodeName ?? "?"}; NetworkPolicy does not govern host-network pods"
                : info.IsTerminated ? $"{info.Key} has ended ({info.Phase}) and holds no address" : null,
        };
        return new Target(endpoint, pod);
    }
}
