using System.Globalization;
using System.Text;
using PolicyTrail.Core;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Core.Decisions;
using PolicyTrail.Identity.Snapshots;
using PolicyTrail.Policy.Evaluation;

namespace PolicyTrail.Policy.Tests.Support;

/// <summary>
/// The Kubernetes e2e model as YAML: namespaces x, y, z (label ns=&lt;name&gt;), pods a, b, c in each (label pod=&lt;name&gt;,
/// ports serve-80-tcp, serve-81-tcp, serve-80-udp, serve-80-sctp), pod IPs 10.244.&lt;ns&gt;.&lt;11..13&gt; — plus whatever YAML a
/// test adds.
/// </summary>
internal static class TestCluster
{
    public static readonly string[] Namespaces = ["x", "y", "z"];
    public static readonly string[] Pods = ["a", "b", "c"];

    public static string BaseYaml()
    {
        var yaml = new StringBuilder();
        for (var n = 0; n < Namespaces.Length; n++)
        {
            var ns = Namespaces[n];
            yaml.AppendLine("---").AppendLine("apiVersion: v1").AppendLine("kind: Namespace")
                .AppendLine("metadata:").AppendLine(CultureInfo.InvariantCulture, $"  name: {ns}")
                .AppendLine("  labels:").AppendLine(CultureInfo.InvariantCulture, $"    ns: {ns}");
            for (var p = 0; p < Pods.Length; p++)
            {
                yaml.AppendLine("---").AppendLine("apiVersion: v1").AppendLine("kind: Pod")
                    .AppendLine("metadata:")
                    .AppendLine(CultureInfo.InvariantCulture, $"  name: {Pods[p]}")
                    .AppendLine(CultureInfo.InvariantCulture, $"  namespace: {ns}")
                    .AppendLine("  labels:")
                    .AppendLine(CultureInfo.InvariantCulture, $"    pod: {Pods[p]}")
                    .AppendLine("""
                        spec:
                          containers:
                          - name: c
                            ports:
                            - {name: serve-80-tcp, containerPort: 80, protocol: TCP}
                            - {name: serve-81-tcp, containerPort: 81, protocol: TCP}
                            - {name: serve-80-udp, containerPort: 80, protocol: UDP}
                            - {name: serve-80-sctp, containerPort: 80, protocol: SCTP}
                        status:
                          phase: Running
                        """)
                    .AppendLine(CultureInfo.InvariantCulture, $"  podIP: 10.244.{n + 1}.{11 + p}");
            }
        }
        return yaml.ToString();
    }

    public static string Ip(string nsPod)
    {
        var parts = nsPod.Split('/');
        return $"10.244.{Array.IndexOf(Namespaces, parts[0]) + 1}.{11 + Array.IndexOf(Pods, parts[1])}";
    }

    public static PolicyEngine Engine(string extraYaml = "", PolicyEngineOptions? options = null) =>
        PolicyEngine.Create(Snapshot(extraYaml), options);

    public static ClusterSnapshot Snapshot(string extraYaml = "") =>
        KubectlOutputReader.ReadText(BaseYaml() + "\n---\n" + extraYaml, "test.yaml").Snapshot;

    public static Decision Explain(this PolicyEngine engine, string from, string to, int port, Protocol protocol = Protocol.Tcp) =>
        engine.Explain(from, to, PortRef.FromNumber(port), protocol);

    public static Verdict Verdict(this PolicyEngine engine, string from, string to, int port, Protocol protocol = Protocol.Tcp) =>
        engine.Explain(from, to, PortRef.FromNumber(port), protocol).Verdict;
}
