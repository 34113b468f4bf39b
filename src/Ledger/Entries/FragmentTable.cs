using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;

namespace PolicyTrail.Ledger.Entries;

/// <summary>A template as a store keeps it, with the facts queries filter on (taken from the template itself).</summary>
public sealed record Fragment(uint Id, byte[] Text)
{
    private FragmentFacts? _facts;

    /// <summary>The facts of this fragment's text (read from it on first use: verify, for one, needs none).</summary>
    public FragmentFacts Facts => _facts ??= FragmentFacts.Of(Text);

    /// <summary>Equal when the id and the text array are (the facts follow from the text).</summary>
    public bool Equals(Fragment? other) => other is not null && Id == other.Id && ReferenceEquals(Text, other.Text);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Id, RuntimeHelpers.GetHashCode(Text));
}

/// <summary>
/// What queries need to know of a template without rebuilding entries: the entry kind and verdict (root templates) or
/// the namespace and pod (endpoint fragments). Derived from the text, so verify can check a store's copy of them.
/// </summary>
public sealed record FragmentFacts(EntryKind? Kind, EntryVerdict Verdict, string? Namespace, string? Pod)
{
    /// <summary>Reads the facts of a template; a template that is not a JSON object has none.</summary>
    public static FragmentFacts Of(byte[] template)
    {
        EntryKind? kind = null;
        var verdict = EntryVerdict.None;
        string? ns = null, pod = null;
        using var document = EntrySlots.ParseTemplate(template);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new FragmentFacts(null, EntryVerdict.None, null, null);
        }
        if (root.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String)
        {
            kind = k.GetString() switch
            {
                "flow" => EntryKind.Flow,
                "gap" => EntryKind.Gap,
                "policy-change" => EntryKind.PolicyChange,
                "inventory-change" => EntryKind.InventoryChange,
                _ => null,
            };
        }
        if (kind is not null && root.TryGetProperty("decision", out var d) && d.ValueKind == JsonValueKind.Object
            && d.TryGetProperty("verdict", out var v) && v.ValueKind == JsonValueKind.String)
        {
            verdict = v.GetString() switch
            {
                "allow" => EntryVerdict.Allow,
                "deny" => EntryVerdict.Deny,
                _ => EntryVerdict.Unknown,
            };
        }
        if (kind is null)
        {
            ns = String(root, "namespace");
            pod = String(root, "pod");
        }
        return new FragmentFacts(kind, verdict, ns, pod);
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}

/// <summary>
/// Interns templates: the same template is stored once and named by a small id. Ingest adds to it; new fragments are
/// handed to the store with the entries that first use them.
/// </summary>
public sealed class FragmentTable : IFragmentSource
{
    private readonly List<Fragment> _byId = [];
    // The texts by id, for rebuilding without going through the fragment records.
    private byte[][] _texts = new byte[64][];
    private int[][] _markers = new int[64][];
    private readonly Dictionary<byte[], uint> _byText = new(ByteArrayComparer.Instance);
    // Placeholder JSON as the entry builder wrote it -> id, so repeated templates skip canonicalization.
    private readonly Dictionary<byte[], uint> _byDraft = new(ByteArrayComparer.Instance);
    private readonly List<Fragment> _pending = [];

    /// <summary>A table holding the fragments a store already has (ids 0..n-1 in order).</summary>
    public FragmentTable(IEnumerable<Fragment>? existing = null)
    {
        foreach (var fragment in existing ?? [])
        {
            if (fragment.Id != _byId.Count)
            {
                throw new InvalidDataException($"fragment ids must run 0, 1, 2, ... without holes (found {fragment.Id} where {_byId.Count} was expected)");
            }
            Add(fragment);
            _byText.TryAdd(fragment.Text, fragment.Id);
        }
    }

    /// <summary>Number of fragments.</summary>
    public int Count => _byId.Count;

    /// <inheritdoc />
    public ReadOnlySpan<byte> Get(uint id) =>
        id < (uint)_byId.Count ? _texts[id] : throw new KeyNotFoundException($"fragment {id} does not exist (the store has {_byId.Count})");

    /// <inheritdoc />
    public ReadOnlySpan<byte> Get(uint id, out ReadOnlySpan<int> markers)
    {
        if (id >= (uint)_byId.Count)
        {
            throw new KeyNotFoundException($"fragment {id} does not exist (the store has {_byId.Count})");
        }
        markers = _markers[id];
        return _texts[id];
    }

    /// <inheritdoc />
    /// <remarks>Where the text and the markers of the fragment are kept (two arrays of references).</remarks>
    public unsafe void PrefetchSlot(uint id)
    {
        var texts = _texts;
        var markers = _markers;
        if (Sse.IsSupported && id < (uint)texts.Length && id < (uint)markers.Length)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref texts[id]));
            Sse.Prefetch0(Unsafe.AsPointer(ref markers[id]));
        }
    }

    /// <inheritdoc />
    /// <remarks>The first four cache lines of the text and the markers (an endpoint fragment is ~300 bytes).</remarks>
    public unsafe void Prefetch(uint id)
    {
        var texts = _texts;
        var markers = _markers;
        if (!Sse.IsSupported || id >= (uint)texts.Length || id >= (uint)markers.Length || texts[id] is not { } text || markers[id] is not { } found)
        {
            return;
        }
        // The arrays are not pinned: were one moved meanwhile, a prefetch of its old place only costs a cache line. The
        // text's length is not read (that load would wait for the very line asked for): four lines whatever its length.
        var at = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(text));
        for (var offset = 0; offset < 256; offset += 64)
        {
            Sse.Prefetch0(at + offset);
        }
        Sse.Prefetch0(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(found)));
    }

    /// <summary>The fragment with this id.</summary>
    public Fragment this[uint id] => id < _byId.Count ? _byId[(int)id] : throw new KeyNotFoundException($"fragment {id} does not exist (the store has {_byId.Count})");

    /// <summary>The id of the template for this placeholder JSON, adding it when new.</summary>
    public uint Intern(ReadOnlySpan<byte> draftJson)
    {
        var drafts = _byDraft.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (drafts.TryGetValue(draftJson, out var id))
        {
            return id;
        }
        var text = EntryTemplates.Compile(draftJson);
        if (!_byText.TryGetValue(text, out id))
        {
            id = (uint)_byId.Count;
            var fragment = new Fragment(id, text);
            Add(fragment);
            _byText.Add(text, id);
            _pending.Add(fragment);
        }
        // Bounded: drafts differ from templates only in key order, so there are about as many as templates.
        if (_byDraft.Count < 1 << 20)
        {
            _byDraft[draftJson.ToArray()] = id;
        }
        return id;
    }

    private void Add(Fragment fragment)
    {
        if (_byId.Count == _texts.Length)
        {
            Array.Resize(ref _texts, _texts.Length * 2);
            Array.Resize(ref _markers, _markers.Length * 2);
        }
        _texts[_byId.Count] = fragment.Text;
        _markers[_byId.Count] = EntryTemplates.FindMarkers(fragment.Text);
        _byId.Add(fragment);
    }

    /// <summary>The fragments added since the last call, for the store to write with the entries that use them.</summary>
    public IReadOnlyList<Fragment> TakePending()
    {
        var pending = _pending.ToArray();
        _pending.Clear();
        return pending;
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static ByteArrayComparer Instance { get; } = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode(obj.AsSpan());

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
