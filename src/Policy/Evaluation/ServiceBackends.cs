using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Policy.Compilation;
using PolicyTrail.Policy.Endpoints;

namespace PolicyTrail.Policy.Evaluation;

/// <summary>A backend of a service after translation: the pod (or address) and the target port.</summary>
internal sealed record Backend(Target Target, int Port);

/// <summary>
/// Translates a service port to its backends: through the service's EndpointSlices (ready endpoints, the slice
/// port that carries the service port's name); without slices, through the selector and targetPort.
/// </summary>
internal static class ServiceBackends
{
    public static List<Backend> Resolve(CompiledCluster cluster, EndpointResolver resolver, ServiceInfo service, ServicePortInfo servicePort)
    {
        var backends = new List<Backend>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (cluster.SlicesByService.TryGetValue(service.Key, out var slices))
        {
            foreach (var slice in slices)
            {
                var slicePort = slice.Ports.FirstOrDefault(p => p.Protocol == servicePort.Protocol && (p.Name ?? "") == (servicePort.Name ?? ""));
                if (slicePort is null)
                {
                    continue;
                }
                foreach (var endpoint in slice.Endpoints.Where(e => e.Ready))
                {
                    Target? target = null;
                    if (endpoint.TargetPodName is not null
                        && cluster.PodsByKey.TryGetValue($"{endpoint.TargetPodNamespace ?? slice.Namespace}/{endpoint.TargetPodName}", out var pod))
                    {
                        target = resolver.PodTarget(pod);
                    }
                    else if (endpoint.Addresses.Count > 0)
                    {
                        target = resolver.ResolveAddress(endpoint.Addresses[0]);
                    }
                    if (target is not null && seen.Add(Key(target)))
                    {
                        backends.Add(new Backend(target, slicePort.Port));
                    }
                }
            }
            return backends;
        }
        if (service.Selector is null || service.Selector.Count == 0)
        {
            return backends;
        }
        var selector = new LabelSelector(service.Selector, []);
        foreach (var pod in cluster.Pods)
        {
            var info = pod.Info;
            if (info.Namespace != service.Namespace || info.IsTerminated || !selector.Matches(info.Labels))
            {
                continue;
            }
            int port;
            if (servicePort.TargetPort.IsNamed)
            {
                var named = info.Ports.FirstOrDefault(p => p.Name == servicePort.TargetPort.Name && p.Protocol == servicePort.Protocol);
                if (named is null)
                {
                    continue;
                }
                port = named.Port;
            }
            else
            {
                port = servicePort.TargetPort.Number ?? servicePort.Port;
            }
            backends.Add(new Backend(resolver.PodTarget(pod), port));
        }
        return backends;
    }

    private static string Key(Target target) =>
        target.Kind is EndpointKind.Pod or EndpointKind.HostNetworkPod ? target.Endpoint.Display : target.Address?.ToString() ?? "?";
}
