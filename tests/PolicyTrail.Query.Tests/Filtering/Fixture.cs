using System.Text.Json;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Query.Filtering;

namespace PolicyTrail.Query.Tests.Filtering;

/// <summary>Fragments written the way ingest writes them (src/Ingest/Entries/EntryBuilder.cs), through <see cref="FragmentTable.Intern"/>.</summary>
internal sealed class Fixture
{
    public FragmentTable Table { get; } = new();

    /// <summary>An endpoint fragment: a pod (with the inventory entry of its version) or, without pod, an address.</summary>
    public uint Endpoint(string ip, string? ns = null, string? pod = null, long? inventory = null, string? service = null, string kind = "pod") => Table.Intern(Json(w =>
    {
        w.WriteString("ip", ip);
        w.WriteString("port", EntrySlots.Placeholder(EntrySlots.DstPort));
        w.WriteString("namespace", ns);
        w.WriteString("pod", pod);
        w.WriteString("kind", pod is null && kind == "pod" ? "external" : kind);
        if (pod is not null)
        {
            w.WriteString("podUid", $"uid-{ns}-{pod}");
        }
        if (service is not null)
        {
            w.WriteString("service", service);
        }
        if (inventory is { } n)
        {
            w.WriteNumber("inventory", n);
        }
    }));

    /// <summary>A flow's root template.</summary>
    public uint Flow(string? protocol = "TCP", string verdict = "allow", string agreement = "agree", string? service = null) => Table.Intern(Json(w =>
    {
        w.WriteString("kind", "flow");
        w.WriteString("index", EntrySlots.Placeholder(EntrySlots.Index));
        w.WriteString("time", EntrySlots.TimePlaceholder(EntrySlots.Time, 9));
        w.WriteString("observedAt", EntrySlots.TimePlaceholder(EntrySlots.ObservedAt, 3));
        w.WriteString("source", EntrySlots.Placeholder(EntrySlots.SourceFragment));
        w.WriteString("src", EntrySlots.Placeholder(EntrySlots.SrcFragment));
        w.WriteString("dst", EntrySlots.Placeholder(EntrySlots.DstFragment));
        w.WriteString("protocol", protocol);
        w.WriteString("direction", "ingress");
        w.WriteBoolean("isReply", false);
        w.WriteStartObject("reported");
        w.WriteString("verdict", verdict == "deny" ? "denied" : "allowed");
        w.WriteStartArray("policies");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("decision");
        w.WriteString("verdict", verdict);
        w.WriteString("agreement", agreement);
        w.WriteString("ingress", EntrySlots.Placeholder(EntrySlots.IngressFragment));
        w.WriteString("egress", EntrySlots.Placeholder(EntrySlots.EgressFragment));
        if (service is not null)
        {
            w.WriteString("service", service);
        }
        w.WriteEndObject();
    }));

    /// <summary>A gap entry's template (not a flow).</summary>
    public uint Gap() => Table.Intern(Json(w =>
    {
        w.WriteString("kind", "gap");
        w.WriteString("index", EntrySlots.Placeholder(EntrySlots.Index));
        w.WriteString("time", EntrySlots.TimePlaceholder(EntrySlots.Time, 9));
        w.WriteString("reason", "lost events");
    }));

    /// <summary>One side of a decision, as <c>explain -o json</c> writes it.</summary>
    public uint Side(string verdict, string[]? selectedBy = null, string[]? allowedBy = null, string? decidedBy = null) => Table.Intern(Json(w =>
    {
        w.WriteString("verdict", verdict);
        w.WriteBoolean("applies", true);
        w.WriteBoolean("isolated", selectedBy is { Length: > 0 });
        w.WriteStartArray("selectedBy");
        foreach (var p in selectedBy ?? [])
        {
            w.WriteStringValue(p);
        }
        w.WriteEndArray();
        w.WriteStartArray("allowedBy");
        foreach (var p in allowedBy ?? [])
        {
            w.WriteStartObject();
            w.WriteString("policy", p);
            w.WriteString("resourceVersion", "7");
            w.WriteNumber("rule", 0);
            w.WriteNull("peer");
            w.WriteNull("port");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("tier", decidedBy is null ? "networkpolicy" : "admin");
        if (decidedBy is not null)
        {
            w.WriteStartObject("decidedBy");
            w.WriteString("kind", "AdminNetworkPolicy");
            w.WriteString("name", decidedBy);
            w.WriteNumber("rule", 0);
            w.WriteNull("ruleName");
            w.WriteString("action", "Deny");
            w.WriteEndObject();
        }
    }));

    public IReadOnlyList<Fragment> Fragments => Enumerable.Range(0, Table.Count).Select(i => Table[(uint)i]).ToArray();

    public FilterPlan Plan(FlowCriteria criteria, FakeInventory? inventory = null) =>
        FilterPlanner.Plan(criteria, Fragments, inventory ?? new FakeInventory());

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }
}

/// <summary>An inventory made of delegates.</summary>
internal sealed class FakeInventory(
    Func<long, IReadOnlyDictionary<string, string>?>? labels = null,
    Func<string, IReadOnlySet<(string, string)>>? backends = null) : IInventory
{
    public IReadOnlyDictionary<string, string>? PodLabels(long inventoryEntry) => labels?.Invoke(inventoryEntry);

    public IReadOnlySet<(string Namespace, string Pod)> ServiceBackends(string service) => backends?.Invoke(service) ?? new HashSet<(string, string)>();
}
