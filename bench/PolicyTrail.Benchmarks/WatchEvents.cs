using System.Globalization;
using System.Text;
using PolicyTrail.Identity.History;

namespace PolicyTrail.Benchmarks;

/// <summary>
/// Watch events shaped as the API server streams them (pods with managed fields, container specs, conditions; each
/// pod's life as ADDED Pending → scheduled → Running with its IP → Ready → terminating → DELETED; EndpointSlice updates
/// between), generated one at a time. Also compiled into the ingest tests, which check the canonical evidence of these.
/// </summary>
internal static class WatchEvents
{
    /// <summary>Watch events of a churning cluster, in time order.</summary>
    public static IEnumerable<ClusterChange> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var emitted = 0;
        var start = new DateTimeOffset(2026, 10, 28, 0, 0, 0, TimeSpan.Zero);
        var step = TimeSpan.FromDays(30) / count;
        long rv = 1_000_000;
        var pod = 0;
        var live = new List<(string Ns, string Name, string Uid, string Ip, int Stage, string Owner)>();
        while (emitted < count)
        {
            var now = start + step * emitted;
            var time = (now.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100;
            var roll = random.Next(100);
            if (roll < 15 || live.Count < 200)
            {
                var ns = $"team-{random.Next(300):D3}";
                var owner = $"svc-{random.Next(40):D2}-{random.Next(0x10000):x4}f9c7";
                var p = (ns, $"{owner}-{Suffix(random)}", Guid.NewGuid().ToString(), $"10.{random.Next(32, 48)}.{random.Next(256)}.{random.Next(1, 255)}", 0, owner);
                live.Add(p);
                emitted++;
                yield return PodEvent(ChangeType.Added, p, ++rv, now, time, random);
                pod++;
            }
            else if (roll < 80)
            {
                var i = random.Next(live.Count);
                var p = live[i];
                if (p.Stage >= 4)
                {
                    live[i] = live[^1];
                    live.RemoveAt(live.Count - 1);
                    emitted++;
                    yield return PodEvent(ChangeType.Deleted, p, ++rv, now, time, random);
                    continue;
                }
                p.Stage++;
                live[i] = p;
                emitted++;
                yield return PodEvent(ChangeType.Modified, p, ++rv, now, time, random);
            }
            else
            {
                var p = live[random.Next(live.Count)];
                emitted++;
                yield return SliceEvent(p, ++rv, time, live, random);
            }
        }
    }

