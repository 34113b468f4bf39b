using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Identity.Snapshots;
using PolicyTrail.Policy;
using PolicyTrail.Policy.Evaluation;

namespace PolicyTrail.Ingest.Clusters;

/// <summary>One cluster snapshot given to ingest: its state, compiled engine, the bytes kept as evidence and its time.</summary>
public sealed class ClusterVersion
{
    internal ClusterVersion(string name, DateTimeOffset takenAt, ClusterSnapshot snapshot, PolicyEngine engine, byte[] content, string sha256)
    {
        Name = name;
        TakenAt = takenAt;
        Snapshot = snapshot;
        Engine = engine;
        Content = content;
        Sha256 = sha256;
        Pods = snapshot.Pods.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
    }

    /// <summary>The path the user gave.</summary>
    public string Name { get; }
    /// <summary>When the snapshot describes the cluster (the newest modification time of its files).</summary>
    public DateTimeOffset TakenAt { get; }
    /// <summary>The cluster state.</summary>
    public ClusterSnapshot Snapshot { get; }
    /// <summary>The compiled policy engine.</summary>
    public PolicyEngine Engine { get; }
    /// <summary>Pods by "namespace/name".</summary>
    public IReadOnlyDictionary<string, PodInfo> Pods { get; }
    /// <summary>The files as read, gzip-compressed (see <see cref="ClusterHistory.Load"/>), as the store keeps them.</summary>
    public byte[] Content { get; }
    /// <summary>Lower-case hex SHA-256 of <see cref="Content"/>.</summary>
    public string Sha256 { get; }
    /// <summary>Index of the inventory-change entry that records this snapshot (set once it is in the ledger).</summary>
    public long InventoryEntry { get; set; } = -1;
}

/// <summary>The cluster snapshots of an ingest run, ordered by time; a flow is judged against the one in force at its time.</summary>
public sealed class ClusterHistory
{
    private readonly ClusterVersion[] _versions;
    private readonly long[] _times;

    private ClusterHistory(IEnumerable<ClusterVersion> versions)
    {
        _versions = versions.OrderBy(v => v.TakenAt).ToArray();
        _times = _versions.Select(v => (v.TakenAt.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100).ToArray();
    }

    /// <summary>The snapshots, oldest first.</summary>
    public IReadOnlyList<ClusterVersion> Versions => _versions;

    /// <summary>
    /// Reads each path (a kubectl output file or a folder of them) as one snapshot. Its time is the newest modification
    /// time of its files. The stored evidence is a gzip of a JSON array of {"path","sha256","content"} per file.
    /// Throws <see cref="SnapshotFormatException"/> for malformed input.
    /// </summary>
    public static ClusterHistory Load(IEnumerable<string> paths, PolicyEngineOptions? options = null)
    {
        var versions = new List<ClusterVersion>();
        foreach (var path in paths)
        {
            var read = KubectlOutputReader.Read([path]);
            var files = Directory.Exists(path)
                ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToArray()
                : [path];
            var takenAt = files.Select(f => new DateTimeOffset(File.GetLastWriteTimeUtc(f), TimeSpan.Zero)).DefaultIfEmpty(DateTimeOffset.UnixEpoch).Max();
            var content = Evidence(files);
            versions.Add(new ClusterVersion(path, takenAt, read.Snapshot, PolicyEngine.Create(read.Snapshot, options), content, Convert.ToHexStringLower(SHA256.HashData(content))));
        }
        return new ClusterHistory(versions);
    }

    /// <summary>The snapshot in force at a time (Unix ns): the newest taken at or before it, else the oldest.</summary>
    public ClusterVersion? At(long unixNanos)
    {
        if (_versions.Length == 0)
        {
            return null;
        }
        var i = Array.BinarySearch(_times, unixNanos);
        if (i < 0)
        {
            i = ~i - 1;
        }
        return _versions[Math.Max(i, 0)];
    }

    private static byte[] Evidence(IReadOnlyList<string> files)
    {
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartArray();
            foreach (var file in files)
            {
                var bytes = File.ReadAllBytes(file);
                w.WriteStartObject();
                w.WriteString("path", file);
                w.WriteString("sha256", Convert.ToHexStringLower(SHA256.HashData(bytes)));
                if (System.Text.Unicode.Utf8.IsValid(bytes))
                {
                    w.WriteString("content", Encoding.UTF8.GetString(bytes));
                }
                else
                {
                    w.WriteBase64String("contentBase64", bytes);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        using var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true))
        {
            json.Position = 0;
            json.CopyTo(z);
        }
        return gz.ToArray();
    }
}
