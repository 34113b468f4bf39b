using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PolicyTrail.Core.Cluster;
using PolicyTrail.Identity.History;
using PolicyTrail.Identity.Snapshots;
using PolicyTrail.Policy;
using PolicyTrail.Policy.Evaluation;

namespace PolicyTrail.Ingest.Clusters;

/// <summary>One cluster snapshot given to ingest (or to snapshot import): its objects, the bytes kept as evidence and its time.</summary>
public sealed class ClusterSnapshotFile
{
    internal ClusterSnapshotFile(string name, DateTimeOffset takenAt, SnapshotReadResult read, byte[] content, string sha256)
    {
        Name = name;
        TakenAt = takenAt;
        Snapshot = read.Snapshot;
        Objects = read.Objects;
        Content = content;
        Sha256 = sha256;
    }

    /// <summary>The path the user gave.</summary>
    public string Name { get; }
    /// <summary>When the snapshot describes the cluster (given, or the newest modification time of its files).</summary>
    public DateTimeOffset TakenAt { get; internal set; }
    /// <summary>The cluster state it describes.</summary>
    public ClusterSnapshot Snapshot { get; }
    /// <summary>Its objects as read (kind, name, JSON), for the identity history.</summary>
    public IReadOnlyList<KubeObject> Objects { get; }
    /// <summary>The files as read, gzip-compressed (see <see cref="ClusterHistory.Load"/>), as the store keeps them.</summary>
    public byte[] Content { get; }
    /// <summary>Lower-case hex SHA-256 of <see cref="Content"/>.</summary>
    public string Sha256 { get; }
    /// <summary>Index of the inventory-change entry that records this snapshot's files (set once it is in the ledger).</summary>
    public long InventoryEntry { get; set; } = -1;

    /// <summary>The snapshot's time in Unix ns.</summary>
    public long UnixNanos => (TakenAt.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100;
}

/// <summary>
/// The cluster as it was over time, for one ingest run: the identity history (every change the store holds plus the
/// snapshots given to this run) and, per stretch of time in which it does not change, a compiled policy engine.
/// </summary>
public sealed class ClusterHistory
{
    private const int EnginesKept = 8;
    private readonly PolicyEngineOptions _options;
    private readonly List<ClusterEpoch> _engines = [];
    private readonly Dictionary<(string Key, string ResourceVersion), long> _inventory = [];
    private readonly Dictionary<string, long> _latestInventory = new(StringComparer.Ordinal);
    private ClusterTimeline? _timeline;

    private ClusterHistory(IReadOnlyList<ClusterSnapshotFile> snapshots, PolicyEngineOptions? options)
    {
        Snapshots = snapshots;
        _options = options ?? PolicyEngineOptions.Upstream;
    }

    /// <summary>The snapshots given to this run, oldest first.</summary>
    public IReadOnlyList<ClusterSnapshotFile> Snapshots { get; }

    /// <summary>The identity history (null until <see cref="Build"/>).</summary>
    public ClusterTimeline? Timeline => _timeline;

    /// <summary>Policy engines compiled so far (one per stretch of time a flow fell in, a few kept at a time).</summary>
    public int EnginesCompiled { get; private set; }

    /// <summary>
    /// Reads each path (a kubectl output file or a folder of them) as one snapshot, taken at <paramref name="takenAt"/>
    /// when given, else at the newest modification time of its files. The stored evidence is a gzip of a JSON array of
    /// {"path","sha256","content"} per file. Throws <see cref="SnapshotFormatException"/> for malformed input.
    /// </summary>
    public static ClusterHistory Load(IEnumerable<string> paths, PolicyEngineOptions? options = null, DateTimeOffset? takenAt = null) =>
        new(paths.Select(path => Read(path, [path], takenAt)).OrderBy(s => s.TakenAt).ToArray(), options);

    /// <summary>Reads every path together as one snapshot (files printed by kubectl at one moment), like <see cref="Load"/>.</summary>
    public static ClusterHistory LoadOne(IReadOnlyList<string> paths, PolicyEngineOptions? options = null, DateTimeOffset? takenAt = null) =>
        new([Read(string.Join(" ", paths), paths, takenAt)], options);

    private static ClusterSnapshotFile Read(string name, IReadOnlyList<string> paths, DateTimeOffset? takenAt)
    {
        var read = KubectlOutputReader.ReadObjects(paths);
        // Objects are compared with what the store holds, which is their evidence form: compare like with like.
        var evidence = new Changes.EvidenceWriter();
        read = read with { Objects = [.. read.Objects.Select(o => AsEvidence(o, evidence))] };
        var files = paths.SelectMany<string, string>(path => Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal)
            : [path]).ToArray();
        var time = takenAt ?? files.Select(f => new DateTimeOffset(File.GetLastWriteTimeUtc(f), TimeSpan.Zero)).DefaultIfEmpty(DateTimeOffset.UnixEpoch).Max();
        var content = Evidence(files);
        return new ClusterSnapshotFile(name, time, read, content, Convert.ToHexStringLower(SHA256.HashData(content)));
    }

