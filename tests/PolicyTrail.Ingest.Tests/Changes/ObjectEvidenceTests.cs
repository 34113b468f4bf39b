using System.Text;
using System.Text.Json;
using PolicyTrail.Identity.History;
using PolicyTrail.Ingest.Changes;

namespace PolicyTrail.Ingest.Tests.Changes;

public sealed class ObjectEvidenceTests
{
    private const string Pod = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"shop","uid":"u1","resourceVersion":"42",
          "labels":{"app":"web"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{...}","team":"a"},
          "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-5d8f","uid":"r1","controller":true}],
          "managedFields":[{"manager":"kubelet","fieldsV1":{"f:status":{}}}],"creationTimestamp":"2026-11-27T08:00:00Z"},
         "spec":{"nodeName":"n1","serviceAccountName":"web","hostNetwork":false,"volumes":[{"name":"v"}],
          "containers":[{"name":"app","image":"nginx:1.27","command":["nginx"],"env":[{"name":"SECRET","value":"x"}],
            "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}]}],"tolerations":[{"key":"k"}]},
         "status":{"phase":"Running","podIP":"10.0.0.7","podIPs":[{"ip":"10.0.0.7"}],"startTime":"2026-11-27T08:00:01Z",
          "conditions":[{"type":"Ready","status":"True"}],
          "containerStatuses":[{"name":"app","image":"nginx:1.27","imageID":"sha256:ab","ready":true,"restartCount":0,
            "state":{"running":{"startedAt":"2026-11-27T08:00:02Z"}}}]}}
        """;

    [Fact]
    public void A_pod_keeps_identity_labels_owner_ports_addresses_and_times_and_loses_bulk()
    {
        var reduced = JsonDocument.Parse(ObjectEvidence.Reduce(ObjectKinds.Pod, Encoding.UTF8.GetBytes(Pod))).RootElement;
        var metadata = reduced.GetProperty("metadata");
        Assert.Equal("web", metadata.GetProperty("labels").GetProperty("app").GetString());
        Assert.Equal("web-5d8f", metadata.GetProperty("ownerReferences")[0].GetProperty("name").GetString());
        Assert.Equal("a", metadata.GetProperty("annotations").GetProperty("team").GetString());
        Assert.False(metadata.GetProperty("annotations").TryGetProperty("kubectl.kubernetes.io/last-applied-configuration", out _));
        Assert.False(metadata.TryGetProperty("managedFields", out _));
        var spec = reduced.GetProperty("spec");
        Assert.Equal("n1", spec.GetProperty("nodeName").GetString());
        Assert.False(spec.TryGetProperty("volumes", out _));
        Assert.False(spec.TryGetProperty("tolerations", out _));
        var container = spec.GetProperty("containers")[0];
        Assert.Equal(["name", "ports"], container.EnumerateObject().Select(p => p.Name));
        Assert.Equal(8080, container.GetProperty("ports")[0].GetProperty("containerPort").GetInt32());
        var status = reduced.GetProperty("status");
        Assert.Equal("10.0.0.7", status.GetProperty("podIPs")[0].GetProperty("ip").GetString());
        Assert.Equal("2026-11-27T08:00:01Z", status.GetProperty("startTime").GetString());
        Assert.False(status.TryGetProperty("conditions", out _));
        Assert.Equal(["name", "restartCount", "state"], status.GetProperty("containerStatuses")[0].EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public void A_policy_is_kept_whole_but_for_managed_fields()
    {
        const string Policy = """{"kind":"NetworkPolicy","metadata":{"name":"p","namespace":"shop","managedFields":[{}]},"spec":{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"from":[{"podSelector":{"matchLabels":{"a":"b"}}}]}]}}""";
        var reduced = Encoding.UTF8.GetString(ObjectEvidence.Reduce(ObjectKinds.NetworkPolicy, Encoding.UTF8.GetBytes(Policy)));
        Assert.Equal("""{"kind":"NetworkPolicy","metadata":{"name":"p","namespace":"shop"},"spec":{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"from":[{"podSelector":{"matchLabels":{"a":"b"}}}]}]}}""", reduced);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"a\":")]
    [InlineData("{} {}")]
    [InlineData("[1,2")]
    public void Malformed_json_is_a_json_error_not_a_crash(string json) =>
        Assert.ThrowsAny<JsonException>(() => ObjectEvidence.Reduce(ObjectKinds.Pod, Encoding.UTF8.GetBytes(json)));
}
