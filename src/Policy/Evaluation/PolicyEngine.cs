using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Policy.Compilation;
using PolicyTrail.Policy.Endpoints;
using PolicyTrail.Policy.Explanation;

namespace PolicyTrail.Policy.Evaluation;

/// <summary>
/// An exact evaluator of networking.k8s.io/v1 NetworkPolicy, with AdminNetworkPolicy before it and
/// BaselineAdminNetworkPolicy after it (policy.networking.k8s.io/v1alpha1), over one cluster snapshot. Compiled once;
/// immutable and safe to share between threads.
/// </summary>
public sealed class PolicyEngine
{
    private static readonly DirectionDecision NotIsolated = new() { Verdict = Verdict.Allow, Isolated = false };

    private readonly CompiledCluster _cluster;
    private readonly EndpointResolver _resolver;

    private PolicyEngine(CompiledCluster cluster, PolicyEngineOptions options)
    {
        _cluster = cluster;
        Options = options;
        _resolver = new EndpointResolver(cluster);
    }

    /// <summary>The semantic switches in force.</summary>
    public PolicyEngineOptions Options { get; }

    /// <summary>The snapshot the engine was compiled from.</summary>
    public ClusterSnapshot Snapshot => _cluster.Snapshot;

    /// <summary>Compiles a snapshot: selectors become pod sets, each pod gets its isolating policies.</summary>
    public static PolicyEngine Create(ClusterSnapshot snapshot, PolicyEngineOptions? options = null) =>
        new(ClusterCompiler.Compile(snapshot), options ?? PolicyEngineOptions.Upstream);

    /// <summary>
    /// Decides a connection from <paramref name="from"/> to <paramref name="to"/> (each "namespace/pod",
    /// "service:namespace/name" or an IP address) on a port given by number or name.
    /// A connection that cannot be evaluated gets <see cref="Verdict.Unknown"/> and an error.
    /// </summary>
    public Decision Explain(string from, string to, PortRef port, Protocol protocol = Protocol.Tcp)
    {
        var source = _resolver.Resolve(from);
        var destination = _resolver.Resolve(to);
        if (source.Target is null || destination.Target is null)
        {
            var error = source.Error ?? destination.Error!;
            return Failed(
                source.Target?.Endpoint ?? Unresolved(from),
                destination.Target?.Endpoint ?? Unresolved(to),
                port.Number ?? 0,
                protocol,
                error);
        }
        return Evaluate(source.Target, destination.Target, port, protocol);
    }

    /// <summary>
    /// Every pod of the snapshot with the NetworkPolicies that isolate it per direction (a pod no policy isolates for a
    /// direction is default-allow there) and the admin policies whose subject selects it, in snapshot order.
    /// </summary>
    public IReadOnlyList<PodIsolation> Isolation() =>
        [.. _cluster.Pods.Select(p => new PodIsolation(
            p.Info,
            p.IngressRefs,
            p.EgressRefs,
            [.. p.AdminIngress.Concat(p.AdminEgress).Select(a => a.Info.Name).Distinct(StringComparer.Ordinal)],
            p.Baseline?.Info.Name))];

    /// <summary>Decides a connection between two addresses, as a flow log reports it.</summary>
    public Decision Explain(IPAddress from, IPAddress to, int port, Protocol protocol) =>
        Evaluate(_resolver.ResolveAddress(from), _resolver.ResolveAddress(to), PortRef.FromNumber(port), protocol);

