using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;

namespace PolicyTrail.Policy.Compilation;

/// <summary>Turns a snapshot into pod sets and per-pod policy lists, once, so each decision is a few lookups.</summary>
internal static class ClusterCompiler
{
    public static CompiledCluster Compile(ClusterSnapshot snapshot)
    {
        var namespaceIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var namespaceLabels = new List<IReadOnlyDictionary<string, string>>();
        foreach (var ns in snapshot.Namespaces)
        {
            if (!namespaceIndex.ContainsKey(ns.Name))
            {
                namespaceIndex[ns.Name] = namespaceLabels.Count;
                namespaceLabels.Add(ns.Labels);
            }
        }
        int NamespaceOf(string name)
        {
            if (!namespaceIndex.TryGetValue(name, out var i))
            {
                // A namespace only seen through its pods: it still has the label every namespace gets.
                i = namespaceLabels.Count;
                namespaceIndex[name] = i;
                namespaceLabels.Add(new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = name });
            }
            return i;
        }

        var pods = new CompiledPod[snapshot.Pods.Count];
        var podsByKey = new Dictionary<string, CompiledPod>(StringComparer.Ordinal);
        var podsByNamespace = new Dictionary<int, List<CompiledPod>>();
        var podsByAddress = new Dictionary<IPAddress, List<CompiledPod>>();
        for (var i = 0; i < pods.Length; i++)
        {
            var info = snapshot.Pods[i];
            var pod = pods[i] = new CompiledPod(i, info, NamespaceOf(info.Namespace));
            podsByKey[info.Key] = pod;
            if (!podsByNamespace.TryGetValue(pod.NamespaceIndex, out var list))
            {
                podsByNamespace[pod.NamespaceIndex] = list = [];
            }
            list.Add(pod);
            if (!info.HostNetwork && !info.IsTerminated)
            {
                foreach (var ip in info.IPs)
                {
                    if (!podsByAddress.TryGetValue(ip, out var holders))
                    {
                        podsByAddress[ip] = holders = [];
                    }
                    holders.Add(pod);
                }
            }
        }

        var nodesByAddress = new Dictionary<IPAddress, string>();
        var podCidrs = new List<(IPNetwork, string)>();
        foreach (var node in snapshot.Nodes)
        {
            foreach (var ip in node.Addresses)
            {
                nodesByAddress.TryAdd(ip, node.Name);
            }
            foreach (var cidr in node.PodCidrs)
            {
                podCidrs.Add((cidr, node.Name));
            }
        }
        foreach (var pod in snapshot.Pods)
        {
            // Host-network pods show their node's address even when Node objects were not exported.
            if (pod.HostNetwork && pod.NodeName is not null)
            {
                foreach (var ip in pod.IPs)
                {
                    nodesByAddress.TryAdd(ip, pod.NodeName);
                }
            }
        }

        var servicesByAddress = new Dictionary<IPAddress, ServiceInfo>();
        var servicesByKey = new Dictionary<string, ServiceInfo>(StringComparer.Ordinal);
        foreach (var service in snapshot.Services)
        {
            servicesByKey[service.Key] = service;
            foreach (var ip in service.ClusterIPs)
            {
                servicesByAddress.TryAdd(ip, service);
            }
        }
        var slicesByService = new Dictionary<string, List<EndpointSliceInfo>>(StringComparer.Ordinal);
        foreach (var slice in snapshot.EndpointSlices)
        {
            if (slice.ServiceName is null)
            {
                continue;
            }
            var key = $"{slice.Namespace}/{slice.ServiceName}";
            if (!slicesByService.TryGetValue(key, out var list))
            {
                slicesByService[key] = list = [];
            }
            list.Add(slice);
        }

