using System.Net;
using System.Text.RegularExpressions;
using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Identity.History;

/// <summary>Applies time-ordered changes to per-object trackers and freezes the result into a <see cref="ClusterTimeline"/>.</summary>
internal static partial class TimelineAssembler
{
    public static ClusterTimeline Assemble(List<ClusterChange> changes, List<(long From, long To, string Reason)> gaps)
    {
        var decoder = new ObjectDecoder();
        var pods = new List<PodTrack>();
        var livePods = new Dictionary<string, PodTrack>(StringComparer.Ordinal);
        var objects = new Dictionary<(string Kind, string Key), ObjectTrack>();
        var allObjects = new List<ObjectTrack>();
        var owners = new Dictionary<(string Kind, string Key), OwnerRef?>();
        foreach (var change in changes)
        {
            var value = decoder.Decode(change);
            switch (change.Kind)
            {
                case ObjectKinds.Pod:
                    ApplyPod(change, value as PodInfo, pods, livePods);
                    break;
                case ObjectKinds.ReplicaSet or ObjectKinds.Job:
                    // Owners of a ReplicaSet or Job never change; a deleted one still names the workload of its old pods.
                    if (value is OwnerBox box)
                    {
                        owners[(change.Kind, change.Key)] = box.Owner;
                    }
                    break;
                default:
                    ApplyObject(change, value, objects, allObjects);
                    break;
            }
        }
        return Freeze(pods, allObjects, owners, gaps, decoder, changes.Count);
    }

    private static void ApplyPod(ClusterChange change, PodInfo? info, List<PodTrack> pods, Dictionary<string, PodTrack> live)
    {
        var key = change.Key;
        live.TryGetValue(key, out var track);
        if (track is not null && change.Uid is not null && track.Uid is not null && change.Uid != track.Uid)
        {
            if (change.Type == ChangeType.Deleted)
            {
                return; // the deletion of an earlier pod of that name, already ended when its successor appeared
            }
            // A new pod of the same name: the old one was deleted before it was created, after it was last seen.
            track.End(change.Time, track.LastSeen, null);
            live.Remove(key);
            track = null;
        }
        if (change.Type == ChangeType.Deleted)
        {
            if (track is null)
            {
                return;
            }
            var last = info ?? track.Versions[^1].Info;
            track.End(change.Time, change.NotBefore, last);
            live.Remove(key);
            return;
        }
        if (info is null)
        {
            return;
        }
        if (track is null)
        {
            track = new PodTrack(pods.Count, change, info);
            pods.Add(track);
            live[key] = track;
        }
        else
        {
            track.Update(change, info);
        }
    }

    private static void ApplyObject(ClusterChange change, object? value, Dictionary<(string, string), ObjectTrack> objects, List<ObjectTrack> all)
    {
        var key = (change.Kind, change.Key);
        objects.TryGetValue(key, out var track);
        if (change.Type == ChangeType.Deleted)
        {
            if (track is { Live: true } && (change.Uid is null || track.Uid is null || change.Uid == track.Uid))
            {
                track.Close(change.Time, change.NotBefore);
                track.Live = false;
            }
            return;
        }
        if (value is null)
        {
            return;
        }
        if (track is null || !track.Live || (change.Uid is not null && track.Uid is not null && change.Uid != track.Uid))
        {
            if (track is { Live: true })
            {
                track.Close(change.Time, track.Versions[^1].ValidFrom);
            }
            track = new ObjectTrack(change.Kind, change.Namespace, change.Name, change.Uid);
            objects[key] = track;
            all.Add(track);
        }
        else
        {
            track.Close(change.Time, change.NotBefore);
        }
        track.Versions.Add(new ObjectVersion(value, Interval.Open(change.Time, change.NotBefore), change));
        track.Uid ??= change.Uid;
    }

