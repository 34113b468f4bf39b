using System.Globalization;
using System.Net;
using k8s.Models;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Identity.Snapshots;

/// <summary>Collects problems found in one object, each with the field path it concerns.</summary>
internal sealed class ProblemSink
{
    public List<(string Path, string Message)> Items { get; } = [];

    public void Add(string path, string message) => Items.Add((path, message));
}

/// <summary>Maps KubernetesClient's models to the engine's own records, validating what the API server would.</summary>
internal static class ObjectMapper
{
    public static NamespaceInfo Namespace(V1Namespace ns, SourceLocation source)
    {
        var name = ns.Metadata?.Name ?? "";
        var labels = Labels(ns.Metadata?.Labels);
        // The API server sets this label on every namespace (since 1.21); older dumps may lack it.
        if (!labels.ContainsKey("kubernetes.io/metadata.name"))
        {
            labels = new Dictionary<string, string>(labels) { ["kubernetes.io/metadata.name"] = name };
        }
        return new NamespaceInfo(name, labels) { Source = source };
    }

    public static PodInfo Pod(V1Pod pod, SourceLocation source, ProblemSink problems)
    {
        var ips = new List<IPAddress>();
        if (pod.Status?.PodIPs is { Count: > 0 } podIps)
        {
            for (var i = 0; i < podIps.Count; i++)
            {
                AddAddress(ips, podIps[i].Ip, $"$.status.podIPs[{i}].ip", problems);
            }
        }
        else if (!string.IsNullOrEmpty(pod.Status?.PodIP))
        {
            AddAddress(ips, pod.Status.PodIP, "$.status.podIP", problems);
        }
        var ports = new List<ContainerPortInfo>();
        AddContainerPorts(ports, pod.Spec?.Containers, "containers", problems);
        AddContainerPorts(ports, pod.Spec?.InitContainers, "initContainers", problems);
        var owner = pod.Metadata?.OwnerReferences?.FirstOrDefault(o => o.Controller == true) ?? pod.Metadata?.OwnerReferences?.FirstOrDefault();
        return new PodInfo
        {
            Namespace = NamespaceOf(pod.Metadata),
            Name = pod.Metadata?.Name ?? "",
            Uid = pod.Metadata?.Uid,
            Labels = Labels(pod.Metadata?.Labels),
            IPs = ips,
            Ports = ports,
            HostNetwork = pod.Spec?.HostNetwork == true,
            NodeName = pod.Spec?.NodeName,
            Phase = pod.Status?.Phase,
            Owner = owner is null ? null : new OwnerRef(owner.Kind, owner.Name),
            ServiceAccount = pod.Spec?.ServiceAccountName,
            Source = source,
            CreationTime = Utc(pod.Metadata?.CreationTimestamp),
            StartTime = Utc(pod.Status?.StartTime),
            FinishTime = FinishTime(pod.Status?.ContainerStatuses),
            DeletionTime = Utc(pod.Metadata?.DeletionTimestamp),
        };
    }

