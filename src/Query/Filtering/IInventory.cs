namespace PolicyTrail.Query.Filtering;

/// <summary>What the planner asks of the recorded cluster history (the ledger's inventory-change entries).</summary>
public interface IInventory
{
    /// <summary>The pod labels that the inventory-change entry at this index recorded, or null when it recorded no pod.</summary>
    IReadOnlyDictionary<string, string>? PodLabels(long inventoryEntry);

    /// <summary>The pods (namespace, name) any recorded EndpointSlice of the Service <c>ns/name</c> listed as endpoints.</summary>
    IReadOnlySet<(string Namespace, string Pod)> ServiceBackends(string service);
}