    private static ClusterTimeline Freeze(List<PodTrack> pods, List<ObjectTrack> objects, Dictionary<(string Kind, string Key), OwnerRef?> owners,
        List<(long From, long To, string Reason)> gaps, ObjectDecoder decoder, int changeCount)
    {
        var boundaries = new List<long>();
        var workloads = new Dictionary<(string Namespace, OwnerRef? Owner, string? Hash, string Pod), WorkloadRef>();
        var histories = new PodLife[pods.Count];
        var claims = new List<(UInt128, Interval, PodVersion[])>();
        var nodeAddresses = new List<(UInt128, Interval, string)>();
        foreach (var track in pods)
        {
            track.Flush();
            var versions = new PodVersion[track.Versions.Count];
            for (var i = 0; i < versions.Length; i++)
            {
                var v = track.Versions[i];
                var hash = v.Info.Labels.GetValueOrDefault("pod-template-hash");
                var workloadKey = (v.Info.Namespace, v.Info.Owner, hash, v.Info.Owner is null ? v.Info.Name : "");
                if (!workloads.TryGetValue(workloadKey, out var workload))
                {
                    workload = Workload(v.Info, owners);
                    workloads[workloadKey] = workload;
                }
                versions[i] = new PodVersion(v.Info, workload, i == 0 ? track.Presence.PossibleStart : v.From, v.NotBefore, v.ResourceVersion);
                if (i > 0)
                {
                    versions[i - 1].ValidTo = v.From;
                    boundaries.Add(v.From);
                }
            }
            versions[^1].ValidTo = track.Presence.PossibleEnd;
            var history = new PodLife(versions, track.Presence, [.. track.Claims.Select(c => c.Address).Distinct()]);
            histories[track.Id] = history;
            Add(boundaries, track.Presence);
            foreach (var (address, interval) in track.Claims)
            {
                Add(boundaries, interval);
                if (track.HostNetwork)
                {
                    nodeAddresses.Add((address, interval, versions[0].Node ?? "?"));
                }
                else
                {
                    claims.Add((address, interval, versions));
                }
            }
        }
        var versionsByKind = new Dictionary<string, List<(ObjectTrack Track, int Index)>>(StringComparer.Ordinal);
        var services = new List<(UInt128, Interval, ServiceInfo)>();
        var cidrs = new List<(IPNetwork, string, Interval)>();
        var policies = new List<PolicyVersion>();
        foreach (var track in objects)
        {
            if (!versionsByKind.TryGetValue(track.Kind, out var list))
            {
                versionsByKind[track.Kind] = list = [];
            }
            for (var i = 0; i < track.Versions.Count; i++)
            {
                var v = track.Versions[i];
                list.Add((track, i));
                Add(boundaries, v.Interval);
                switch (v.Value)
                {
                    case ServiceInfo service:
                        foreach (var ip in service.ClusterIPs)
                        {
                            services.Add((AddressKey.Of(ip), v.Interval, service));
                        }
                        break;
                    case NodeInfo node:
                        foreach (var ip in node.Addresses)
                        {
                            nodeAddresses.Add((AddressKey.Of(ip), v.Interval, node.Name));
                        }
                        foreach (var cidr in node.PodCidrs)
                        {
                            cidrs.Add((cidr, node.Name, v.Interval));
                        }
                        break;
                    case NetworkPolicyInfo or AdminNetworkPolicyInfo:
                        policies.Add(new PolicyVersion
                        {
                            Kind = track.Kind,
                            Namespace = track.Namespace,
                            Name = track.Name,
                            Uid = v.Change.Uid ?? track.Uid,
                            ResourceVersion = v.Change.ResourceVersion ?? (v.Value as NetworkPolicyInfo)?.ResourceVersion ?? (v.Value as AdminNetworkPolicyInfo)?.ResourceVersion,
                            ChangedBy = v.Change.User,
                            Origin = v.Change.Origin,
                            ValidFrom = v.Interval.CertainStart,
                            InForceFrom = i == 0 ? v.Interval.PossibleStart : v.Interval.CertainStart,
                            ValidFromNotBefore = v.Interval.PossibleStart < v.Interval.CertainStart ? v.Interval.PossibleStart - 1 : null,
                            ValidTo = v.Interval.PossibleEnd,
                            ValidToNotBefore = v.Interval.CertainEnd < v.Interval.PossibleEnd ? v.Interval.CertainEnd - 1 : null,
                            NetworkPolicy = v.Value as NetworkPolicyInfo,
                            AdminPolicy = v.Value as AdminNetworkPolicyInfo,
                        });
                        break;
                }
            }
        }
        boundaries.Sort();
        var unique = new List<long>(boundaries.Count);
        foreach (var b in boundaries)
        {
            if (b is not (long.MinValue or long.MaxValue) && (unique.Count == 0 || unique[^1] != b))
            {
                unique.Add(b);
            }
        }
        return new ClusterTimeline(new TimelineData
        {
            ChangeCount = changeCount,
            Pods = histories,
            Claims = new AddressIntervals<PodVersion[]>(claims),
            NodeAddresses = new AddressIntervals<string>(nodeAddresses),
            ServiceAddresses = new AddressIntervals<ServiceInfo>(services),
            PodCidrs = new CidrIndex(cidrs),
            Objects = versionsByKind.ToDictionary(p => p.Key, p => p.Value.Select(x => new ObjectVersionAt(x.Track, x.Track.Versions[x.Index], x.Index == 0)).ToArray()),
            Policies = [.. policies],
            Boundaries = [.. unique],
            Gaps = [.. gaps.Select(g => new TimelineGap(g.From, g.To, g.Reason))],
            Warnings = [.. decoder.Warnings],
            WarningCount = decoder.WarningCount,
        });
    }

