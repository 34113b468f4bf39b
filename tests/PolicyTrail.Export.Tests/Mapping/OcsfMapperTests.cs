using System.Text.Json.Nodes;
using PolicyTrail.Export.Tests.Support;

namespace PolicyTrail.Export.Tests.Mapping;

/// <summary>OCSF 1.3.0 Network Activity records against the schema's required attributes.</summary>
public sealed class OcsfMapperTests
{
    /// <summary>
    /// Required attributes of Network Activity [4001] in OCSF 1.3.0 (https://schema.ocsf.io/1.3.0/classes/network_activity,
    /// base event + network category + security_control profile), and of the Metadata and Product objects it requires
    /// (https://schema.ocsf.io/1.3.0/objects/metadata: product, version; https://schema.ocsf.io/1.3.0/objects/product:
    /// name or uid — we give name and vendor_name). The class also requires at least one of src_endpoint, dst_endpoint.
    /// </summary>
    private static readonly string[] NetworkActivityRequired =
    [
        "activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time", "metadata",
        "metadata.version", "metadata.product", "metadata.product.name", "metadata.product.vendor_name",
        "action_id", "disposition_id",
    ];

    /// <summary>Required attributes of the Base Event (https://schema.ocsf.io/1.3.0/base_event), for entries no network class describes.</summary>
    private static readonly string[] BaseEventRequired =
        ["activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time", "metadata", "metadata.version", "metadata.product"];

    private static JsonObject Record(long index) => JsonNode.Parse(Entries.Map("ocsf", Entries.Entry(index)))!.AsObject();

    internal static JsonNode? At(JsonNode node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(part, out var next) || next is null)
            {
                return null;
            }
            node = next;
        }
        return node;
    }

    [Theory]
    [InlineData(Entries.Allowed)]
    [InlineData(Entries.Denied)]
    public void A_flow_is_a_network_activity_with_every_required_attribute(long index)
    {
        var r = Record(index);

        Assert.All(NetworkActivityRequired, path => Assert.True(At(r, path) is not null, $"missing {path}: {r.ToJsonString()}"));
        // The class asks for at least one endpoint; a flow always has both.
        Assert.NotNull(r["src_endpoint"]);
        Assert.NotNull(r["dst_endpoint"]);
        Assert.Equal(4001, (int)r["class_uid"]!);
        Assert.Equal(4, (int)r["category_uid"]!);
        Assert.Equal(4001 * 100 + (int)r["activity_id"]!, (int)r["type_uid"]!);
        Assert.Contains((int)r["severity_id"]!, new[] { 0, 1, 2, 3, 4, 5, 6, 99 });
        Assert.Equal("1.3.0", (string?)r["metadata"]!["version"]);
        Assert.Equal("1.2.3", (string?)r["metadata"]!["product"]!["version"]);
    }

    [Fact]
    public void The_verdict_is_the_action_and_the_disposition_and_the_deciding_policy_the_firewall_rule()
    {
        var allowed = Record(Entries.Allowed);
        var denied = Record(Entries.Denied);

        Assert.Equal((1, 1, 1), ((int)allowed["action_id"]!, (int)allowed["disposition_id"]!, (int)allowed["activity_id"]!));
        Assert.Equal("payments/api-ingress", (string?)allowed["firewall_rule"]!["name"]);
        Assert.Equal("7003", (string?)allowed["firewall_rule"]!["version"]);
        Assert.Equal("payments/api-ingress", (string?)allowed["authorizations"]![0]!["policy"]!["name"]);
        Assert.Equal("allow", (string?)allowed["authorizations"]![0]!["decision"]);
        Assert.Equal((2, 2, 5), ((int)denied["action_id"]!, (int)denied["disposition_id"]!, (int)denied["activity_id"]!));
        Assert.Equal("payments/default-deny,payments/postgres-ingress", (string?)denied["firewall_rule"]!["name"]);
        Assert.Equal("default deny", (string?)denied["status_detail"]);
        Assert.Equal("10.244.2.21", (string?)denied["dst_endpoint"]!["ip"]);
        Assert.Equal(5432, (int)denied["dst_endpoint"]!["port"]!);
        Assert.Equal("payments/postgres-0", (string?)denied["dst_endpoint"]!["name"]);
        Assert.Equal(6, (int)denied["connection_info"]!["protocol_num"]!);
        // time is epoch milliseconds (timestamp_t); the source's own precision stays in metadata.original_time.
        Assert.Equal(1795683604423L, (long)denied["time"]!);
        Assert.Equal("2026-11-26T09:00:04.423456789Z", (string?)denied["metadata"]!["original_time"]);
    }

    [Theory]
    [InlineData(Entries.Snapshot)]
    [InlineData(Entries.Allowed)]
    [InlineData(Entries.Denied)]
    [InlineData(Entries.Gap)]
    [InlineData(Entries.PolicyChange)]
    public void Every_record_keeps_the_ledger_index_and_entry_hash(long index)
    {
        var r = Record(index);
        var hash = Entries.LeafHex(Entries.Node(index));

        Assert.Equal(hash, (string?)r["metadata"]!["uid"]);
        Assert.Equal(index, (long)r["metadata"]!["sequence"]!);
        Assert.Equal(hash, (string?)r["unmapped"]!["policytrail"]!["entry_hash"]);
        Assert.Equal(index, (long)r["unmapped"]!["policytrail"]!["index"]!);
    }

    [Theory]
    [InlineData(Entries.Snapshot)]
    [InlineData(Entries.Gap)]
    [InlineData(Entries.PolicyChange)]
    public void Gaps_and_changes_are_base_events_with_every_required_attribute(long index)
    {
        var r = Record(index);

        Assert.All(BaseEventRequired, path => Assert.True(At(r, path) is not null, $"missing {path}: {r.ToJsonString()}"));
        Assert.Equal(0, (int)r["class_uid"]!);
        Assert.Equal(99, (int)r["type_uid"]!);
        Assert.Equal(Entries.Node(index)["kind"]!.GetValue<string>(), (string?)r["activity_name"]);
    }

    [Fact]
    public void Hostile_names_stay_valid_single_line_json()
    {
        var text = Entries.Map("ocsf", Entries.Of(Entries.Hostile()));

        Assert.DoesNotContain('\n', text);
        Assert.DoesNotContain('\r', text);
        var r = JsonNode.Parse(text)!;
        Assert.Equal("pay|ments/deny=all\\x]\"\n", (string?)r["firewall_rule"]!["name"]);
    }
}
