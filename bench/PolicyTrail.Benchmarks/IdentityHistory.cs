using System.Diagnostics;
using System.Globalization;
using PolicyTrail.Identity.History;

namespace PolicyTrail.Benchmarks;

/// <summary>
/// "identity [pods] [seed]": builds a 30-day history of that many pods (default 100,000) with realistic churn and times
/// <see cref="ClusterTimeline.TryGet(UInt128, long, out EndpointAt)"/> over random (address, instant) lookups.
/// Cluster: 256 nodes, each with a /24 of 10.1.0.0/16 handed out round robin as host-local IPAM does (so addresses are
/// reused); 60 % Deployment pods (lifetimes exponential, mean 2 days, 10 % of deployments rolled each day, 5 % of pods
/// relabelled once), 35 % CronJob pods (1–10 minutes of work, then Succeeded and deleted an hour later), 5 % StatefulSet,
/// DaemonSet and bare pods living the whole month; 10 % of deletions known only from 10-minute snapshots
/// (NotBefore windows); 100 NetworkPolicies, half of them changed once; ReplicaSet and Job objects for half the owners.
/// </summary>
internal static class IdentityHistory
{
    private const long Second = 1_000_000_000L;
    private const long Minute = 60 * Second;
    private const long Day = 24 * 60 * Minute;
    private const long Start = 1_793_145_600_000_000_000L; // 2026-10-28T00:00:00Z
    private const long Span = 30 * Day;
    private const int Nodes = 256;