    private static void Add(List<long> boundaries, Interval interval)
    {
        boundaries.Add(interval.PossibleStart);
        boundaries.Add(interval.PossibleEnd);
    }

    /// <summary>The workload a person names, from the ReplicaSet / Job objects when the history has them, else from the naming conventions (marked).</summary>
    internal static WorkloadRef Workload(PodInfo pod, Dictionary<(string Kind, string Key), OwnerRef?> owners)
    {
        if (pod.Owner is not { } owner)
        {
            return new WorkloadRef("Pod", pod.Name);
        }
        var via = $"{owner.Kind}/{owner.Name}";
        switch (owner.Kind)
        {
            case "ReplicaSet":
                if (owners.TryGetValue(("ReplicaSet", $"{pod.Namespace}/{owner.Name}"), out var rsOwner))
                {
                    return rsOwner is null ? new WorkloadRef("ReplicaSet", owner.Name) : new WorkloadRef(rsOwner.Kind, rsOwner.Name, Via: via);
                }
                // The Deployment controller names its ReplicaSets "<deployment>-<pod-template-hash>".
                if (pod.Labels.TryGetValue("pod-template-hash", out var hash) && hash.Length > 0
                    && owner.Name.Length > hash.Length + 1 && owner.Name.EndsWith("-" + hash, StringComparison.Ordinal))
                {
                    return new WorkloadRef("Deployment", owner.Name[..^(hash.Length + 1)], Inferred: true, Via: via);
                }
                return new WorkloadRef("ReplicaSet", owner.Name);
            case "Job":
                if (owners.TryGetValue(("Job", $"{pod.Namespace}/{owner.Name}"), out var jobOwner))
                {
                    return jobOwner is null ? new WorkloadRef("Job", owner.Name) : new WorkloadRef(jobOwner.Kind, jobOwner.Name, Via: via);
                }
                // The CronJob controller names its Jobs "<cronjob>-<scheduled time in minutes>"; a hand-made Job can look alike, hence marked.
                if (CronJobSuffix().Match(owner.Name) is { Success: true } m)
                {
                    return new WorkloadRef("CronJob", m.Groups[1].Value, Inferred: true, Via: via);
                }
                return new WorkloadRef("Job", owner.Name);
            default:
                return new WorkloadRef(owner.Kind, owner.Name);
        }
    }

    [GeneratedRegex(@"^(.+)-[0-9]{8,}$", RegexOptions.CultureInvariant)]
    private static partial Regex CronJobSuffix();
}

/// <summary>A pod followed through its changes while the history is applied.</summary>
internal sealed class PodTrack
{
    private readonly Dictionary<UInt128, Interval> _open = [];
    private bool _terminated;

    public PodTrack(int id, ClusterChange change, PodInfo info)
    {
        Id = id;
        Uid = info.Uid ?? change.Uid;
        HostNetwork = info.HostNetwork;
        // A pod exists from its creationTimestamp; without one, from when it was seen (within the change's window).
        var created = info.CreationTime is { } c ? ClusterTimelineBuilder.UnixNanos(c) : (long?)null;
        Presence = created is { } t && t <= change.Time ? Interval.Open(t, null) : Interval.Open(change.Time, change.NotBefore);
        Versions.Add(new TrackedVersion(info, Presence.CertainStart, null, change.ResourceVersion));
        LastSeen = change.Time;
        Claim(change, info, first: true);
    }

    public int Id { get; }

    public string? Uid { get; }

    public bool HostNetwork { get; }

    public Interval Presence { get; private set; }

    public long LastSeen { get; private set; }

    public List<TrackedVersion> Versions { get; } = [];

    public List<(UInt128 Address, Interval Interval)> Claims { get; } = [];

    public void Update(ClusterChange change, PodInfo info)
    {
        Versions.Add(new TrackedVersion(info, change.Time, change.NotBefore is { } nb && nb < change.Time ? nb : null, change.ResourceVersion));
        LastSeen = change.Time;
        Claim(change, info, first: false);
    }