    /// <summary>KubernetesClient hands RFC 3339 times over as DateTime of varying Kind; an unspecified one is UTC.</summary>
    internal static DateTimeOffset? Utc(DateTime? time) => time switch
    {
        null => null,
        { Kind: DateTimeKind.Local } t => new DateTimeOffset(t.ToUniversalTime(), TimeSpan.Zero),
        { } t => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc), TimeSpan.Zero),
    };

    private static DateTimeOffset? FinishTime(IList<V1ContainerStatus>? statuses)
    {
        DateTimeOffset? latest = null;
        foreach (var status in statuses ?? [])
        {
            if (Utc(status.State?.Terminated?.FinishedAt) is { } finished && (latest is null || finished > latest))
            {
                latest = finished;
            }
        }
        return latest;
    }

    public static ServiceInfo Service(V1Service service, SourceLocation source, ProblemSink problems)
    {
        var ips = new List<IPAddress>();
        var clusterIps = service.Spec?.ClusterIPs is { Count: > 0 } list ? list : service.Spec?.ClusterIP is { } one ? [one] : [];
        for (var i = 0; i < clusterIps.Count; i++)
        {
            if (clusterIps[i] is not ("None" or ""))
            {
                AddAddress(ips, clusterIps[i], $"$.spec.clusterIPs[{i}]", problems);
            }
        }
        var ports = new List<ServicePortInfo>();
        var specPorts = service.Spec?.Ports ?? [];
        for (var i = 0; i < specPorts.Count; i++)
        {
            var p = specPorts[i];
            var protocol = ProtocolOf(p.Protocol, $"$.spec.ports[{i}].protocol", problems);
            var target = p.TargetPort?.Value is { Length: > 0 } t ? PortRef.Parse(t) : PortRef.FromNumber(p.Port);
            ports.Add(new ServicePortInfo(p.Name, p.Port, protocol, target));
        }
        return new ServiceInfo
        {
            Namespace = NamespaceOf(service.Metadata),
            Name = service.Metadata?.Name ?? "",
            Type = service.Spec?.Type ?? "ClusterIP",
            ClusterIPs = ips,
            Ports = ports,
            Selector = service.Spec?.Selector is { Count: > 0 } s ? new Dictionary<string, string>(s) : null,
            Source = source,
        };
    }

    public static EndpointSliceInfo EndpointSlice(V1EndpointSlice slice, SourceLocation source, ProblemSink problems)
    {
        var ports = new List<EndpointPortInfo>();
        var slicePorts = slice.Ports ?? [];
        for (var i = 0; i < slicePorts.Count; i++)
        {
            var p = slicePorts[i];
            if (p.Port is { } number)
            {
                ports.Add(new EndpointPortInfo(p.Name, number, ProtocolOf(p.Protocol, $"$.ports[{i}].protocol", problems)));
            }
        }
        var endpoints = new List<EndpointInfo>();
        var items = slice.Endpoints ?? [];
        for (var i = 0; i < items.Count; i++)
        {
            var e = items[i];
            var addresses = new List<IPAddress>();
            var raw = e.Addresses ?? [];
            for (var a = 0; a < raw.Count; a++)
            {
                // FQDN slices carry names, not addresses; they are not pod backends.
                if (slice.AddressType is "IPv4" or "IPv6" or null)
                {
                    AddAddress(addresses, raw[a], $"$.endpoints[{i}].addresses[{a}]", problems);
                }
            }
            var target = e.TargetRef is { Kind: "Pod" } r ? r : null;
            endpoints.Add(new EndpointInfo(addresses, e.Conditions?.Ready ?? true, target?.NamespaceProperty, target?.Name));
        }
        string? serviceName = null;
        slice.Metadata?.Labels?.TryGetValue("kubernetes.io/service-name", out serviceName);
        return new EndpointSliceInfo
        {
            Namespace = NamespaceOf(slice.Metadata),
            Name = slice.Metadata?.Name ?? "",
            ServiceName = serviceName,
            Ports = ports,
            Endpoints = endpoints,
            Source = source,
        };
    }

    public static NodeInfo Node(V1Node node, SourceLocation source, ProblemSink problems)
    {
        var addresses = new List<IPAddress>();
        foreach (var address in node.Status?.Addresses ?? [])
        {
            if (IPAddress.TryParse(address.Address, out var ip))
            {
                addresses.Add(ip);
            }
        }
        var cidrs = new List<IPNetwork>();
        var raw = node.Spec?.PodCIDRs is { Count: > 0 } list ? list : node.Spec?.PodCIDR is { } one ? [one] : [];
        for (var i = 0; i < raw.Count; i++)
        {
            if (Cidr.TryParse(raw[i], out var network, out var error))
            {
                cidrs.Add(network);
            }
            else
            {
                problems.Add($"$.spec.podCIDRs[{i}]", error);
            }
        }
        return new NodeInfo { Name = node.Metadata?.Name ?? "", Labels = Labels(node.Metadata?.Labels), Addresses = addresses, PodCidrs = cidrs, Source = source };
    }

    public static NetworkPolicyInfo NetworkPolicy(V1NetworkPolicy policy, SourceLocation source, ProblemSink problems)
    {
        var spec = policy.Spec;
        List<PolicyDirection>? types = null;
        if (spec?.PolicyTypes is { Count: > 0 } declared)
        {
            types = [];
            for (var i = 0; i < declared.Count; i++)
            {
                switch (declared[i])
                {
                    case "Ingress":
                        types.Add(PolicyDirection.Ingress);
                        break;
                    case "Egress":
                        types.Add(PolicyDirection.Egress);
                        break;
                    default:
                        problems.Add($"$.spec.policyTypes[{i}]", $"'{declared[i]}' is not a policy type (Ingress or Egress)");
                        break;
                }
            }
        }
        var ingress = spec?.Ingress?.Select((rule, i) => Rule(rule.FromProperty, rule.Ports, $"$.spec.ingress[{i}]", "from", problems)).ToList();
        var egress = spec?.Egress?.Select((rule, i) => Rule(rule.To, rule.Ports, $"$.spec.egress[{i}]", "to", problems)).ToList();
        return new NetworkPolicyInfo
        {
            Namespace = NamespaceOf(policy.Metadata),
            Name = policy.Metadata?.Name ?? "",
            ResourceVersion = policy.Metadata?.ResourceVersion,
            Uid = policy.Metadata?.Uid,
            PodSelector = Selector(spec?.PodSelector, "$.spec.podSelector", problems) ?? LabelSelector.Everything,
            PolicyTypes = types,
            Ingress = ingress,
            Egress = egress,
            Source = source,
        };
    }

    /// <summary>The object's namespace; a namespaced object written without one is in "default", as kubectl applies it.</summary>
    public static string NamespaceOf(V1ObjectMeta? metadata) =>
        string.IsNullOrEmpty(metadata?.NamespaceProperty) ? "default" : metadata.NamespaceProperty;

    private static PolicyRuleInfo Rule(IList<V1NetworkPolicyPeer>? peers, IList<V1NetworkPolicyPort>? ports, string path, string peerField, ProblemSink problems)
    {
        List<PolicyPeerInfo>? mappedPeers = null;
        if (peers is not null)
        {
            mappedPeers = [];
            for (var i = 0; i < peers.Count; i++)
            {
                mappedPeers.Add(Peer(peers[i], $"{path}.{peerField}[{i}]", problems));
            }
        }
        List<PolicyPortInfo>? mappedPorts = null;
        if (ports is not null)
        {
            mappedPorts = [];
            for (var i = 0; i < ports.Count; i++)
            {
                mappedPorts.Add(Port(ports[i], $"{path}.ports[{i}]", problems));
            }
        }
        return new PolicyRuleInfo(mappedPeers, mappedPorts);
    }

    private static PolicyPeerInfo Peer(V1NetworkPolicyPeer peer, string path, ProblemSink problems)
    {
        IpBlockInfo? block = null;
        if (peer.IpBlock is { } ipBlock)
        {
            if (peer.PodSelector is not null || peer.NamespaceSelector is not null)
            {
                problems.Add(path, "ipBlock cannot be combined with podSelector or namespaceSelector");
            }
            if (Cidr.TryParse(ipBlock.Cidr, out var network, out var error))
            {
                var except = new List<IPNetwork>();
                var exceptText = ipBlock.Except ?? [];
                for (var i = 0; i < exceptText.Count; i++)
                {
                    if (Cidr.TryParse(exceptText[i], out var e, out var exceptError))
                    {
                        except.Add(e);
                    }
                    else
                    {
                        problems.Add($"{path}.ipBlock.except[{i}]", exceptError);
                    }
                }
                block = new IpBlockInfo(ipBlock.Cidr, network, except, exceptText.ToList());
            }
            else
            {
                problems.Add($"{path}.ipBlock.cidr", error);
            }
        }
        else if (peer.PodSelector is null && peer.NamespaceSelector is null)
        {
            problems.Add(path, "a peer needs podSelector, namespaceSelector or ipBlock");
        }
        return new PolicyPeerInfo(
            Selector(peer.PodSelector, $"{path}.podSelector", problems),
            Selector(peer.NamespaceSelector, $"{path}.namespaceSelector", problems),
            block);
    }

    private static PolicyPortInfo Port(V1NetworkPolicyPort port, string path, ProblemSink problems)
    {
        var protocol = ProtocolOf(port.Protocol, $"{path}.protocol", problems);
        PortRef? value = null;
        if (port.Port?.Value is { Length: > 0 } text)
        {
            value = PortRef.Parse(text);
            if (value.Value.Number is { } n && (n < 1 || n > 65535))
            {
                problems.Add($"{path}.port", $"port {n} is outside 1..65535");
            }
        }
        if (port.EndPort is { } end)
        {
            if (value?.Number is not { } start)
            {
                problems.Add($"{path}.endPort", "endPort needs a numeric port");
            }
            else if (end < start || end > 65535)
            {
                problems.Add($"{path}.endPort", $"endPort {end} must be between port {start} and 65535");
            }
        }
        return new PolicyPortInfo(protocol, value, port.EndPort);
    }

    internal static LabelSelector? Selector(V1LabelSelector? selector, string path, ProblemSink problems)
    {
        if (selector is null)
        {
            return null;
        }
        var requirements = new List<LabelSelectorRequirement>();
        var expressions = selector.MatchExpressions ?? [];
        for (var i = 0; i < expressions.Count; i++)
        {
            var e = expressions[i];
            var values = e.Values?.ToList() ?? [];
            var op = e.OperatorProperty switch
            {
                "In" => SelectorOperator.In,
                "NotIn" => SelectorOperator.NotIn,
                "Exists" => SelectorOperator.Exists,
                "DoesNotExist" => SelectorOperator.DoesNotExist,
                _ => SelectorOperator.Unknown,
            };
            var where = $"{path}.matchExpressions[{i}]";
            if (op == SelectorOperator.Unknown)
            {
                problems.Add($"{where}.operator", $"'{e.OperatorProperty}' is not a selector operator (In, NotIn, Exists, DoesNotExist)");
            }
            else if (op is SelectorOperator.In or SelectorOperator.NotIn && values.Count == 0)
            {
                problems.Add($"{where}.values", $"{e.OperatorProperty} needs at least one value");
            }
            else if (op is SelectorOperator.Exists or SelectorOperator.DoesNotExist && values.Count > 0)
            {
                problems.Add($"{where}.values", $"{e.OperatorProperty} takes no values");
            }
            requirements.Add(new LabelSelectorRequirement(e.Key ?? "", op, values));
        }
        return new LabelSelector(Labels(selector.MatchLabels), requirements);
    }

    internal static Protocol ProtocolOf(string? text, string path, ProblemSink problems)
    {
        if (string.IsNullOrEmpty(text))
        {
            return Protocol.Tcp;
        }
        switch (text)
        {
            case "TCP":
                return Protocol.Tcp;
            case "UDP":
                return Protocol.Udp;
            case "SCTP":
                return Protocol.Sctp;
            default:
                problems.Add(path, $"'{text}' is not a protocol (TCP, UDP or SCTP)");
                return Protocol.Unknown;
        }
    }

    private static void AddContainerPorts(List<ContainerPortInfo> ports, IList<V1Container>? containers, string field, ProblemSink problems)
    {
        if (containers is null)
        {
            return;
        }
        for (var c = 0; c < containers.Count; c++)
        {
            var declared = containers[c].Ports ?? [];
            for (var p = 0; p < declared.Count; p++)
            {
                var port = declared[p];
                var protocol = ProtocolOf(port.Protocol, string.Create(CultureInfo.InvariantCulture, $"$.spec.{field}[{c}].ports[{p}].protocol"), problems);
                ports.Add(new ContainerPortInfo(string.IsNullOrEmpty(port.Name) ? null : port.Name, port.ContainerPort, protocol));
            }
        }
    }

    private static void AddAddress(List<IPAddress> addresses, string? text, string path, ProblemSink problems)
    {
        if (IPAddress.TryParse(text, out var ip))
        {
            addresses.Add(ip);
        }
        else
        {
            problems.Add(path, $"'{text}' is not an IP address");
        }
    }

    internal static Dictionary<string, string> Labels(IDictionary<string, string>? labels) =>
        labels is null ? [] : new Dictionary<string, string>(labels, StringComparer.Ordinal);
}
