using System.Text.Json.Nodes;
using PolicyTrail.Export.Tests.Support;

namespace PolicyTrail.Export.Tests.Mapping;

/// <summary>ECS 8.17 documents against the ECS field reference and its allowed values.</summary>
public sealed class EcsMapperTests
{
    /// <summary>
    /// ECS requires @timestamp and ecs.version in every document (https://www.elastic.co/guide/en/ecs/8.17/ecs-base.html,
    /// https://www.elastic.co/guide/en/ecs/8.17/ecs-ecs.html); the event fields are what categorization needs
    /// (https://www.elastic.co/guide/en/ecs/8.17/ecs-allowed-values-event-kind.html and siblings).
    /// </summary>
    private static readonly string[] Required = ["@timestamp", "ecs.version", "event.kind", "event.category", "event.type", "event.outcome", "message"];

    // Allowed values from the ECS 8.17 categorization pages.
    private static readonly string[] Kinds = ["alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error", "signal"];
    private static readonly string[] Categories = ["api", "authentication", "configuration", "database", "driver", "email", "file", "host", "iam", "intrusion_detection", "library", "malware", "network", "package", "process", "registry", "session", "threat", "vulnerability", "web"];
    private static readonly string[] Types = ["access", "admin", "allowed", "change", "connection", "creation", "deletion", "denied", "end", "error", "group", "indicator", "info", "installation", "protocol", "start", "user"];
    private static readonly string[] Outcomes = ["failure", "success", "unknown"];

    private static JsonObject Record(long index) => JsonNode.Parse(Entries.Map("ecs", Entries.Entry(index)))!.AsObject();

    [Theory]
    [InlineData(Entries.Snapshot)]
    [InlineData(Entries.Allowed)]
    [InlineData(Entries.Denied)]
    [InlineData(Entries.Gap)]
    [InlineData(Entries.PolicyChange)]
    public void Every_document_has_the_required_fields_with_allowed_values_and_the_ledger_coordinates(long index)
    {
        var r = Record(index);
        var hash = Entries.LeafHex(Entries.Node(index));

        Assert.All(Required, path => Assert.True(OcsfMapperTests.At(r, path) is not null, $"missing {path}: {r.ToJsonString()}"));
        Assert.Contains((string?)r["event"]!["kind"], Kinds);
        Assert.All(r["event"]!["category"]!.AsArray(), c => Assert.Contains((string?)c, Categories));
        Assert.All(r["event"]!["type"]!.AsArray(), t => Assert.Contains((string?)t, Types));
        Assert.Contains((string?)r["event"]!["outcome"], Outcomes);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", (string?)r["@timestamp"]);
        Assert.Equal(hash, (string?)r["event"]!["hash"]);
        Assert.Equal(index, (long)r["event"]!["sequence"]!);
        Assert.Equal(hash, (string?)r["policytrail"]!["ledger"]!["entry_hash"]);
        Assert.Equal(index, (long)r["policytrail"]!["ledger"]!["index"]!);
        // labels: keyword values, keys without dots (https://www.elastic.co/guide/en/ecs/8.17/ecs-base.html#field-labels).
        Assert.All(r["labels"]!.AsObject(), l =>
        {
            Assert.DoesNotContain('.', l.Key);
            Assert.Equal(System.Text.Json.JsonValueKind.String, l.Value!.GetValueKind());
        });
    }

    [Fact]
    public void A_denied_flow_maps_to_network_fields_rule_and_orchestrator()
    {
        var r = Record(Entries.Denied);

        Assert.Equal(["connection", "denied"], r["event"]!["type"]!.AsArray().Select(t => (string?)t));
        Assert.Equal("failure", (string?)r["event"]!["outcome"]);
        Assert.Equal("10.244.2.10", (string?)r["source"]!["ip"]);
        Assert.Equal(44000, (int)r["source"]!["port"]!);
        Assert.Equal("10.244.2.21", (string?)r["destination"]!["ip"]);
        Assert.Equal(5432, (int)r["destination"]!["port"]!);
        Assert.Equal("tcp", (string?)r["network"]!["transport"]);
        Assert.Equal("6", (string?)r["network"]!["iana_number"]);
        Assert.Equal("ingress", (string?)r["network"]!["direction"]);
        Assert.Equal("payments/default-deny,payments/postgres-ingress", (string?)r["rule"]!["name"]);
        Assert.Equal("kubernetes", (string?)r["orchestrator"]!["type"]);
        Assert.Equal("payments", (string?)r["orchestrator"]!["namespace"]);
        Assert.Equal("postgres-0", (string?)r["orchestrator"]!["resource"]!["name"]);
        Assert.Equal("frontend", (string?)r["labels"]!["src_namespace"]);
        var allowed = Record(Entries.Allowed);
        Assert.Equal("success", (string?)allowed["event"]!["outcome"]);
        Assert.Equal("payments/api-ingress", (string?)allowed["rule"]!["name"]);
        Assert.Equal("NetworkPolicy payments/api-ingress#0", (string?)allowed["rule"]!["id"]);
    }

    [Fact]
    public void Hostile_names_stay_valid_single_line_json()
    {
        var text = Entries.Map("ecs", Entries.Of(Entries.Hostile()));

        Assert.DoesNotContain('\n', text);
        Assert.Equal("ns|pipe=eq\\back\"quote]bracket\nnewline\réé", (string?)JsonNode.Parse(text)!["labels"]!["src_namespace"]);
    }
}
