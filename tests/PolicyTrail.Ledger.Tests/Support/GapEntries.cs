using PolicyTrail.Ledger.Entries;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Ledger.Tests.Support;

/// <summary>Gap entries, the simplest kind, for tests that need a log of many entries.</summary>
internal static class GapEntries
{
    /// <summary>The template of a gap entry (its index, time and lost count in slots), interned in the writer's fragments.</summary>
    public static uint Template(LedgerWriter writer)
    {
        using var json = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteString("kind", "gap");
            w.WriteString("index", EntrySlots.Placeholder(EntrySlots.Index));
            w.WriteString("time", EntrySlots.TimePlaceholder(EntrySlots.Time, 9));
            w.WriteString("lost", EntrySlots.Placeholder(EntrySlots.Count));
            w.WriteEndObject();
        }
        return writer.Fragments.Intern(json.ToArray());
    }
}
