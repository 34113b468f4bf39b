using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using PolicyTrail.Identity.History;
using PolicyTrail.Ledger.Canonical;

namespace PolicyTrail.Ingest.Changes;

/// <summary>
/// Writes what <see cref="ObjectEvidence.Reduce"/> keeps of an object directly in its RFC 8785 form, in one walk over
/// one parse: the same bytes as <c>JsonCanonicalizer.Canonicalize(ObjectEvidence.Reduce(kind, json))</c> nested one
/// level deep (as the object is in a change entry), at a fraction of the cost. Throws (<see cref="JsonException"/>,
/// <see cref="JsonCanonicalizationException"/>, <see cref="InvalidOperationException"/>) wherever that would fail, and
/// possibly where it would not (an over-deep member that the reduction drops): the caller then takes the slow way,
/// which decides. Not thread-safe: one per entry builder.
/// </summary>
internal sealed class CanonicalEvidence
{
    // The body is one level, the object the rest of JsonCanonicalizer's 64.
    private const int MaxDepth = 63;

    private static readonly Dictionary<string, PathNode> RulesByKind = BuildRules();
    private static readonly PathNode DefaultRules = Build(ObjectEvidence.Everywhere, keepOnly: false);

    private Member[] _members = new Member[64];
    private byte[] _names = new byte[1024];
    private int _memberCount;
    private int _nameLength;
    private readonly MemberOrder _order;

    /// <summary>Creates a writer with its own scratch space.</summary>
    public CanonicalEvidence() => _order = new MemberOrder(this);

