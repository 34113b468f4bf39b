using System.Text.Json;
using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Store;

namespace PolicyTrail.Query.Filtering;

/// <summary>
/// The cluster history as a store recorded it: pod labels and EndpointSlice members read from the bodies of its
/// inventory-change entries (the evidence itself, not a derived index). Read once, on first use.
/// </summary>
public sealed class StoreInventory(ILedgerStore store) : IInventory
{
    private Dictionary<long, IReadOnlyDictionary<string, string>>? _labels;
    private Dictionary<string, HashSet<(string, string)>>? _backends;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string>? PodLabels(long inventoryEntry)
    {
        Load();
        return _labels!.GetValueOrDefault(inventoryEntry);
    }

    /// <inheritdoc />
    public IReadOnlySet<(string Namespace, string Pod)> ServiceBackends(string service)
    {
        Load();
        return _backends!.TryGetValue(service, out var pods) ? pods : [];
    }

    private void Load()
    {
        if (_labels is not null)
        {
            return;
        }
        _labels = [];
        _backends = new(StringComparer.Ordinal);
        foreach (var row in store.Query(new EntryFilter { Kind = EntryKind.InventoryChange }))
        {
            if (row.Body is not { } body)
            {
                continue;
            }
            try
            {
                using var document = JsonDocument.Parse(body);
                Read(row.Index, document.RootElement);
            }
            catch (JsonException)
            {
                // Not a change body this reader understands: it tells nothing of labels or backends (verify judges the entry).
            }
        }
    }

    private void Read(long index, JsonElement change)
    {
        if (change.ValueKind != JsonValueKind.Object || !change.TryGetProperty("object", out var o) || o.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        var kind = Str(change, "objectKind");
        var metadata = o.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        var labels = metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Object ? l : default;
        if (kind == "Pod")
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            if (labels.ValueKind == JsonValueKind.Object)
            {
                foreach (var label in labels.EnumerateObject())
                {
                    if (label.Value.ValueKind == JsonValueKind.String)
                    {
                        map[label.Name] = label.Value.GetString()!;
                    }
                }
            }
            _labels![index] = map;
        }
        else if (kind == "EndpointSlice" && Str(change, "namespace") is { } ns && labels.ValueKind == JsonValueKind.Object
            && Str(labels, "kubernetes.io/service-name") is { } service
            && o.TryGetProperty("endpoints", out var endpoints) && endpoints.ValueKind == JsonValueKind.Array)
        {
            var key = $"{ns}/{service}";
            if (!_backends!.TryGetValue(key, out var pods))
            {
                _backends[key] = pods = [];
            }
            foreach (var endpoint in endpoints.EnumerateArray())
            {
                if (endpoint.ValueKind == JsonValueKind.Object && endpoint.TryGetProperty("targetRef", out var target)
                    && Str(target, "kind") is null or "Pod" && Str(target, "name") is { } pod)
                {
                    pods.Add((Str(target, "namespace") ?? ns, pod));
                }
            }
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}