    public static int Run(int podCount, int seed)
    {
        var random = new Random(seed);
        Console.WriteLine($"generating a 30-day history of {podCount:N0} pods ...");
        var clock = Stopwatch.StartNew();
        var (changes, truth) = Generate(podCount, random);
        Console.WriteLine($"{changes.Count:N0} changes generated in {clock.Elapsed.TotalSeconds:F1} s ({changes.Sum(c => (long)(c.ObjectJson?.Length ?? 0)) / 1_000_000:N0} MB of object JSON)");

        GC.Collect();
        var before = GC.GetTotalMemory(true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        clock.Restart();
        var builder = new ClusterTimelineBuilder();
        builder.AddRange(changes);
        var timeline = builder.Build();
        var buildWall = clock.Elapsed;
        var buildCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        changes = null!;
        builder = null!;
        GC.Collect();
        var retained = GC.GetTotalMemory(true) - before;
        Console.WriteLine($"built: {timeline.PodCount:N0} pods, {timeline.ClaimCount:N0} address claims, {timeline.EpochCount:N0} epochs, {timeline.Warnings.Count} warnings");
        Console.WriteLine($"build: {buildWall.TotalSeconds:F1} s wall, {buildCpu.TotalSeconds:F1} s CPU; timeline retains {retained / 1_048_576.0:N0} MiB; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1_048_576.0:N0} MiB");

        // Random lookups: any address of the /16 at any instant, and lookups of addresses some pod really held then.
        const int Lookups = 1_000_000;
        var anyKeys = new UInt128[Lookups];
        var anyTimes = new long[Lookups];
        var heldKeys = new UInt128[Lookups];
        var heldTimes = new long[Lookups];
        for (var i = 0; i < Lookups; i++)
        {
            anyKeys[i] = AddressKey.OfV4(0x0A010000u | (uint)random.Next(0, 65536));
            anyTimes[i] = Start + random.NextInt64(Span);
            var held = truth[random.Next(truth.Count)];
            heldKeys[i] = AddressKey.OfV4(held.Address);
            heldTimes[i] = held.From + random.NextInt64(Math.Max(1, Math.Min(held.To, Start + Span) - held.From));
        }
        Measure("random (address in the /16, instant in the month)", timeline, anyKeys, anyTimes);
        Measure("addresses a pod held at the instant", timeline, heldKeys, heldTimes);
        Calibrate(heldKeys);
        Measure("10 held addresses repeated (cache-hot: the cost without memory misses)", timeline, [.. Enumerable.Range(0, Lookups).Select(i => heldKeys[i % 10])], [.. Enumerable.Range(0, Lookups).Select(i => heldTimes[i % 10])]);

        clock.Restart();
        var snapshot = timeline.SnapshotAt(Start + 15 * Day);
        Console.WriteLine($"SnapshotAt(day 15): {snapshot.Pods.Count:N0} pods, {snapshot.NetworkPolicies.Count} policies in {clock.Elapsed.TotalMilliseconds:F0} ms");
        return 0;
    }

    /// <summary>For scale on a loaded machine: the cost of one plain Dictionary hit on the same keys, in the same run.</summary>
    private static void Calibrate(UInt128[] keys)
    {
        var map = new Dictionary<UInt128, int>();
        foreach (var key in keys)
        {
            map[key] = map.Count;
        }
        var sum = 0L;
        foreach (var key in keys)
        {
            sum += map[key];
        }
        const int Rounds = 5;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var key in keys)
            {
                sum += map[key];
            }
        }
        var cpuNs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalNanoseconds / (Rounds * (double)keys.Length);
        Console.WriteLine($"for scale, a Dictionary<UInt128, int> hit on the same keys: {cpuNs:F0} ns/op CPU, {clock.Elapsed.TotalNanoseconds / (Rounds * (double)keys.Length):F0} ns/op wall ({sum % 7})");
    }

    private static void Measure(string what, ClusterTimeline timeline, UInt128[] keys, long[] times)
    {
        var kinds = new Dictionary<PolicyTrail.Core.Decisions.EndpointKind, int>();
        for (var i = 0; i < keys.Length; i++)
        {
            timeline.TryGet(keys[i], times[i], out var warm);
            kinds[warm.Kind] = kinds.GetValueOrDefault(warm.Kind) + 1;
        }
        const int Rounds = 5;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var found = 0;
        for (var round = 0; round < Rounds; round++)
        {
            for (var i = 0; i < keys.Length; i++)
            {
                if (timeline.TryGet(keys[i], times[i], out _))
                {
                    found++;
                }
            }
        }
        var wall = clock.Elapsed.TotalNanoseconds / (Rounds * (double)keys.Length);
        var cpuNs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalNanoseconds / (Rounds * (double)keys.Length);
        var bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (Rounds * (double)keys.Length);
        Console.WriteLine($"TryGet, {what}: {cpuNs:F0} ns/op CPU, {wall:F0} ns/op wall, {bytes:F2} B/op allocated over {Rounds * keys.Length:N0} lookups; "
            + string.Join(", ", kinds.OrderByDescending(k => k.Value).Select(k => $"{k.Key} {100.0 * k.Value / keys.Length:F1} %")) + $" ({found / Rounds:N0} found)");
    }

    private sealed record Truth(uint Address, long From, long To);

    private enum Role { Deployment, CronJob, StatefulSet, DaemonSet, Bare }

    private sealed record PodPlan(int Id, Role Role, string Namespace, string Owner, string Name, int Node, long Created, long Finished, long Deleted, long? Relabel);

    private static (List<ClusterChange> Changes, List<Truth> Truth) Generate(int podCount, Random random)
    {
        var changes = new List<ClusterChange>(podCount * 3);
        for (var n = 0; n < Nodes; n++)
        {
            changes.Add(Change(ChangeType.Added, Start, "Node", null, $"node-{n}", $"node-{n}",
                $$$"""{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-{{{n}}}","uid":"node-{{{n}}}"},"spec":{"podCIDR":"10.1.{{{n}}}.0/24","podCIDRs":["10.1.{{{n}}}.0/24"]},"status":{"addresses":[{"type":"InternalIP","address":"192.168.{{{n}}}.10"}]}}"""));
        }
        for (var ns = 0; ns < 50; ns++)
        {
            changes.Add(Change(ChangeType.Added, Start, "Namespace", null, $"team-{ns}", $"ns-{ns}",
                $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-{{{ns}}}","uid":"ns-{{{ns}}}","labels":{"team":"t{{{ns % 7}}}"} } }"""));
        }
        for (var p = 0; p < 100; p++)
        {
            var ns = $"team-{p % 50}";
            string Policy(int rv, string app) =>
                $$$"""{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"allow-{{{p}}}","namespace":"{{{ns}}}","uid":"np-{{{p}}}","resourceVersion":"{{{rv}}}"},"spec":{"podSelector":{"matchLabels":{"app":"{{{app}}}"}},"ingress":[{"from":[{"podSelector":{}}]}]}}""";
            changes.Add(Change(ChangeType.Added, Start, "NetworkPolicy", ns, $"allow-{p}", $"np-{p}", Policy(p * 10, $"app-{p}"), rv: (p * 10).ToString(CultureInfo.InvariantCulture)));
            if (p % 2 == 0)
            {
                changes.Add(Change(ChangeType.Modified, Start + random.NextInt64(Span), "NetworkPolicy", ns, $"allow-{p}", $"np-{p}", Policy(p * 10 + 1, $"app-{p}-v2"), rv: (p * 10 + 1).ToString(CultureInfo.InvariantCulture), user: "alice@example.com"));
            }
        }

        var plans = new List<PodPlan>(podCount);
        for (var i = 0; i < podCount; i++)
        {
            var roll = random.NextDouble();
            var ns = $"team-{random.Next(50)}";
            var node = random.Next(Nodes);
            if (roll < 0.60)
            {
                // A deployment's pods share a ReplicaSet per rollout: the hash changes every rollout day.
                var deployment = random.Next(600);
                var created = Start + random.NextInt64(Span);
                var life = (long)(-Math.Log(1 - random.NextDouble()) * 2 * Day);
                var end = created + Math.Max(Minute, life);
                var hash = ((uint)HashCode.Combine(deployment, (created - Start) / (10 * Day) + deployment % 10)).ToString("x8", CultureInfo.InvariantCulture)[..8];
                long? relabel = random.NextDouble() < 0.05 ? created + (end - created) / 2 : null;
                plans.Add(new PodPlan(i, Role.Deployment, $"team-{deployment % 50}", $"web-{deployment}-{hash}", $"web-{deployment}-{hash}-{i:x5}", node, created, end, end, relabel));
            }
            else if (roll < 0.95)
            {
                var cron = random.Next(200);
                var created = Start + random.NextInt64(Span);
                var finished = created + Minute + random.NextInt64(9 * Minute);
                var job = $"job-{cron}-{29_000_000 + (created - Start) / Minute}";
                plans.Add(new PodPlan(i, Role.CronJob, $"team-{cron % 50}", job, $"{job}-{i:x5}", node, created, finished, finished + 60 * Minute, null));
            }
            else
            {
                var role = roll < 0.97 ? Role.StatefulSet : roll < 0.99 ? Role.DaemonSet : Role.Bare;
                var created = Start - random.NextInt64(Day);
                plans.Add(new PodPlan(i, role, ns, role == Role.Bare ? "" : $"{role.ToString().ToLowerInvariant()}-{i % 40}", $"{role.ToString().ToLowerInvariant()}-{i}", node, created, long.MaxValue, long.MaxValue, null));
            }
        }

        // Host-local IPAM: each node hands out its /24 round robin, skipping addresses in use; an address is free again
        // once its pod finished (job) or was deleted.
        var events = new PriorityQueue<(PodPlan Plan, bool Start), long>();
        foreach (var plan in plans)
        {
            events.Enqueue((plan, true), plan.Created);
        }
        var inUse = new bool[Nodes, 256];
        var next = new int[Nodes];
        var addresses = new uint[podCount];
        var truth = new List<Truth>(podCount);
        var owners = new HashSet<string>(StringComparer.Ordinal);
        while (events.TryDequeue(out var e, out var time))
        {
            var plan = e.Plan;
            if (!e.Start)
            {
                inUse[plan.Node, addresses[plan.Id] & 0xFF] = false;
                continue;
            }
            var host = -1;
            for (var probe = 0; probe < 254; probe++)
            {
                var candidate = (next[plan.Node] + probe) % 254 + 1;
                if (!inUse[plan.Node, candidate])
                {
                    host = candidate;
                    break;
                }
            }
            if (host < 0)
            {
                continue; // node full: the pod never starts (does not happen at these sizes)
            }
            next[plan.Node] = host % 254;
            inUse[plan.Node, host] = true;
            var address = 0x0A010000u | ((uint)plan.Node << 8) | (uint)host;
            addresses[plan.Id] = address;
            truth.Add(new Truth(address, plan.Created, plan.Finished));
            if (plan.Finished != long.MaxValue)
            {
                events.Enqueue((plan, false), plan.Finished);
            }
            Emit(changes, plan, address, random, owners);
        }
        return (changes, truth);
    }

    private static void Emit(List<ClusterChange> changes, PodPlan plan, uint address, Random random, HashSet<string> owners)
    {
        var ip = $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}";
        var (ownerKind, labels) = plan.Role switch
        {
            Role.Deployment => ("ReplicaSet", $"\"app\":\"{plan.Owner[..plan.Owner.LastIndexOf('-')]}\",\"pod-template-hash\":\"{plan.Owner[(plan.Owner.LastIndexOf('-') + 1)..]}\""),
            Role.CronJob => ("Job", $"\"app\":\"{plan.Owner[..plan.Owner.LastIndexOf('-')]}\",\"job-name\":\"{plan.Owner}\""),
            Role.StatefulSet => ("StatefulSet", $"\"app\":\"{plan.Owner}\""),
            Role.DaemonSet => ("DaemonSet", $"\"app\":\"{plan.Owner}\""),
            _ => ("", "\"app\":\"debug\""),
        };
        // Half the ReplicaSets and Jobs are in the history as objects; the rest are resolved by naming convention.
        if (ownerKind is "ReplicaSet" or "Job" && owners.Add(plan.Owner) && random.Next(2) == 0)
        {
            var (parentKind, parent) = ownerKind == "ReplicaSet" ? ("Deployment", plan.Owner[..plan.Owner.LastIndexOf('-')]) : ("CronJob", plan.Owner[..plan.Owner.LastIndexOf('-')]);
            changes.Add(Change(ChangeType.Added, plan.Created, ownerKind, plan.Namespace, plan.Owner, "o-" + plan.Owner,
                $$$"""{"apiVersion":"apps/v1","kind":"{{{ownerKind}}}","metadata":{"name":"{{{plan.Owner}}}","namespace":"{{{plan.Namespace}}}","uid":"o-{{{plan.Owner}}}","ownerReferences":[{"apiVersion":"apps/v1","kind":"{{{parentKind}}}","name":"{{{parent}}}","uid":"p","controller":true}]}}"""));
        }
        var ownerRefs = ownerKind.Length == 0 ? "" : $$""","ownerReferences":[{"apiVersion":"apps/v1","kind":"{{ownerKind}}","name":"{{plan.Owner}}","uid":"o-{{plan.Owner}}","controller":true}]""";
        var uid = $"pod-{plan.Id}";
        string Json(string phase, string podLabels, string? finished) =>
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + plan.Name + "\",\"namespace\":\"" + plan.Namespace + "\",\"uid\":\"" + uid
            + "\",\"creationTimestamp\":\"" + Rfc3339(plan.Created) + "\",\"labels\":{" + podLabels + "}" + ownerRefs
            + "},\"spec\":{\"nodeName\":\"node-" + plan.Node.ToString(CultureInfo.InvariantCulture) + "\",\"serviceAccountName\":\"default\",\"containers\":[{\"name\":\"main\",\"image\":\"app:1\",\"ports\":[{\"name\":\"http\",\"containerPort\":8080}]}]}"
            + ",\"status\":{\"phase\":\"" + phase + "\",\"startTime\":\"" + Rfc3339(plan.Created) + "\",\"podIP\":\"" + ip + "\",\"podIPs\":[{\"ip\":\"" + ip + "\"}]"
            + (finished is null ? "" : ",\"containerStatuses\":[{\"name\":\"main\",\"ready\":false,\"restartCount\":0,\"image\":\"app:1\",\"imageID\":\"\",\"state\":{\"terminated\":{\"exitCode\":0,\"finishedAt\":\"" + finished + "\"}}}]")
            + "}}";
        var running = Json("Running", labels, null);
        changes.Add(Change(ChangeType.Added, plan.Created + 2 * Second, "Pod", plan.Namespace, plan.Name, uid, running));
        if (plan.Relabel is { } relabel)
        {
            running = Json("Running", labels + ",\"canary\":\"true\"", null);
            changes.Add(Change(ChangeType.Modified, relabel, "Pod", plan.Namespace, plan.Name, uid, running));
        }
        if (plan.Role == Role.CronJob)
        {
            changes.Add(Change(ChangeType.Modified, plan.Finished + Second, "Pod", plan.Namespace, plan.Name, uid, Json("Succeeded", labels, Rfc3339(plan.Finished))));
        }
        if (plan.Deleted != long.MaxValue)
        {
            // One deletion in ten is learned only from the next 10-minute snapshot.
            var window = random.Next(10) == 0;
            var time = window ? (plan.Deleted / (10 * Minute) + 1) * 10 * Minute : plan.Deleted;
            changes.Add(Change(ChangeType.Deleted, time, "Pod", plan.Namespace, plan.Name, uid, null, notBefore: window ? time - 10 * Minute : null));
        }
    }

    private static ClusterChange Change(ChangeType type, long time, string kind, string? ns, string name, string uid, string? json,
        string? rv = null, string? user = null, long? notBefore = null) => new()
        {
            Time = time, NotBefore = notBefore, Type = type, Kind = kind, Namespace = ns, Name = name, Uid = uid,
            ResourceVersion = rv, ObjectJson = json, User = user, Origin = "bench",
        };

    private static string Rfc3339(long unixNanos) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixNanos / 1_000_000).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
