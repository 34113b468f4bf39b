using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Query.Filtering;

/// <summary>What a plan adds to an <see cref="EntryFilter"/>: fragment-id clauses, destination port ranges, separate endpoint groups.</summary>
public sealed record FilterPlan(IReadOnlyList<FragmentClause> Clauses, IReadOnlyList<PortRange>? DstPorts, IReadOnlyDictionary<uint, int>? SeparateGroups)
{
    /// <summary>The filter with this plan ANDed onto it.</summary>
    public EntryFilter Apply(EntryFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return filter with
        {
            Clauses = Clauses.Count == 0 ? filter.Clauses : [.. filter.Clauses ?? [], .. Clauses],
            DstPorts = DstPorts ?? filter.DstPorts,
            SeparateGroups = SeparateGroups ?? filter.SeparateGroups,
        };
    }
}

/// <summary>
/// Turns flow criteria into what any store backend can apply: each criterion becomes the set of fragment ids (endpoint
/// fragments, flow root templates, decision sides) whose own text satisfies it, so the store filters by id, in its
/// own query language, and never parses entries. Values of one criterion are ORed (one set), criteria ANDed (one
/// clause each).
/// </summary>
public static class FilterPlanner
{
    /// <summary>The plan of <paramref name="criteria"/> over a store's fragments and recorded cluster history.</summary>
    public static FilterPlan Plan(FlowCriteria criteria, IEnumerable<Fragment> fragments, IInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        ArgumentNullException.ThrowIfNull(fragments);
        ArgumentNullException.ThrowIfNull(inventory);
        var views = FragmentViews.Of(fragments);
        var clauses = new List<FragmentClause>();

        void Endpoint(FragmentColumn column, Func<EndpointView, bool> match) =>
            clauses.Add(FragmentClause.Of(column, views.Endpoints.Where(match).Select(e => e.Id).ToHashSet()));
        void Root(Func<RootView, bool> match) =>
            clauses.Add(FragmentClause.Of(FragmentColumn.Template, views.Roots.Where(match).Select(r => r.Id).ToHashSet()));

        foreach (var (column, namespaces, pods, labels, ips) in new[]
        {
            (FragmentColumn.Src, criteria.FromNamespaces, criteria.FromPods, criteria.FromLabels, criteria.FromIps),
            (FragmentColumn.Dst, criteria.ToNamespaces, criteria.ToPods, criteria.ToLabels, criteria.ToIps),
        })
        {
            if (namespaces.Count > 0)
            {
                Endpoint(column, e => e.Namespace is { } ns && namespaces.Contains(ns));
            }
            if (pods.Count > 0)
            {
                Endpoint(column, e => pods.Any(p => p.Matches(e.Namespace, e.Pod)));
            }
            if (labels.Count > 0)
            {
                // The labels of the pod version the flow was resolved against (its inventory entry): labels as they were then.
                Endpoint(column, e => e.Inventory is { } entry && inventory.PodLabels(entry) is { } podLabels && labels.Any(s => s.Matches(podLabels)));
            }
            if (ips.Count > 0)
            {
                Endpoint(column, e => e.Ip is { } ip && ips.Any(p => p.Contains(ip)));
            }
        }
        if (criteria.Protocols.Count > 0)
        {
            Root(r => r.Protocol is { } p && criteria.Protocols.Contains(p));
        }
        if (criteria.Verdicts.Count > 0)
        {
            // As the store indexes verdicts: anything but allow and deny is unknown.
            Root(r => criteria.Verdicts.Contains(r.Verdict is "allow" or "deny" ? r.Verdict : "unknown"));
        }
        if (criteria.Disagreement)
        {
            Root(r => r.Agreement == "disagree");
        }
        if (criteria.Policies.Count > 0)
        {
            var sides = views.Directions.Where(d => criteria.Policies.Any(p => Names(d, p))).Select(d => d.Id).ToHashSet();
            clauses.Add(new FragmentClause([new FragmentTerm(FragmentColumn.Ingress, sides), new FragmentTerm(FragmentColumn.Egress, sides)]));
        }
        if (criteria.Services.Count > 0)
        {
            var backends = criteria.Services.SelectMany(inventory.ServiceBackends).ToHashSet();
            var addressed = views.Roots.Where(r => r.Service is { } s && criteria.Services.Contains(s)).Select(r => r.Id).ToHashSet();
            var destinations = views.Endpoints
                .Where(e => (e.Service is { } s && criteria.Services.Contains(s)) || (e.Pod is { } pod && e.Namespace is { } ns && backends.Contains((ns, pod))))
                .Select(e => e.Id).ToHashSet();
            clauses.Add(new FragmentClause([new FragmentTerm(FragmentColumn.Template, addressed), new FragmentTerm(FragmentColumn.Dst, destinations)]));
        }
        Dictionary<uint, int>? groups = null;
        if (criteria.CrossNamespace)
        {
            var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
            groups = views.Endpoints.Where(e => e.Namespace is not null)
                .ToDictionary(e => e.Id, e => numbers.TryGetValue(e.Namespace!, out var n) ? n : numbers[e.Namespace!] = numbers.Count);
        }
        return new FilterPlan(clauses, criteria.Ports.Count > 0 ? criteria.Ports : null, groups);
    }

    // A side names a policy when it allowed the flow by it, decided it by it (admin tiers), or denied it by default
    // while that policy isolated the pod.
    private static bool Names(DirectionView side, string policy) =>
        side.AllowedBy.Contains(policy) || side.DecidedBy == policy
        || (side.Verdict == "deny" && side.DecidedBy is null && side.SelectedBy.Contains(policy));
}