    public void End(long time, long? notBefore, PodInfo? last)
    {
        // deletionTimestamp is the end of the grace period: the pod was gone by then at the latest.
        if (last?.DeletionTime is { } d && ClusterTimelineBuilder.UnixNanos(d) is var deadline && deadline < time && (notBefore is null || deadline > notBefore))
        {
            time = deadline;
        }
        if (last is { IsTerminated: true, FinishTime: { } f } && ClusterTimelineBuilder.UnixNanos(f) is var finished && finished < time)
        {
            CloseAll(finished, null);
        }
        CloseAll(time, notBefore);
        Presence = Presence.Close(time, notBefore);
        LastSeen = time;
    }

    private void Claim(ClusterChange change, PodInfo info, bool first)
    {
        if (_terminated)
        {
            return;
        }
        if (info.IsTerminated)
        {
            // A pod that ran to completion released its address when its last container finished.
            _terminated = true;
            if (Claims.Count == 0 && _open.Count == 0 && info.FinishTime is { } done && (info.StartTime ?? info.CreationTime) is { } began)
            {
                // First seen already finished (a snapshot of a completed Job): it held its address while it ran.
                var from = Math.Max(ClusterTimelineBuilder.UnixNanos(began), Presence.PossibleStart);
                foreach (var ip in info.IPs)
                {
                    _open[AddressKey.Of(ip)] = Interval.Open(from, null);
                }
            }
            if (info.FinishTime is { } f)
            {
                CloseAll(ClusterTimelineBuilder.UnixNanos(f), null);
            }
            else
            {
                CloseAll(change.Time, change.NotBefore);
            }
            return;
        }
        var wanted = info.IPs.Select(AddressKey.Of).ToHashSet();
        foreach (var address in _open.Keys.Where(a => !wanted.Contains(a)).ToList())
        {
            Close(address, change.Time, change.NotBefore);
        }
        foreach (var address in wanted)
        {
            if (_open.ContainsKey(address))
            {
                continue;
            }
            // The first addresses are claimed from the pod's start (kubelet acknowledged it; the sandbox and its address
            // come after), else from its creation; an address that appears later, from the change that showed it.
            var firstClaim = Claims.Count == 0 && _open.Count == 0;
            Interval interval;
            if (firstClaim && (info.StartTime ?? info.CreationTime) is { } s && ClusterTimelineBuilder.UnixNanos(s) is var start && start <= change.Time)
            {
                interval = Interval.Open(Math.Max(start, Presence.PossibleStart), null);
            }
            else if (first)
            {
                interval = new Interval(Presence.PossibleStart, Presence.CertainStart, long.MaxValue, long.MaxValue);
            }
            else
            {
                interval = Interval.Open(change.Time, change.NotBefore);
            }
            _open[address] = interval;
        }
    }

    private void CloseAll(long time, long? notBefore)
    {
        foreach (var address in _open.Keys.ToList())
        {
            Close(address, time, notBefore);
        }
    }

    private void Close(UInt128 address, long time, long? notBefore)
    {
        Claims.Add((address, _open[address].Close(time, notBefore)));
        _open.Remove(address);
    }

    /// <summary>Claims still open at the end of the history become open-ended claims.</summary>
    public void Flush()
    {
        foreach (var (address, interval) in _open)
        {
            Claims.Add((address, interval));
        }
        _open.Clear();
    }
}

/// <summary>One version of a pod as applied.</summary>
internal sealed record TrackedVersion(PodInfo Info, long From, long? NotBefore, string? ResourceVersion);

/// <summary>Any other followed object through its versions.</summary>
internal sealed class ObjectTrack(string kind, string? ns, string name, string? uid)
{
    public string Kind { get; } = kind;

    public string? Namespace { get; } = ns;

    public string Name { get; } = name;

    public string? Uid { get; set; } = uid;

    public bool Live { get; set; } = true;

    public List<ObjectVersion> Versions { get; } = [];

    public void Close(long time, long? notBefore)
    {
        if (Versions.Count > 0 && Versions[^1].Interval.IsOpen)
        {
            Versions[^1] = Versions[^1] with { Interval = Versions[^1].Interval.Close(time, notBefore) };
        }
    }
}

/// <summary>One version of an object: the mapped record, when it held, and the change that made it.</summary>
internal sealed record ObjectVersion(object Value, Interval Interval, ClusterChange Change)
{
    public long ValidFrom => Interval.CertainStart;
}
