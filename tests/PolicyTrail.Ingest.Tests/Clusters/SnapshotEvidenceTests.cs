using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PolicyTrail.Ingest.Clusters;

namespace PolicyTrail.Ingest.Tests.Clusters;

public sealed class SnapshotEvidenceTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("policytrail-evidence-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public void A_snapshots_evidence_is_its_files_as_one_json_string_each_however_long_and_whatever_they_hold()
    {
        // An annotation long enough to be written in several slices, with a surrogate pair (a four-byte UTF-8 sequence)
        // across the first slice's end, non-ASCII letters, quotes, backslashes and a tab: everything the JSON string
        // must escape alike. The YAML holds the characters themselves, not escapes of them.
        const string Head = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    team: payments\n  annotations:\n    note: \"";
        var annotation = new string('a', 16 * 1024 - 1 - Head.Length) + "\U0001F600 café \\\"quoted\\\" back\\\\slash tab\t end " + new string('z', 40_000);
        var yaml = Head + annotation + "\"\n";
        Assert.True(char.IsHighSurrogate(yaml[16 * 1024 - 1]), "the pair straddles the first slice's end");
        var file = Path.Combine(_folder.FullName, "namespaces.yaml");
        File.WriteAllText(file, yaml, new UTF8Encoding(false));
        var small = Path.Combine(_folder.FullName, "z-small.yaml");
        File.WriteAllText(small, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n");

        var snapshot = ClusterHistory.Load([_folder.FullName], takenAt: DateTimeOffset.UnixEpoch).Snapshots[0];

        // What the evidence has always been: Utf8JsonWriter.WriteString of each whole file.
        using var expected = new MemoryStream();
        using (var w = new Utf8JsonWriter(expected))
        {
            w.WriteStartArray();
            foreach (var path in new[] { file, small })
            {
                var bytes = File.ReadAllBytes(path);
                w.WriteStartObject();
                w.WriteString("path", path);
                w.WriteString("sha256", Convert.ToHexStringLower(SHA256.HashData(bytes)));
                w.WriteString("content", Encoding.UTF8.GetString(bytes));
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        using var unzipped = new MemoryStream();
        using (var gz = new GZipStream(new MemoryStream(snapshot.Content), CompressionMode.Decompress))
        {
            gz.CopyTo(unzipped);
        }
        Assert.Equal(Encoding.UTF8.GetString(expected.ToArray()), Encoding.UTF8.GetString(unzipped.ToArray()));
        using var document = JsonDocument.Parse(unzipped.ToArray());
        Assert.Equal(yaml, document.RootElement[0].GetProperty("content").GetString());
    }
}