    private Decision Evaluate(Target source, Target destination, PortRef port, Protocol protocol)
    {
        if (protocol == Protocol.Unknown)
        {
            return Failed(source.Endpoint, destination.Endpoint, port.Number ?? 0, protocol, "unknown protocol");
        }
        if (destination.Kind == EndpointKind.Service)
        {
            return EvaluateService(source, destination, port, protocol);
        }
        int number;
        if (port.IsNamed)
        {
            var named = destination.Pod?.Info.Ports.FirstOrDefault(p => p.Name == port.Name && p.Protocol == protocol);
            if (named is null)
            {
                var where = destination.Pod is null ? $"{destination.Endpoint.Display} is not a pod" : $"{destination.Endpoint.Display} has no {protocol.ToName()} container port named '{port.Name}'";
                return Failed(source.Endpoint, destination.Endpoint, 0, protocol, $"cannot resolve port '{port.Name}': {where}");
            }
            number = named.Port;
        }
        else
        {
            number = port.Number!.Value;
            if (protocol.HasPorts() && (number < 1 || number > 65535))
            {
                return Failed(source.Endpoint, destination.Endpoint, number, protocol, $"port {number} is outside 1..65535");
            }
        }
        return EvaluatePair(source, destination, number, protocol);
    }

    private Decision EvaluatePair(Target source, Target destination, int port, Protocol protocol)
    {
        // An address a flow or probe gave wins; a pod named by name uses its address of the other side's family.
        IPAddress? sourceAddress, destinationAddress;
        if (source.AddressGiven || !destination.AddressGiven)
        {
            sourceAddress = source.Address;
            destinationAddress = AddressFor(destination, sourceAddress);
        }
        else
        {
            destinationAddress = destination.Address;
            sourceAddress = AddressFor(source, destinationAddress);
        }
        source = WithAddress(source, sourceAddress);
        destination = WithAddress(destination, destinationAddress);
        var egress = source.Kind == EndpointKind.Pod
            ? EvaluateSide(source.Pod!, ingress: false, destination, destinationAddress, port, protocol, destination.Pod)
            : DirectionDecision.NotApplicable;
        var ingress = destination.Kind == EndpointKind.Pod
            ? EvaluateSide(destination.Pod!, ingress: true, source, sourceAddress, port, protocol, destination.Pod)
            : DirectionDecision.NotApplicable;

        var unknownReason = UnknownReason(source) ?? UnknownReason(destination);
        var verdict = unknownReason is not null ? Verdict.Unknown
            : egress.Verdict == Verdict.Allow && ingress.Verdict == Verdict.Allow ? Verdict.Allow
            : Verdict.Deny;
        return new Decision
        {
            Verdict = verdict,
            Source = source.Endpoint,
            Destination = destination.Endpoint,
            Port = port,
            Protocol = protocol,
            Ingress = ingress,
            Egress = egress,
            DeferredExplanation = d => ExplanationWriter.Write(d.Verdict, d.Source, d.Destination, d.Port, d.Protocol, d.Ingress, d.Egress, unknownReason),
        };
    }

    private static string? UnknownReason(Target target) => target.Kind switch
    {
        EndpointKind.Pod when target.Pod!.Info.IsTerminated => target.Endpoint.Reason,
        EndpointKind.Pod or EndpointKind.External => null,
        EndpointKind.Service => $"{target.Endpoint.Display} is a service address and cannot be a source",
        _ => target.Endpoint.Reason ?? $"{target.Endpoint.Display} is not known",
    };

    /// <summary>
    /// One direction of one pod, tier by tier: AdminNetworkPolicies (priority order, rules in order; the first
    /// matching rule decides, Pass ends the tier), then NetworkPolicy, then — when no NetworkPolicy isolates the pod
    /// for the direction — the BaselineAdminNetworkPolicy; nothing matching means allowed.
    /// </summary>
    private DirectionDecision EvaluateSide(
        CompiledPod selected, bool ingress, Target peer, IPAddress? peerAddress, int port, Protocol protocol, CompiledPod? destinationPod)
    {
        AdminRuleMatch? passed = null;
        foreach (var policy in ingress ? selected.AdminIngress : selected.AdminEgress)
        {
            if (FirstMatch(policy, ingress, peer, peerAddress, port, protocol, destinationPod) is not { } match)
            {
                continue;
            }
            if (match.Action == AdminAction.Pass)
            {
                passed = match;
                break;
            }
            return AdminDecision(selected, ingress, match, DecisionTier.Admin, null);
        }
        var decision = EvaluateNetworkPolicy(selected, ingress, peer, peerAddress, port, protocol, destinationPod);
        if (decision.Isolated)
        {
            return passed is null ? decision : decision with { PassedBy = passed };
        }
        if (selected.Baseline is { } baseline
            && FirstMatch(baseline, ingress, peer, peerAddress, port, protocol, destinationPod) is { } baselineMatch)
        {
            return AdminDecision(selected, ingress, baselineMatch, DecisionTier.Baseline, passed);
        }
        return passed is null ? decision : decision with { PassedBy = passed };
    }

