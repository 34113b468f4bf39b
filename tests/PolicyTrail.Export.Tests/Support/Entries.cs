using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PolicyTrail.Export.Mapping;
using PolicyTrail.Export.Reading;
using PolicyTrail.Ledger.Canonical;
using PolicyTrail.Ledger.Merkle;

namespace PolicyTrail.Export.Tests.Support;

/// <summary>
/// Real ledger entries (testassets/entries.jsonl, taken from 'policytrail query -o jsonl' on the example cluster and
/// hubble flows): an inventory snapshot (0), an allowed flow (34), a denied flow (37), a gap (39), a policy change (17).
/// </summary>
internal static class Entries
{
    private static readonly Dictionary<long, string> Lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "testassets", "entries.jsonl"))
        .ToDictionary(l => JsonNode.Parse(l)!["index"]!.GetValue<long>());

    public const long Snapshot = 0, Allowed = 34, Denied = 37, Gap = 39, PolicyChange = 17;

    public static IEnumerable<long> All => Lines.Keys.Order();

    public static JsonObject Node(long index) => JsonNode.Parse(Lines[index])!.AsObject();

    /// <summary>The entry as an export reads it: leaf hash over its canonical bytes.</summary>
    public static ExportEntry Entry(long index) => Of(Node(index));

    public static ExportEntry Of(JsonObject entry)
    {
        var bytes = JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(entry.ToJsonString()));
        // The document lives as long as the test; ExportEntry only reads it.
        var document = JsonDocument.Parse(bytes);
        return new ExportEntry(entry["index"]!.GetValue<long>(), MerkleHash.Leaf(bytes), document.RootElement);
    }

    public static string LeafHex(JsonObject entry) =>
        Convert.ToHexStringLower(MerkleHash.Leaf(JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(entry.ToJsonString()))));

    public static ExportOptions Options { get; } = new() { ProductVersion = "1.2.3", HostName = "collector-1", LogOrigin = "policytrail/test/log-1" };

    public static string Map(string format, ExportEntry entry)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        ExportFormats.Create(format, Options)!.Write(entry, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>The denied flow with hostile strings in the names every format prints.</summary>
    public static JsonObject Hostile()
    {
        var e = Node(Denied);
        e["src"]!["namespace"] = "ns|pipe=eq\\back\"quote]bracket\nnewline\réé";
        e["decision"]!["ingress"]!["selectedBy"] = new JsonArray("pay|ments/deny=all\\x]\"\n");
        e["reported"]!["dropReason"] = "a=b\\c|d\ne]f\"g";
        return e;
    }
}
