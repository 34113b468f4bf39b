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

    // The one-tokenization writer's output and the scratch it reorders members through.
    private byte[] _out = new byte[4096];
    private int _length;
    private byte[] _scratch = new byte[4096];
    private Placed[] _placed = new Placed[64];
    private readonly OutputWriter _output;
    private int _depthBase;
    private int _depthLimit;

    /// <summary>Creates a writer with its own scratch space.</summary>
    public CanonicalEvidence()
    {
        _order = new MemberOrder(this);
        _output = new OutputWriter(this);
    }

    /// <summary>
    /// The same bytes as <see cref="Write(string, ReadOnlyMemory{byte}, IBufferWriter{byte})"/>, written while the object is read
    /// once with a <see cref="Utf8JsonReader"/> (no document is built; dropped members are only skipped): each object's
    /// members are written as they come and put in canonical order afterwards. Throws wherever that one throws, and
    /// possibly elsewhere. The span returned is valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> Write(string kind, ReadOnlySpan<byte> utf8Json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            throw new JsonCanonicalizationException("object JSON is not valid UTF-8");
        }
        var rules = RulesByKind.GetValueOrDefault(kind, DefaultRules);
        // The limit JsonDocument.Parse applies in the other writer: the same reader refuses the same nesting.
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = MaxDepth });
        if (!reader.Read())
        {
            throw new JsonException("empty object JSON");
        }
        _memberCount = 0;
        _nameLength = 0;
        _length = 0;
        _depthBase = 0;
        _depthLimit = int.MaxValue;
        ReadValue(ref reader, rules, rules);
        if (reader.Read())
        {
            throw new JsonException("more than one JSON value");
        }
        return Written;
    }

    /// <summary>
    /// Writes the evidence of the object value <paramref name="reader"/> stands on (inside a larger document, such as a
    /// change line), leaving the reader on its last token: the same bytes as <see cref="Write(string, ReadOnlySpan{byte})"/>
    /// of the value's bytes, which the caller has checked are valid UTF-8. Throws where that throws, and also for nesting
    /// near its limit (the caller then takes the way that decides).
    /// </summary>
    public ReadOnlySpan<byte> WriteInPlace(string kind, ref Utf8JsonReader reader)
    {
        var rules = RulesByKind.GetValueOrDefault(kind, DefaultRules);
        _memberCount = 0;
        _nameLength = 0;
        _length = 0;
        _depthBase = reader.CurrentDepth;
        // The other writers' reader refuses 63 nested levels; short of that, this one refuses early, to be safe.
        _depthLimit = MaxDepth - 3;
        ReadValue(ref reader, rules, rules);
        return Written;
    }

    /// <summary>What the last one-tokenization <see cref="Write(string, ReadOnlySpan{byte})"/> wrote.</summary>
    public ReadOnlySpan<byte> Written => _out.AsSpan(0, _length);

    private void ReadValue(ref Utf8JsonReader reader, PathNode root, PathNode? path)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                CheckDepth(ref reader);
                ReadObject(ref reader, root, path);
                break;
            case JsonTokenType.StartArray:
                CheckDepth(ref reader);
                Put((byte)'[');
                var items = path?.Step((byte)'[')?.Step((byte)']');
                var first = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!first)
                    {
                        Put((byte)',');
                    }
                    first = false;
                    ReadValue(ref reader, root, items);
                }
                Put((byte)']');
                break;
            case JsonTokenType.String:
                if (!reader.ValueIsEscaped)
                {
                    // Unescaped JSON strings hold no quote, backslash or control, and the input is valid UTF-8: already canonical.
                    var raw = reader.ValueSpan;
                    var span = Reserve(raw.Length + 2);
                    span[0] = (byte)'"';
                    raw.CopyTo(span[1..]);
                    span[raw.Length + 1] = (byte)'"';
                    _length += raw.Length + 2;
                }
                else
                {
                    CanonicalJson.WriteString(reader.GetString(), _output);
                }
                break;
            case JsonTokenType.Number:
                CanonicalJson.WriteNumber(reader.ValueSpan, _output);
                break;
            case JsonTokenType.True:
                PutBytes("true"u8);
                break;
            case JsonTokenType.False:
                PutBytes("false"u8);
                break;
            default:
                PutBytes("null"u8);
                break;
        }
    }

    private void ReadObject(ref Utf8JsonReader reader, PathNode root, PathNode? path)
    {
        var start = _memberCount;
        var namesStart = _nameLength;
        var keep = path?.KeepOnly;
        Put((byte)'{');
        var regionStart = _length;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var nameAt = _nameLength;
            if (!reader.ValueIsEscaped)
            {
                AppendName(reader.ValueSpan);
            }
            else
            {
                // Decoding throws on a lone surrogate, as the other writer does for every name it walks.
                AppendName(Encoding.UTF8.GetBytes(reader.GetString()!));
            }
            var name = _names.AsSpan(nameAt, _nameLength - nameAt);
            reader.Read();
            if (keep is not null && !Contains(keep, name))
            {
                Skip(ref reader);
                continue;
            }
            var child = Child(root, path, name);
            if (child is { Drop: true })
            {
                Skip(ref reader);
                continue;
            }
            if (_memberCount == _placed.Length)
            {
                Array.Resize(ref _placed, _placed.Length * 2);
            }
            if (_memberCount > start)
            {
                Put((byte)',');
            }
            var at = _length;
            CanonicalJson.WriteUtf8String(name, _output);
            Put((byte)':');
            ReadValue(ref reader, root, child);
            _placed[_memberCount++] = new Placed(nameAt, name.Length, at, _length);
        }
        var count = _memberCount - start;
        var sorted = true;
        for (var i = start + 1; i < start + count && sorted; i++)
        {
            sorted = Compare(_placed[i - 1], _placed[i]) < 0;
        }
        if (!sorted)
        {
            // Few members as a rule: an insertion sort. Names are unique (or refused), so any sort gives this order.
            for (var i = start + 1; i < start + count; i++)
            {
                var member = _placed[i];
                var j = i - 1;
                for (; j >= start; j--)
                {
                    var order = Compare(_placed[j], member);
                    if (order == 0)
                    {
                        throw new JsonCanonicalizationException($"duplicate member name \"{Encoding.UTF8.GetString(_names, member.NameAt, member.NameLength)}\"");
                    }
                    if (order < 0)
                    {
                        break;
                    }
                    _placed[j + 1] = _placed[j];
                }
                _placed[j + 1] = member;
            }
            // The members as written, then back in canonical order: the region keeps its length.
            var region = _length - regionStart;
            if (_scratch.Length < region)
            {
                _scratch = new byte[Math.Max(region, _scratch.Length * 2)];
            }
            _out.AsSpan(regionStart, region).CopyTo(_scratch);
            var to = regionStart;
            for (var i = start; i < start + count; i++)
            {
                if (i > start)
                {
                    _out[to++] = (byte)',';
                }
                var member = _placed[i];
                var length = member.End - member.Start;
                _scratch.AsSpan(member.Start - regionStart, length).CopyTo(_out.AsSpan(to));
                to += length;
            }
        }
        Put((byte)'}');
        _memberCount = start;
        _nameLength = namesStart;
    }

    private void CheckDepth(ref Utf8JsonReader reader)
    {
        if (reader.CurrentDepth - _depthBase >= _depthLimit)
        {
            throw new JsonException($"nesting deeper than {_depthLimit} levels");
        }
    }

    // A dropped value is only read; in place, its nesting is checked as the other writers' reader checks it.
    private void Skip(ref Utf8JsonReader reader)
    {
        if (_depthLimit == int.MaxValue)
        {
            reader.Skip();
            return;
        }
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return;
        }
        var depth = reader.CurrentDepth;
        CheckDepth(ref reader);
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                CheckDepth(ref reader);
            }
            else if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && reader.CurrentDepth == depth)
            {
                return;
            }
        }
        throw new JsonException("the JSON ends inside a value");
    }

    private int Compare(Placed x, Placed y) =>
        CompareUtf16Order(_names.AsSpan(x.NameAt, x.NameLength), _names.AsSpan(y.NameAt, y.NameLength));

    private Span<byte> Reserve(int length)
    {
        if (_length + length > _out.Length)
        {
            Array.Resize(ref _out, Math.Max(_out.Length * 2, _length + length));
        }
        return _out.AsSpan(_length);
    }

    private void Put(byte b)
    {
        Reserve(1)[0] = b;
        _length++;
    }

    private void PutBytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    /// <summary>Lets CanonicalJson's writers append to the output array.</summary>
    private sealed class OutputWriter(CanonicalEvidence owner) : IBufferWriter<byte>
    {
        public void Advance(int count) => owner._length += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            owner.Reserve(Math.Max(sizeHint, 1));
            return owner._out.AsMemory(owner._length);
        }

        public Span<byte> GetSpan(int sizeHint = 0) => owner.Reserve(Math.Max(sizeHint, 1));
    }

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

    // The rule node a member leads to from its object's node (null: no rule below it).
    private static PathNode? Child(PathNode root, PathNode? path, ReadOnlySpan<byte> name)
    {
        var child = path;
        if (child is not null && !ReferenceEquals(child, root))
        {
            child = child.Step((byte)'.');
        }
        for (var i = 0; child is not null && i < name.Length; i++)
        {
            child = child.Step(name[i]);
        }
        return child;
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
            var child = Child(root, path, name);
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

    // A member the one-reading writer wrote ("name":value) at Start..End of its output.
    private readonly record struct Placed(int NameAt, int NameLength, int Start, int End);

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