        var context = new PeerContext(pods, podsByNamespace, namespaceIndex, namespaceLabels);
        var policies = new CompiledPolicy[snapshot.NetworkPolicies.Count];
        for (var p = 0; p < policies.Length; p++)
        {
            var info = snapshot.NetworkPolicies[p];
            var affectsIngress = info.Affects(PolicyDirection.Ingress);
            var affectsEgress = info.Affects(PolicyDirection.Egress);
            var policy = policies[p] = new CompiledPolicy(
                info,
                affectsIngress ? CompileRules(info.Ingress, info.Namespace, context) : [],
                affectsEgress ? CompileRules(info.Egress, info.Namespace, context) : []);
            if (!podsByNamespace.TryGetValue(NamespaceOf(info.Namespace), out var candidates))
            {
                continue;
            }
            foreach (var pod in candidates)
            {
                if (info.PodSelector.Matches(pod.Info.Labels))
                {
                    if (affectsIngress)
                    {
                        pod.IngressPolicies.Add(policy);
                    }
                    if (affectsEgress)
                    {
                        pod.EgressPolicies.Add(policy);
                    }
                }
            }
        }

        CompileAdminPolicies(snapshot, pods, context);

        foreach (var pod in pods)
        {
            pod.IngressRefs = pod.IngressPolicies.Select(p => p.Ref).ToArray();
            pod.EgressRefs = pod.EgressPolicies.Select(p => p.Ref).ToArray();
            pod.IngressDenied = new DirectionDecision { Verdict = Verdict.Deny, Isolated = true, SelectedBy = pod.IngressRefs, Tier = DecisionTier.NetworkPolicy };
            pod.EgressDenied = new DirectionDecision { Verdict = Verdict.Deny, Isolated = true, SelectedBy = pod.EgressRefs, Tier = DecisionTier.NetworkPolicy };
        }

