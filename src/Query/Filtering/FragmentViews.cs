using System.Net;
using System.Text.Json;
using PolicyTrail.Ledger.Entries;

namespace PolicyTrail.Query.Filtering;

/// <summary>What an endpoint fragment (an entry's src or dst) says: its address, pod, Service and inventory entry.</summary>
internal sealed record EndpointView(uint Id, IPAddress? Ip, string? Namespace, string? Pod, string? Service, long? Inventory);

/// <summary>What a flow's root template says: protocol and PolicyTrail's decision.</summary>
internal sealed record RootView(uint Id, string? Protocol, string? Verdict, string? Agreement, string? Service);

/// <summary>What one side (ingress or egress) of a decision says: its verdict and the policies it names.</summary>
internal sealed record DirectionView(uint Id, string? Verdict, IReadOnlyList<string> SelectedBy, IReadOnlyList<string> AllowedBy, string? DecidedBy);

/// <summary>
/// The fragments of a store sorted by what they are, with the facts filters need, read from the fragments' own text
/// (what verify checks), never from columns derived from it.
/// </summary>
internal sealed class FragmentViews
{
    /// <summary>Endpoint fragments.</summary>
    public List<EndpointView> Endpoints { get; } = [];
    /// <summary>Root templates of flow entries.</summary>
    public List<RootView> Roots { get; } = [];
    /// <summary>Decision sides.</summary>
    public List<DirectionView> Directions { get; } = [];

    /// <summary>Reads every fragment; those that are none of the three kinds (source refs, other entries' templates) are skipped.</summary>
    public static FragmentViews Of(IEnumerable<Fragment> fragments)
    {
        var views = new FragmentViews();
        foreach (var fragment in fragments)
        {
            views.Add(fragment);
        }
        return views;
    }

    private void Add(Fragment fragment)
    {
        using var document = EntrySlots.ParseTemplate(fragment.Text);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        if (root.TryGetProperty("index", out _))
        {
            if (Str(root, "kind") == "flow")
            {
                var decision = root.TryGetProperty("decision", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
                Roots.Add(new RootView(fragment.Id, Str(root, "protocol"), Str(decision, "verdict"), Str(decision, "agreement"), Str(decision, "service")));
            }
        }
        else if (root.TryGetProperty("ip", out var ip) && root.TryGetProperty("pod", out _))
        {
            var address = ip.ValueKind == JsonValueKind.String && IPAddress.TryParse(ip.GetString(), out var a) ? a : null;
            long? inventory = root.TryGetProperty("inventory", out var n) && n.ValueKind == JsonValueKind.Number && n.TryGetInt64(out var v) ? v : null;
            Endpoints.Add(new EndpointView(fragment.Id, address, Str(root, "namespace"), Str(root, "pod"), Str(root, "service"), inventory));
        }
        else if (root.TryGetProperty("applies", out _) && root.TryGetProperty("allowedBy", out var allowed) && allowed.ValueKind == JsonValueKind.Array)
        {
            var selected = root.TryGetProperty("selectedBy", out var s) && s.ValueKind == JsonValueKind.Array
                ? s.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToArray()
                : [];
            var allowedBy = allowed.EnumerateArray().Select(x => Str(x, "policy")).OfType<string>().ToArray();
            var decidedBy = root.TryGetProperty("decidedBy", out var by) ? Str(by, "name") : null;
            Directions.Add(new DirectionView(fragment.Id, Str(root, "verdict"), selected, allowedBy, decidedBy));
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}