    /// <summary>
    /// Builds the history from the changes the store holds (each with the index of its entry) and the changes this run
    /// recorded; flows are then decided with <see cref="At"/>.
    /// </summary>
    public void Build(ClusterTimelineBuilder builder, IEnumerable<(long Index, ClusterChange Change)> recorded)
    {
        foreach (var (index, change) in recorded)
        {
            if (change.Kind == ObjectKinds.Pod)
            {
                _inventory[(change.Key, change.ResourceVersion ?? "")] = index;
                _latestInventory[change.Key] = index;
            }
        }
        _timeline = builder.Build();
        _engines.Clear();
    }

    /// <summary>The cluster in force at a time (Unix ns), with its compiled engine; null when the history is empty.</summary>
    public ClusterEpoch? At(long unixNanos)
    {
        if (_timeline is null || _timeline.ChangeCount == 0)
        {
            return null;
        }
        var epoch = _timeline.EpochAt(unixNanos);
        for (var i = 0; i < _engines.Count; i++)
        {
            if (_engines[i].Epoch.Id == epoch.Id)
            {
                return _engines[i];
            }
        }
        var compiled = new ClusterEpoch(epoch, PolicyEngine.Create(_timeline.SnapshotAt(unixNanos), _options), this);
        EnginesCompiled++;
        if (_engines.Count == EnginesKept)
        {
            _engines.RemoveAt(0);
        }
        _engines.Add(compiled);
        return compiled;
    }

    /// <summary>The inventory-change entry that recorded a pod's version (by resourceVersion), else its latest one; -1 when none.</summary>
    internal long InventoryOf(PodInfo pod, string? resourceVersion)
    {
        var key = pod.Key;
        return _inventory.TryGetValue((key, resourceVersion ?? ""), out var exact) ? exact
            : _latestInventory.TryGetValue(key, out var latest) ? latest
            : -1;
    }

    // The form the ledger keeps (EntryBuilder.Change writes the same); an object it cannot keep stays as it came.
    private static KubeObject AsEvidence(KubeObject o, Changes.EvidenceWriter evidence) =>
        evidence.Write(o.Kind, o.Json) is null ? o with { Json = Encoding.UTF8.GetString(evidence.Evidence) } : o;

    // The same JSON string as WriteStringValue of the text, written from its UTF-8 a slice at a time: escaping a whole
    // file at once rents a char array six times its length from the shared pool, which then keeps it (67 MB for a 3 MB
    // cluster file) for the run.
    private static void WriteInSegments(Utf8JsonWriter w, ReadOnlySpan<byte> utf8)
    {
        const int Segment = 16 * 1024;
        do
        {
            // A character cut between two slices is joined by the writer.
            var length = Math.Min(Segment, utf8.Length);
            w.WriteStringValueSegment(utf8[..length], isFinalSegment: length == utf8.Length);
            utf8 = utf8[length..];
        }
        while (!utf8.IsEmpty);
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
                    w.WritePropertyName("content");
                    WriteInSegments(w, bytes);
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

/// <summary>
/// The cluster over one stretch of time in which the identity history does not change: its compiled policy engine and,
/// per pod, the version in force with its workload and the inventory-change entry that recorded it. Thread-safe.
/// </summary>
public sealed class ClusterEpoch
{
    private readonly ClusterHistory _history;
    private readonly ConcurrentDictionary<string, PodAt?> _pods = new(StringComparer.Ordinal);

    internal ClusterEpoch(TimelineEpoch epoch, PolicyEngine engine, ClusterHistory history)
    {
        Epoch = epoch;
        Engine = engine;
        _history = history;
    }

    /// <summary>The stretch of time.</summary>
    public TimelineEpoch Epoch { get; }

    /// <summary>The policy engine compiled from the cluster as it was then.</summary>
    public PolicyEngine Engine { get; }

    /// <summary>
    /// Whether the history knows who held <paramref name="address"/> in this stretch of time only within an interval
    /// (a pod that may or may not have left yet): the window, else null.
    /// </summary>
    public (long From, long To)? UncertainWindow(System.Net.IPAddress address)
    {
        // The answer is the same all through the stretch; ask at an instant inside it.
        var at = Epoch.Start != long.MinValue ? Epoch.Start : Epoch.End == long.MaxValue ? 0 : Epoch.End - 1;
        return _history.Timeline!.TryGet(address, at, out var found) && found.Uncertain ? (found.WindowFrom, found.WindowTo) : null;
    }

    /// <summary>A pod ("namespace/name") as it was in this stretch of time; null when it was not there.</summary>
    public PodAt? Pod(string key) => _pods.GetOrAdd(key, Find);

    private PodAt? Find(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var versions = _history.Timeline!.PodHistory(key[..slash], key[(slash + 1)..]);
        // The version in force over this stretch: the last that started by its start (else the first there is).
        PodVersion? found = null;
        foreach (var v in versions)
        {
            if (v.ValidFrom <= Epoch.Start || found is null)
            {
                found = v;
            }
        }
        if (found is null)
        {
            // Not in the history (the engine's snapshot holds it): nothing more to say than the engine does.
            var info = Engine.Snapshot.Pods.FirstOrDefault(p => p.Key == key);
            return info is null ? null : new PodAt(info, null, _history.InventoryOf(info, null));
        }
        return new PodAt(found.Info, found.Workload, _history.InventoryOf(found.Info, found.ResourceVersion));
    }
}

/// <summary>A pod as it was at some time: its state, the workload it belongs to, and the entry that recorded it (-1: none).</summary>
public sealed record PodAt(PodInfo Info, WorkloadRef? Workload, long InventoryEntry);
