using System.Text;
using System.Text.Json;
using PolicyTrail.Ledger.Entries;

namespace PolicyTrail.Ledger.Conformance;

/// <summary>Templates made the way ingest makes them (placeholder JSON through <see cref="FragmentTable.Intern"/>).</summary>
public static class TestTemplates
{
    /// <summary>A root template of a flow with this verdict, or of another kind.</summary>
    public static uint Root(FragmentTable table, string kind, string? verdict) => table.Intern(Json(writer =>
    {
        writer.WriteString("kind", kind);
        writer.WriteString("index", EntrySlots.Placeholder(EntrySlots.Index));
        writer.WriteString("time", EntrySlots.TimePlaceholder(EntrySlots.Time, 9));
        writer.WriteString("observedAt", EntrySlots.TimePlaceholder(EntrySlots.ObservedAt, 6));
        if (kind == "flow")
        {
            writer.WriteString("src", EntrySlots.Placeholder(EntrySlots.SrcFragment));
            writer.WriteString("dst", EntrySlots.Placeholder(EntrySlots.DstFragment));
            writer.WriteString("srcPort", EntrySlots.Placeholder(EntrySlots.SrcPort));
            writer.WriteString("dstPort", EntrySlots.Placeholder(EntrySlots.DstPort));
            writer.WriteString("protocol", "TCP");
            writer.WriteStartObject("decision");
            writer.WriteString("verdict", verdict);
            writer.WriteEndObject();
        }
        writer.WriteString("source", EntrySlots.Placeholder(EntrySlots.SourceFragment));
    }));

    /// <summary>An endpoint fragment naming a pod.</summary>
    public static uint Endpoint(FragmentTable table, string ns, string pod) => table.Intern(Json(writer =>
    {
        writer.WriteString("namespace", ns);
        writer.WriteString("pod", pod);
        writer.WriteString("podUID", $"uid-{ns}-{pod}");
    }));

    /// <summary>A source-reference fragment: the file, line and raw record digest.</summary>
    public static uint SourceRef(FragmentTable table, string file) => table.Intern(Json(writer =>
    {
        writer.WriteString("format", "hubble");
        writer.WriteString("file", file);
        writer.WriteString("line", EntrySlots.Placeholder(EntrySlots.Line));
        writer.WriteString("sha256", EntrySlots.Placeholder(EntrySlots.Sha256));
    }));

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

    /// <summary>Raw bytes for fragment round trips: marker bytes, non-ASCII text and bytes that are not UTF-8.</summary>
    public static byte[] Awkward(int seed) =>
        [.. "{\"ns\":\"ünïcødé ✓ 🙂\",\"port\":"u8, EntrySlots.Marker, (byte)'p', (byte)'-', 0x00, 0xFF, 0xFE, 0x01, 0x01, (byte)seed, .. Encoding.UTF8.GetBytes($"}} {seed}")];
}
