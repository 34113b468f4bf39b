using System.Text.Json;
using PolicyTrail.Core.Flows;
using PolicyTrail.Identity.History;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Ingest.Changes;

/// <summary>Reads back the cluster changes a store holds (inventory-change and policy-change entries), in ledger order.</summary>
public static class ChangeReader
{
    /// <summary>Every recorded change, oldest entry first, with the index of the entry that records it.</summary>
    public static IEnumerable<(long Index, ClusterChange Change)> Read(ILedgerStore store, IFragmentSource fragments)
    {
        foreach (var row in store.Query(new EntryFilter { Kinds = [EntryKind.InventoryChange, EntryKind.PolicyChange] }))
        {
            if (row.Body is null)
            {
                continue; // a snapshot record or an audit-log policy record of the older shape
            }
            yield return (row.Index, Parse(row, EntryTemplates.Rebuild(row, fragments)));
        }
    }

    /// <summary>The change an entry's canonical bytes describe.</summary>
    public static ClusterChange Parse(EntryRow row, byte[] entry)
    {
        using var document = JsonDocument.Parse(entry);
        var change = document.RootElement.GetProperty("change");
        return new ClusterChange
        {
            Time = row.Time,
            NotBefore = !change.TryGetProperty("notBefore", out var nb) ? null
                : nb.ValueKind == JsonValueKind.Null ? long.MinValue
                : Timestamp.TryParseRfc3339(nb.GetString(), out var t) ? t.UnixNanos : null,
            Type = change.GetProperty("type").GetString() switch
            {
                "added" => ChangeType.Added,
                "modified" => ChangeType.Modified,
                _ => ChangeType.Deleted,
            },
            Kind = change.GetProperty("objectKind").GetString()!,
            Namespace = Text(change, "namespace"),
            Name = change.GetProperty("name").GetString()!,
            Uid = Text(change, "uid"),
            ResourceVersion = Text(change, "resourceVersion"),
            User = Text(change, "user"),
            Origin = Text(change, "origin") ?? "",
            ObjectJson = change.TryGetProperty("object", out var o) ? o.GetRawText() : null,
        };
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