    private static DirectionDecision AdminDecision(CompiledPod selected, bool ingress, AdminRuleMatch match, DecisionTier tier, AdminRuleMatch? passed)
    {
        var refs = ingress ? selected.IngressRefs : selected.EgressRefs;
        return new DirectionDecision
        {
            Verdict = match.Action == AdminAction.Allow ? Verdict.Allow : Verdict.Deny,
            Isolated = refs.Length > 0,
            SelectedBy = refs,
            Tier = tier,
            DecidedBy = match,
            PassedBy = passed,
        };
    }

    /// <summary>The first rule of the policy, for the direction, that matches the peer and the port.</summary>
    private AdminRuleMatch? FirstMatch(
        CompiledAdminPolicy policy, bool ingress, Target peer, IPAddress? peerAddress, int port, Protocol protocol, CompiledPod? destinationPod)
    {
        var rules = ingress ? policy.Ingress : policy.Egress;
        for (var r = 0; r < rules.Length; r++)
        {
            var rule = rules[r];
            if (rule.Ports is not null && !AnyAdminPort(rule.Ports, port, protocol, destinationPod))
            {
                continue;
            }
            foreach (var p in rule.Peers)
            {
                if (AdminPeerMatches(p, peer, peerAddress))
                {
                    var info = policy.Info;
                    return new AdminRuleMatch(info.Kind, info.Name, info.ResourceVersion, r, rule.Info.Name, rule.Info.Action);
                }
            }
        }
        return null;
    }