        return new CompiledCluster
        {
            Snapshot = snapshot,
            Pods = pods,
            PodsByKey = podsByKey,
            PodsByAddress = podsByAddress,
            NodesByAddress = nodesByAddress,
            ServicesByAddress = servicesByAddress,
            ServicesByKey = servicesByKey,
            SlicesByService = slicesByService,
            PodCidrs = podCidrs,
            Policies = policies,
        };
    }

    /// <summary>
    /// Attaches admin policies to the pods their subjects select. AdminNetworkPolicies go in ascending priority;
    /// equal priorities (undefined upstream) are ordered by name, ordinally, so the result is deterministic.
    /// </summary>
    private static void CompileAdminPolicies(ClusterSnapshot snapshot, CompiledPod[] pods, PeerContext context)
    {
        var ordered = snapshot.AdminNetworkPolicies
            .OrderBy(p => p.Priority)
            .ThenBy(p => p.Name, StringComparer.Ordinal);
        foreach (var info in ordered)
        {
            var policy = CompileAdmin(info, snapshot, context);
            var subject = SelectPods(info.Subject, context);
            foreach (var pod in pods)
            {
                if (subject.Contains(pod.Index))
                {
                    if (policy.Ingress.Length > 0)
                    {
                        pod.AdminIngress.Add(policy);
                    }
                    if (policy.Egress.Length > 0)
                    {
                        pod.AdminEgress.Add(policy);
                    }
                }
            }
        }
        if (snapshot.BaselineAdminNetworkPolicy is { } baselineInfo)
        {
            var baseline = CompileAdmin(baselineInfo, snapshot, context);
            var subject = SelectPods(baselineInfo.Subject, context);
            foreach (var pod in pods)
            {
                if (subject.Contains(pod.Index))
                {
                    pod.Baseline = baseline;
                }
            }
        }
    }

    private static CompiledAdminPolicy CompileAdmin(AdminNetworkPolicyInfo info, ClusterSnapshot snapshot, PeerContext context)
    {
        CompiledAdminRule[] Rules(IReadOnlyList<AdminRuleInfo> rules) => rules
            .Select(rule => new CompiledAdminRule(rule, rule.Peers.Select(peer => CompileAdminPeer(peer, snapshot, context)).ToArray()))
            .ToArray();
        return new CompiledAdminPolicy(info, Rules(info.Ingress), Rules(info.Egress));
    }

    private static CompiledAdminPeer CompileAdminPeer(AdminPeerInfo peer, ClusterSnapshot snapshot, PeerContext context)
    {
        if (peer.Networks is not null)
        {
            return new CompiledAdminPeer(null, null, peer.Networks);
        }
        if (peer.Nodes is { } nodeSelector)
        {
            var addresses = new HashSet<IPAddress>();
            foreach (var node in snapshot.Nodes)
            {
                if (nodeSelector.Matches(node.Labels))
                {
                    addresses.UnionWith(node.Addresses);
                }
            }
            return new CompiledAdminPeer(null, addresses, null);
        }
        return new CompiledAdminPeer(SelectPods(peer, context), null, null);
    }

    /// <summary>The pods a subject or a namespaces/pods peer selects; a peer without a namespace selector (invalid) selects none.</summary>
    private static PodSet SelectPods(AdminPeerInfo peer, PeerContext context)
    {
        var set = new PodSet(context.Pods.Length);
        if (peer.NamespaceSelector is not { } namespaceSelector)
        {
            return set;
        }
        var podSelector = peer.PodSelector ?? LabelSelector.Everything;
        for (var ns = 0; ns < context.NamespaceLabels.Count; ns++)
        {
            if (!namespaceSelector.Matches(context.NamespaceLabels[ns]) || !context.PodsByNamespace.TryGetValue(ns, out var members))
            {
                continue;
            }
            foreach (var pod in members)
            {
                if (podSelector.Matches(pod.Info.Labels))
                {
                    set.Add(pod.Index);
                }
            }
        }
        return set;
    }

    private sealed record PeerContext(
        CompiledPod[] Pods,
        Dictionary<int, List<CompiledPod>> PodsByNamespace,
        Dictionary<string, int> NamespaceIndex,
        List<IReadOnlyDictionary<string, string>> NamespaceLabels);

    private static CompiledRule[] CompileRules(IReadOnlyList<PolicyRuleInfo>? rules, string policyNamespace, PeerContext context)
    {
        if (rules is null)
        {
            return [];
        }
        var compiled = new CompiledRule[rules.Count];
        for (var r = 0; r < rules.Count; r++)
        {
            var rule = rules[r];
            var peers = rule.Peers is { Count: > 0 }
                ? rule.Peers.Select(peer => CompilePeer(peer, policyNamespace, context)).ToArray()
                : null;
            var ports = rule.Ports is { Count: > 0 } ? rule.Ports.Select(CompilePort).ToArray() : null;
            compiled[r] = new CompiledRule(peers, ports);
        }
        return compiled;
    }

    private static CompiledPeer CompilePeer(PolicyPeerInfo peer, string policyNamespace, PeerContext context)
    {
        if (peer.IpBlock is not null)
        {
            return new CompiledPeer(null, peer.IpBlock);
        }
        if (peer.PodSelector is null && peer.NamespaceSelector is null)
        {
            // The API server rejects such a peer; if one reaches us it matches nothing.
            return new CompiledPeer(null, null);
        }
        var set = new PodSet(context.Pods.Length);
        IEnumerable<int> namespaces;
        if (peer.NamespaceSelector is null)
        {
            namespaces = context.NamespaceIndex.TryGetValue(policyNamespace, out var own) ? [own] : [];
        }
        else
        {
            var selector = peer.NamespaceSelector;
            namespaces = Enumerable.Range(0, context.NamespaceLabels.Count).Where(i => selector.Matches(context.NamespaceLabels[i]));
        }
        var podSelector = peer.PodSelector ?? LabelSelector.Everything;
        foreach (var ns in namespaces)
        {
            if (!context.PodsByNamespace.TryGetValue(ns, out var pods))
            {
                continue;
            }
            foreach (var pod in pods)
            {
                if (podSelector.Matches(pod.Info.Labels))
                {
                    set.Add(pod.Index);
                }
            }
        }
        return new CompiledPeer(set, null);
    }

    private static CompiledPort CompilePort(PolicyPortInfo port)
    {
        var protocol = port.Protocol == Protocol.Unknown ? Protocol.Tcp : port.Protocol;
        if (port.Port is not { } value)
        {
            return new CompiledPort(protocol, 0, 0, null);
        }
        if (value.IsNamed)
        {
            return new CompiledPort(protocol, -1, -1, value.Name);
        }
        var low = value.Number!.Value;
        return new CompiledPort(protocol, low, port.EndPort ?? low, null);
    }
}