    /// <summary>Writes the canonical evidence JSON of <paramref name="utf8Json"/>, an object of <paramref name="kind"/>, to <paramref name="output"/>.</summary>
    public void Write(string kind, ReadOnlyMemory<byte> utf8Json, IBufferWriter<byte> output)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json.Span))
        {
            throw new JsonCanonicalizationException("object JSON is not valid UTF-8");
        }
        var rules = RulesByKind.GetValueOrDefault(kind, DefaultRules);
        using var document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { MaxDepth = MaxDepth });
        _memberCount = 0;
        _nameLength = 0;
        WriteValue(document.RootElement, rules, rules, output);
    }

    private void WriteValue(JsonElement element, PathNode root, PathNode? path, IBufferWriter<byte> output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(element, root, path, output);
                break;
            case JsonValueKind.Array:
                output.Write("["u8);
                var items = path?.Step((byte)'[')?.Step((byte)']');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        output.Write(","u8);
                    }
                    first = false;
                    WriteValue(item, root, items, output);
                }
                output.Write("]"u8);
                break;
            case JsonValueKind.String:
                var raw = JsonMarshal.GetRawUtf8Value(element);
                if (raw.IndexOf((byte)'\\') < 0)
                {
                    // Raw JSON strings hold no quote, backslash or control, and the input is valid UTF-8: already canonical.
                    output.Write(raw);
                }
                else
                {
                    CanonicalJson.WriteString(element.GetString(), output);
                }
                break;
            case JsonValueKind.Number:
                CanonicalJson.WriteNumber(JsonMarshal.GetRawUtf8Value(element), output);
                break;
            case JsonValueKind.True:
                output.Write("true"u8);
                break;
            case JsonValueKind.False:
                output.Write("false"u8);
                break;
            default:
                output.Write("null"u8);
                break;
        }
    }

    private void WriteObject(JsonElement element, PathNode root, PathNode? path, IBufferWriter<byte> output)
    {
        var start = _memberCount;
        var namesStart = _nameLength;
        var keep = path?.KeepOnly;
        foreach (var property in element.EnumerateObject())
        {
            var rawName = JsonMarshal.GetRawUtf8PropertyName(property);
            var nameAt = _nameLength;
            if (rawName.IndexOf((byte)'\\') < 0)
            {
                AppendName(rawName);
            }
            else
            {
                // Decoding throws on a lone surrogate, as ObjectEvidence does for every name it walks.
                AppendName(Encoding.UTF8.GetBytes(property.Name));
            }
            var name = _names.AsSpan(nameAt, _nameLength - nameAt);
            if (keep is not null && !Contains(keep, name))
            {
                continue;
            }
            var child = path;
            if (child is not null && !ReferenceEquals(child, root))
            {
                child = child.Step((byte)'.');
            }
            for (var i = 0; child is not null && i < name.Length; i++)
            {
                child = child.Step(name[i]);
            }
            if (child is { Drop: true })
            {
                continue;
            }
            if (_memberCount == _members.Length)
            {
                Array.Resize(ref _members, _members.Length * 2);
            }
            _members[_memberCount++] = new Member(property.Value, nameAt, name.Length, child);
        }
        var count = _memberCount - start;
        if (count > 1)
        {
            Array.Sort(_members, start, count, _order);
        }
        output.Write("{"u8);
        for (var i = start; i < start + count; i++)
        {
            var member = _members[i];
            if (i > start)
            {
                var previous = _members[i - 1];
                if (_names.AsSpan(previous.NameAt, previous.NameLength).SequenceEqual(_names.AsSpan(member.NameAt, member.NameLength)))
                {
                    throw new JsonCanonicalizationException($"duplicate member name \"{Encoding.UTF8.GetString(_names, member.NameAt, member.NameLength)}\"");
                }
                output.Write(","u8);
            }
            CanonicalJson.WriteUtf8String(_names.AsSpan(member.NameAt, member.NameLength), output);
            output.Write(":"u8);
            WriteValue(member.Value, root, member.Path, output);
        }
        output.Write("}"u8);
        _memberCount = start;
        _nameLength = namesStart;
    }

    private void AppendName(ReadOnlySpan<byte> name)
    {
        if (_nameLength + name.Length > _names.Length)
        {
            Array.Resize(ref _names, Math.Max(_names.Length * 2, _nameLength + name.Length));
        }
        name.CopyTo(_names.AsSpan(_nameLength));
        _nameLength += name.Length;
    }

    private static bool Contains(byte[][] names, ReadOnlySpan<byte> name)
    {
        foreach (var candidate in names)
        {
            if (name.SequenceEqual(candidate))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Orders UTF-8 names as RFC 8785 §3.2.3 orders them, by UTF-16 code units: UTF-8 byte order is code point order,
    /// which differs only where a supplementary character (UTF-16 D800-DBFF) meets one of U+E000-U+FFFF.
    /// </summary>
    internal static int CompareUtf16Order(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var i = a.CommonPrefixLength(b);
        if (i == a.Length || i == b.Length)
        {
            return a.Length - b.Length;
        }
        int x = a[i], y = b[i];
        if (x >= 0xEE && y >= 0xEE && (x >= 0xF0) != (y >= 0xF0))
        {
            return x >= 0xF0 ? -1 : 1;
        }
        return x - y;
    }

    private static Dictionary<string, PathNode> BuildRules()
    {
        var rules = new Dictionary<string, PathNode>(StringComparer.Ordinal);
        foreach (var (kind, drop) in ObjectEvidence.DropByKind)
        {
            rules[kind] = Build([.. ObjectEvidence.Everywhere, .. drop], keepOnly: kind == ObjectKinds.Pod);
        }
        if (!rules.ContainsKey(ObjectKinds.Pod))
        {
            rules[ObjectKinds.Pod] = Build(ObjectEvidence.Everywhere, keepOnly: true);
        }
        return rules;
    }

    // ObjectEvidence matches rules against "a.b[].c" paths it concatenates; a trie over those same bytes matches exactly
    // what it matches (names with dots included) without building a string per member.
    private static PathNode Build(string[] drop, bool keepOnly)
    {
        var root = new PathNode();
        foreach (var path in drop)
        {
            root.Add(Encoding.UTF8.GetBytes(path)).Drop = true;
        }
        if (keepOnly)
        {
            foreach (var (path, names) in ObjectEvidence.KeepOnly)
            {
                root.Add(Encoding.UTF8.GetBytes(path)).KeepOnly = [.. names.Select(Encoding.UTF8.GetBytes)];
            }
        }
        return root;
    }

    private readonly record struct Member(JsonElement Value, int NameAt, int NameLength, PathNode? Path);

    private sealed class MemberOrder(CanonicalEvidence owner) : IComparer<Member>
    {
        public int Compare(Member x, Member y) =>
            CompareUtf16Order(owner._names.AsSpan(x.NameAt, x.NameLength), owner._names.AsSpan(y.NameAt, y.NameLength));
    }

    /// <summary>One prefix of a rule path.</summary>
    private sealed class PathNode
    {
        private byte[] _labels = [];
        private PathNode[] _next = [];

        public bool Drop { get; set; }

        public byte[][]? KeepOnly { get; set; }

        public PathNode? Step(byte b)
        {
            var i = Array.IndexOf(_labels, b);
            return i < 0 ? null : _next[i];
        }

        public PathNode Add(ReadOnlySpan<byte> path)
        {
            var node = this;
            foreach (var b in path)
            {
                var next = node.Step(b);
                if (next is null)
                {
                    next = new PathNode();
                    node._labels = [.. node._labels, b];
                    node._next = [.. node._next, next];
                }
                node = next;
            }
            return node;
        }
    }
}