    private bool AdminPeerMatches(CompiledAdminPeer peer, Target target, IPAddress? address)
    {
        if (peer.Pods is not null)
        {
            return target.Kind == EndpointKind.Pod && peer.Pods.Contains(target.Pod!.Index);
        }
        if (address is null)
        {
            return false;
        }
        if (peer.NodeAddresses is not null)
        {
            return peer.NodeAddresses.Contains(address);
        }
        if (peer.Networks is null || (target.Kind == EndpointKind.Pod && !Options.IpBlockSelectsPods))
        {
            return false;
        }
        foreach (var network in peer.Networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    private static bool AnyAdminPort(IReadOnlyList<AdminPortInfo> ports, int port, Protocol protocol, CompiledPod? destinationPod)
    {
        foreach (var p in ports)
        {
            if (p.NamedPort is { } name)
            {
                // A named port resolves on the destination pod's container ports (name, number and protocol).
                if (destinationPod is not null)
                {
                    foreach (var declared in destinationPod.Info.Ports)
                    {
                        if (declared.Name == name && declared.Port == port && declared.Protocol == protocol)
                        {
                            return true;
                        }
                    }
                }
            }
            else if (p.Protocol == protocol && port >= p.Start && port <= p.End)
            {
                return true;
            }
        }
        return false;
    }

    private DirectionDecision EvaluateNetworkPolicy(
        CompiledPod selected, bool ingress, Target peer, IPAddress? peerAddress, int port, Protocol protocol, CompiledPod? destinationPod)
    {
        var policies = ingress ? selected.IngressPolicies : selected.EgressPolicies;
        if (policies.Count == 0)
        {
            return NotIsolated;
        }
        List<RuleMatch>? allowed = null;
        foreach (var policy in policies)
        {
            var rules = ingress ? policy.Ingress : policy.Egress;
            for (var r = 0; r < rules.Length; r++)
            {
                var rule = rules[r];
                if (rule.Ports is not null && !AnyPort(rule.Ports, port, protocol, destinationPod))
                {
                    continue;
                }
                if (rule.Peers is not null && !AnyPeer(rule.Peers, peer, peerAddress))
                {
                    continue;
                }
                allowed ??= [];
                if (rule.Peers is null)
                {
                    AddPortMatches(allowed, policy.Ref, r, null, rule.Ports, port, protocol, destinationPod);
                }
                else
                {
                    for (var i = 0; i < rule.Peers.Length; i++)
                    {
                        if (PeerMatches(rule.Peers[i], peer, peerAddress))
                        {
                            AddPortMatches(allowed, policy.Ref, r, i, rule.Ports, port, protocol, destinationPod);
                        }
                    }
                }
            }
        }
        if (allowed is null)
        {
            return ingress ? selected.IngressDenied : selected.EgressDenied;
        }
        return new DirectionDecision
        {
            Verdict = Verdict.Allow,
            Isolated = true,
            SelectedBy = ingress ? selected.IngressRefs : selected.EgressRefs,
            AllowedBy = allowed,
            Tier = DecisionTier.NetworkPolicy,
        };
    }

    private bool AnyPeer(CompiledPeer[] peers, Target peer, IPAddress? address)
    {
        foreach (var p in peers)
        {
            if (PeerMatches(p, peer, address))
            {
                return true;
            }
        }
        return false;
    }

    private static bool AnyPort(CompiledPort[] ports, int port, Protocol protocol, CompiledPod? destinationPod)
    {
        foreach (var p in ports)
        {
            if (PortMatches(p, port, protocol, destinationPod))
            {
                return true;
            }
        }
        return false;
    }

    private static void AddPortMatches(
        List<RuleMatch> allowed, PolicyRef policy, int rule, int? peer, CompiledPort[]? ports, int port, Protocol protocol, CompiledPod? destinationPod)
    {
        if (ports is null)
        {
            allowed.Add(new RuleMatch(policy, rule, peer, null));
            return;
        }
        for (var i = 0; i < ports.Length; i++)
        {
            if (PortMatches(ports[i], port, protocol, destinationPod))
            {
                allowed.Add(new RuleMatch(policy, rule, peer, i));
            }
        }
    }

    private bool PeerMatches(CompiledPeer peer, Target target, IPAddress? address)
    {
        if (peer.Pods is not null)
        {
            return target.Kind == EndpointKind.Pod && peer.Pods.Contains(target.Pod!.Index);
        }
        if (peer.IpBlock is null || address is null)
        {
            return false;
        }
        if (target.Kind == EndpointKind.Pod && !Options.IpBlockSelectsPods)
        {
            return false;
        }
        return peer.IpBlock.Contains(address);
    }

    private static bool PortMatches(CompiledPort rule, int port, Protocol protocol, CompiledPod? destinationPod)
    {
        if (rule.Protocol != protocol)
        {
            return false;
        }
        if (rule.Name is not null)
        {
            if (destinationPod is null)
            {
                return false;
            }
            foreach (var declared in destinationPod.Info.Ports)
            {
                if (declared.Port == port && declared.Protocol == protocol && declared.Name == rule.Name)
                {
                    return true;
                }
            }
            return false;
        }
        return rule.AllPorts || (port >= rule.Low && port <= rule.High);
    }

    private static Target WithAddress(Target target, IPAddress? address) =>
        Equals(target.Address, address) ? target : target with { Endpoint = target.Endpoint with { IP = address } };

    /// <summary>The address a pod uses towards a peer: the one given, else its first of the peer's family.</summary>
    private static IPAddress? AddressFor(Target target, IPAddress? other)
    {
        if (target.AddressGiven || target.Pod is null || target.Address is null || other is null || target.Address.AddressFamily == other.AddressFamily)
        {
            return target.Address;
        }
        foreach (var ip in target.Pod.Info.IPs)
        {
            if (ip.AddressFamily == other.AddressFamily)
            {
                return ip;
            }
        }
        return target.Address;
    }

    private Decision EvaluateService(Target source, Target service, PortRef port, Protocol protocol)
    {
        var info = service.Service!;
        var servicePort = info.Ports.FirstOrDefault(p => p.Protocol == protocol && (port.IsNamed ? p.Name == port.Name : p.Port == port.Number));
        if (servicePort is null)
        {
            return Failed(source.Endpoint, service.Endpoint, port.Number ?? 0, protocol, $"service {info.Key} has no {protocol.ToName()} port {port}");
        }
        var backends = ServiceBackends.Resolve(_cluster, _resolver, info, servicePort);
        if (backends.Count == 0)
        {
            var none = new Decision
            {
                Verdict = Verdict.Unknown,
                Source = source.Endpoint,
                Destination = service.Endpoint,
                Port = servicePort.Port,
                Protocol = protocol,
                Ingress = DirectionDecision.Unevaluated,
                Egress = DirectionDecision.Unevaluated,
                Explanation = $"unknown: service {info.Key} has no ready backend for {protocol.ToName()} {servicePort.Port} in the snapshot",
            };
            return none;
        }
        var decisions = backends.Select(b => EvaluatePair(source, b.Target, b.Port, protocol)).ToList();
        var verdict = decisions.All(d => d.Verdict == decisions[0].Verdict) ? decisions[0].Verdict : Verdict.Unknown;
        return new Decision
        {
            Verdict = verdict,
            Source = source.Endpoint,
            Destination = service.Endpoint,
            Port = servicePort.Port,
            Protocol = protocol,
            Ingress = Merge(decisions.Select(d => d.Ingress)),
            Egress = Merge(decisions.Select(d => d.Egress)),
            Backends = decisions,
            DeferredExplanation = d => ExplanationWriter.WriteService(d, info),
        };
    }

    private static DirectionDecision Merge(IEnumerable<DirectionDecision> sides)
    {
        var list = sides.ToList();
        if (list.Count == 1)
        {
            return list[0];
        }
        var verdict = list.All(s => s.Verdict == list[0].Verdict) ? list[0].Verdict : Verdict.Unknown;
        return new DirectionDecision
        {
            Verdict = verdict,
            Applies = list.Any(s => s.Applies),
            Isolated = list.Any(s => s.Isolated),
            SelectedBy = list.SelectMany(s => s.SelectedBy).Distinct().ToList(),
            AllowedBy = list.SelectMany(s => s.AllowedBy).Distinct().ToList(),
            Tier = list.All(s => s.Tier == list[0].Tier) ? list[0].Tier : DecisionTier.Unknown,
            DecidedBy = list.All(s => s.DecidedBy == list[0].DecidedBy) ? list[0].DecidedBy : null,
            PassedBy = list.All(s => s.PassedBy == list[0].PassedBy) ? list[0].PassedBy : null,
        };
    }

    private static Endpoint Unresolved(string reference) =>
        IPAddress.TryParse(reference, out var ip)
            ? new Endpoint { Kind = EndpointKind.Unknown, IP = ip }
            : new Endpoint { Kind = EndpointKind.Unknown, Name = reference, Reason = "not found" };

    private static Decision Failed(Endpoint source, Endpoint destination, int port, Protocol protocol, string error) => new()
    {
        Verdict = Verdict.Unknown,
        Source = source,
        Destination = destination,
        Port = port,
        Protocol = protocol,
        Ingress = DirectionDecision.Unevaluated,
        Egress = DirectionDecision.Unevaluated,
        Explanation = $"unknown: {error}",
        Error = error,
    };
}

/// <summary>
/// How a pod is isolated: the NetworkPolicies that select it for ingress and for egress (empty: not isolated, default
/// allow), the AdminNetworkPolicies whose subject selects it and the BaselineAdminNetworkPolicy when it does.
/// </summary>
public sealed record PodIsolation(
    PodInfo Pod, IReadOnlyList<PolicyRef> Ingress, IReadOnlyList<PolicyRef> Egress, IReadOnlyList<string> Admin, string? Baseline)
{
    /// <summary>Some NetworkPolicy isolates the pod for ingress.</summary>
    public bool IngressIsolated => Ingress.Count > 0;

    /// <summary>Some NetworkPolicy isolates the pod for egress.</summary>
    public bool EgressIsolated => Egress.Count > 0;
}