    private static string Suffix(Random random)
    {
        const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, random, static (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[r.Next(Alphabet.Length)];
            }
        });
    }

    private static ClusterChange PodEvent(ChangeType type, (string Ns, string Name, string Uid, string Ip, int Stage, string Owner) p, long rv, DateTimeOffset now, long time, Random random)
    {
        var ts = now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var app = p.Owner[..6];
        var running = p.Stage >= 2;
        var json = new StringBuilder(4096);
        json.Append(CultureInfo.InvariantCulture, $$$"""{"kind":"Pod","apiVersion":"v1","metadata":{"name":"{{{p.Name}}}","generateName":"{{{p.Owner}}}-","namespace":"{{{p.Ns}}}","uid":"{{{p.Uid}}}","resourceVersion":"{{{rv}}}","creationTimestamp":"{{{ts}}}",""");
        if (p.Stage >= 4 || type == ChangeType.Deleted)
        {
            json.Append(CultureInfo.InvariantCulture, $$$""" "deletionTimestamp":"{{{ts}}}","deletionGracePeriodSeconds":30,""");
        }
        json.Append(CultureInfo.InvariantCulture, $$$""" "labels":{"app.kubernetes.io/name":"{{{app}}}","app.kubernetes.io/part-of":"{{{p.Ns}}}","pod-template-hash":"{{{p.Owner[^8..]}}}","version":"v{{{random.Next(1, 9)}}}"},"annotations":{"kubectl.kubernetes.io/restartedAt":"{{{ts}}}","prometheus.io/scrape":"true"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"{{{p.Owner}}}","uid":"{{{p.Uid[..8]}}}-rs","controller":true,"blockOwnerDeletion":true}],"managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","time":"{{{ts}}}","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app.kubernetes.io/name":{},"f:pod-template-hash":{} },"f:ownerReferences":{".":{},"k:{\"uid\":\"x\"}":{} } },"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:ports":{} } } } } },{"manager":"kubelet","operation":"Update","apiVersion":"v1","time":"{{{ts}}}","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:conditions":{},"f:containerStatuses":{},"f:hostIP":{},"f:phase":{},"f:podIP":{},"f:podIPs":{},"f:startTime":{} } },"subresource":"status"}]},""");
        json.Append(CultureInfo.InvariantCulture, $$$""" "spec":{"volumes":[{"name":"kube-api-access-{{{Suffix(random)}}}","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"} },{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]} }],"defaultMode":420} }],"containers":[{"name":"app","image":"registry.example.com/{{{p.Ns}}}/{{{app}}}:1.{{{random.Next(40)}}}.3","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"},{"name":"metrics","containerPort":9090,"protocol":"TCP"}],"env":[{"name":"LOG_LEVEL","value":"info"},{"name":"POD_NAME","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"} } }],"resources":{"limits":{"memory":"512Mi"},"requests":{"cpu":"100m","memory":"256Mi"} },"volumeMounts":[{"name":"kube-api-access","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"{{{app}}}","serviceAccount":"{{{app}}}",""");
        if (p.Stage >= 1)
        {
            json.Append(CultureInfo.InvariantCulture, $$$""" "nodeName":"node-{{{p.Uid[0]}}}{{{p.Uid[1]}}}",""");
        }
        json.Append(CultureInfo.InvariantCulture, $$$""" "securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},""");
        json.Append(CultureInfo.InvariantCulture, $$$""" "status":{"phase":"{{{(running ? "Running" : "Pending")}}}","conditions":[{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"{{{ts}}}"},{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"{{{ts}}}"},{"type":"Ready","status":"{{{(p.Stage >= 3 ? "True" : "False")}}}","lastProbeTime":null,"lastTransitionTime":"{{{ts}}}"}],"qosClass":"Burstable" """);
        if (running)
        {
            json.Append(CultureInfo.InvariantCulture, $$$""","hostIP":"192.168.{{{p.Uid[0] % 8}}}.{{{p.Uid[1] % 200 + 10}}}","podIP":"{{{p.Ip}}}","podIPs":[{"ip":"{{{p.Ip}}}"}],"startTime":"{{{ts}}}","containerStatuses":[{"name":"app","state":{"running":{"startedAt":"{{{ts}}}"}},"lastState":{},"ready":{{{(p.Stage >= 3 ? "true" : "false")}}},"restartCount":0,"image":"registry.example.com/{{{p.Ns}}}/{{{app}}}:1.3","imageID":"registry.example.com/{{{p.Ns}}}/{{{app}}}@sha256:{{{p.Uid.Replace("-", "", StringComparison.Ordinal)}}}","containerID":"containerd://{{{p.Uid.Replace("-", "", StringComparison.Ordinal)}}}","started":true}]""");
        }
        json.Append("}}");
        return new ClusterChange
        {
            Time = time,
            Type = type,
            Kind = ObjectKinds.Pod,
            Namespace = p.Ns,
            Name = p.Name,
            Uid = p.Uid,
            ResourceVersion = rv.ToString(CultureInfo.InvariantCulture),
            ObjectJson = json.ToString(),
            Origin = "watch",
        };
    }

    private static ClusterChange SliceEvent((string Ns, string Name, string Uid, string Ip, int Stage, string Owner) p, long rv, long time, List<(string Ns, string Name, string Uid, string Ip, int Stage, string Owner)> live, Random random)
    {
        var app = p.Owner[..6];
        var name = $"{app}-{p.Uid[..5]}";
        var endpoints = string.Join(",", Enumerable.Range(0, 3).Select(_ => live[random.Next(live.Count)]).Select(e =>
            $$$"""{"addresses":["{{{e.Ip}}}"],"conditions":{"ready":true,"serving":true,"terminating":false},"targetRef":{"kind":"Pod","namespace":"{{{e.Ns}}}","name":"{{{e.Name}}}","uid":"{{{e.Uid}}}"},"nodeName":"node-{{{e.Uid[0]}}}{{{e.Uid[1]}}}"}"""));
        var json = $$$"""{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"{{{name}}}","namespace":"{{{p.Ns}}}","uid":"{{{p.Uid}}}-es","resourceVersion":"{{{rv}}}","labels":{"endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io","kubernetes.io/service-name":"{{{app}}}"}},"addressType":"IPv4","endpoints":[{{{endpoints}}}],"ports":[{"name":"http","protocol":"TCP","port":8080}]}""";
        return new ClusterChange
        {
            Time = time,
            Type = ChangeType.Modified,
            Kind = ObjectKinds.EndpointSlice,
            Namespace = p.Ns,
            Name = name,
            Uid = p.Uid + "-es",
            ResourceVersion = rv.ToString(CultureInfo.InvariantCulture),
            ObjectJson = json,
            Origin = "watch",
        };
    }
}
