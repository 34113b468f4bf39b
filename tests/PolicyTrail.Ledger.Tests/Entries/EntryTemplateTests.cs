using System.Text;
using System.Text.Json;
using CsCheck;
using PolicyTrail.Ledger.Canonical;
using PolicyTrail.Ledger.Entries;

namespace PolicyTrail.Ledger.Tests.Entries;

public sealed class EntryTemplateTests
{
    private static EntryRow Row(long time = 1_764_226_800_123_456_789) => new()
    {
        Index = 42,
        Time = time,
        ObservedAt = 1_764_230_000_000_000_000,
        SrcPort = 41000,
        DstPort = 8443,
        Line = 7,
        Sha256 = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray(),
        Count = 3,
    };

    private static byte[] Draft(string json) => Encoding.UTF8.GetBytes(json);

    [Fact]
    public void Rebuilt_bytes_are_the_canonical_form_of_the_entry()
    {
        var fragments = new FragmentTable();
        var row = Row();
        row.Src = fragments.Intern(Draft("""{"pod":"web-1","port":"\u0001p-","ip":"10.0.0.1","namespace":"shop"}"""));
        row.SourceRef = fragments.Intern(Draft("""{"sha256":"\u0001h-","line":"\u0001l-","format":"hubble","file":"f.jsonl"}"""));
        row.Template = fragments.Intern(Draft("""{"time":"\u0001t9","kind":"flow","src":"\u0001S-","index":"\u0001i-","source":"\u0001R-","count":"\u0001c-","observedAt":"\u0001o3","dst":null}"""));
        var bytes = EntryTemplates.Rebuild(row, fragments);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Equal(
            """{"count":3,"dst":null,"index":42,"kind":"flow","observedAt":"2025-11-27T07:53:20.000Z","source":{"file":"f.jsonl","format":"hubble","line":7,"sha256":"00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9"},"src":{"ip":"10.0.0.1","namespace":"shop","pod":"web-1","port":41000},"time":"2025-11-27T07:00:00.123456789Z"}""",
            text);
        Assert.Equal(bytes, JsonCanonicalizer.Canonicalize(bytes));
    }

    [Fact]
    public void A_body_slot_takes_the_rows_own_canonical_json_whole()
    {
        var fragments = new FragmentTable();
        var body = JsonCanonicalizer.Canonicalize(Draft("""{"name":"web-1","kind":"Pod","labels":{"b":"2","a":"1"}}"""));
        var row = new EntryRow { Index = 3, Time = 1_764_226_800_000_000_000, Body = body };
        row.Template = fragments.Intern(Draft("""{"kind":"inventory-change","change":"\u0001B-","index":"\u0001i-","time":"\u0001t0"}"""));
        var bytes = EntryTemplates.Rebuild(row, fragments);
        Assert.Equal(
            """{"change":{"kind":"Pod","labels":{"a":"1","b":"2"},"name":"web-1"},"index":3,"kind":"inventory-change","time":"2025-11-27T07:00:00Z"}""",
            Encoding.UTF8.GetString(bytes));
        Assert.Equal(bytes, JsonCanonicalizer.Canonicalize(bytes));
        row.Body = null;
        Assert.Contains("\"change\":null", Encoding.UTF8.GetString(EntryTemplates.Rebuild(row, fragments)));
    }

    [Fact]
    public void The_same_template_written_in_another_key_order_is_one_fragment()
    {
        var fragments = new FragmentTable();
        var a = fragments.Intern(Draft("""{"a":1,"b":"\u0001i-"}"""));
        var b = fragments.Intern(Draft("""{"b":"\u0001i-","a":1}"""));
        Assert.Equal(a, b);
        Assert.Equal(1, fragments.Count);
        Assert.Single(fragments.TakePending());
        Assert.Empty(fragments.TakePending());
    }

    [Fact]
    public void Templates_hold_raw_markers_that_no_canonical_json_can_hold()
    {
        var fragments = new FragmentTable();
        var id = fragments.Intern(Draft("""{"x":"\u0001i-","y":"\u0001 and more","z":"a\u0001i-"}"""));
        var text = fragments[id].Text;
        // Only the exact placeholder string became a marker; other strings with U+0001 stay escaped text.
        Assert.Single(EntryTemplates.Slots(text));
        Assert.Equal("""{"x":7,"y":"\u0001 and more","z":"a\u0001i-"}""", Encoding.UTF8.GetString(EntryTemplates.Rebuild(new EntryRow { Index = 7, Template = id }, fragments)));
    }

    [Fact]
    public void User_strings_that_look_like_placeholders_are_defused()
    {
        Assert.Equal("\uFFFDi-", EntrySlots.Safe("\u0001i-"));
        Assert.Equal("web", EntrySlots.Safe("web"));
        Assert.Null(EntrySlots.Safe(null));
    }

    [Fact]
    public void A_fragment_that_refers_to_itself_is_refused_not_looped()
    {
        var fragments = new FragmentTable();
        var id = fragments.Intern(Draft("""{"s":"\u0001S-"}"""));
        var row = new EntryRow { Template = id, Src = id };
        Assert.Throws<InvalidDataException>(() => EntryTemplates.Rebuild(row, fragments));
    }

    [Fact]
    public void Facts_give_kind_verdict_namespace_and_pod()
    {
        var root = new Fragment(0, EntryTemplates.Compile(Draft("""{"kind":"flow","index":"\u0001i-","decision":{"verdict":"deny","ingress":"\u0001I-"}}""")));
        Assert.Equal(EntryKind.Flow, root.Facts.Kind);
        Assert.Equal(EntryVerdict.Deny, root.Facts.Verdict);
        var endpoint = new Fragment(1, EntryTemplates.Compile(Draft("""{"namespace":"shop","pod":"web-1","port":"\u0001p-"}""")));
        Assert.Null(endpoint.Facts.Kind);
        Assert.Equal(("shop", "web-1"), (endpoint.Facts.Namespace, endpoint.Facts.Pod));
    }

    [Fact]
    public void Any_slot_values_rebuild_to_canonical_json_that_parses_back_to_them()
    {
        var fragments = new FragmentTable();
        var template = fragments.Intern(Draft("""{"index":"\u0001i-","time":"\u0001t3","w":"\u0001w0","p":"\u0001p-","P":"\u0001P-","l":"\u0001l-","h":"\u0001h-","c":"\u0001c-","k":"\u0001k-","b":"\u0001b-"}"""));
        Gen.Select(Gen.Long[0, 1L << 53], Gen.Long[-(1L << 60), 1L << 60], Gen.Int[0, 65535], Gen.Byte.Array[32], Gen.Long[-(1L << 53) + 1, (1L << 53) - 1].Nullable())
            .Sample((index, time, port, sha, counter) =>
            {
                var row = new EntryRow { Template = template, Index = index, Time = time, WindowStart = time, SrcPort = port, DstPort = null, Line = index, Sha256 = sha, Count = counter, Packets = counter };
                var bytes = EntryTemplates.Rebuild(row, fragments);
                Assert.Equal(bytes, JsonCanonicalizer.Canonicalize(bytes));
                using var doc = JsonDocument.Parse(bytes);
                Assert.Equal(index, doc.RootElement.GetProperty("index").GetInt64());
                Assert.Equal(port, doc.RootElement.GetProperty("p").GetInt32());
                Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("P").ValueKind);
                Assert.Equal(Convert.ToHexStringLower(sha), doc.RootElement.GetProperty("h").GetString());
            }, iter: 500);
    }

    [Fact]
    public void Markers_are_found_once_and_scanning_resumes_after_each_three_bytes()
    {
        // A marker's slot or parameter byte that is itself 0x01 (a damaged template) does not start another marker.
        Assert.Equal([1, 4, 9], EntryTemplates.FindMarkers([(byte)'[', 1, 1, 1, 1, (byte)'i', (byte)'-', (byte)',', (byte)'x', 1, (byte)'i']));
        Assert.Empty(EntryTemplates.FindMarkers("{\"a\":1}"u8));
        Assert.Equal([0], EntryTemplates.FindMarkers([1]));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'[', 1, (byte)'i' }, "template ends inside a slot marker")]
    [InlineData(new byte[] { (byte)'[', 1, (byte)'?', (byte)'-', (byte)']' }, "unknown slot '?'")]
    [InlineData(new byte[] { (byte)'[', 1, 1, 1, (byte)']' }, "unknown slot '\u0001'")]
    public void Damaged_templates_read_from_a_store_are_refused_with_their_reason(byte[] text, string reason)
    {
        var fragments = new FragmentTable([new Fragment(0, text)]);
        var error = Assert.Throws<InvalidDataException>(() => EntryTemplates.Rebuild(new EntryRow { Template = 0, Index = 1 }, fragments));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void The_leaf_input_is_a_zero_byte_and_the_entry_and_a_huge_entry_leaves_no_trace_in_the_next()
    {
        var fragments = new FragmentTable();
        var template = fragments.Intern(Draft("""{"kind":"inventory-change","change":"\u0001B-","index":"\u0001i-"}"""));
        var huge = new EntryRow { Template = template, Index = 1, Body = JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new string('x', 3 << 20)))) };
        var small = new EntryRow { Template = template, Index = 2, Body = "{}"u8.ToArray() };
        Assert.Equal([0, .. EntryTemplates.Rebuild(huge, fragments)], EntryTemplates.LeafInput(huge, fragments).ToArray());
        Assert.Equal("""{"change":{},"index":2,"kind":"inventory-change"}""", Encoding.UTF8.GetString(EntryTemplates.Rebuild(small, fragments)));
        Assert.Equal([0, .. EntryTemplates.Rebuild(small, fragments)], EntryTemplates.LeafInput(small, fragments).ToArray());
        Assert.Equal(3 << 20, EntryTemplates.Rebuild(huge, fragments).Length - """{"change":"","index":1,"kind":"inventory-change"}""".Length);
    }

    [Fact]
    public void Packed_fragments_give_the_tables_texts_and_markers_and_rebuild_the_same_bytes()
    {
        var table = new FragmentTable();
        var random = new Random(7);
        var ids = new List<uint>();
        for (var i = 0; i < 300; i++)
        {
            // Texts of every length modulo 4 and 0..3 markers, so that records start at every alignment.
            var filler = new string('x', random.Next(0, 700));
            var slots = string.Concat(Enumerable.Range(0, i % 4).Select(k => $",\"m{k}\":\"\\u0001{"ipPl"[k]}-\""));
            ids.Add(table.Intern(Draft($"{{\"f\":\"{filler}\",\"n\":{i}{slots}}}")));
        }
        var root = table.Intern(Draft("""{"src":"\u0001S-","time":"\u0001t9","index":"\u0001i-"}"""));
        var packed = PackedFragments.Of(table);
        for (var id = 0u; id < table.Count; id++)
        {
            var text = packed.Get(id, out var markers);
            Assert.Equal(table.Get(id).ToArray(), text.ToArray());
            Assert.Equal(EntryTemplates.FindMarkers(table.Get(id)), markers.ToArray());
            Assert.Equal(text.ToArray(), packed.Get(id).ToArray());
            packed.Prefetch(id);
        }
        foreach (var id in ids)
        {
            var row = new EntryRow { Template = root, Src = id, Index = id, Time = 1_764_226_800_123_456_789, SrcPort = 80, DstPort = 443, Line = 9 };
            EntryTemplates.Prefetch(row, packed);
            Assert.Equal(EntryTemplates.Rebuild(row, table), EntryTemplates.Rebuild(row, packed));
        }
        packed.Prefetch((uint)table.Count);
        Assert.Throws<KeyNotFoundException>(() => packed.Get((uint)table.Count, out _));
    }

    [Fact]
    public void Prefetching_a_tables_fragments_rows_and_slots_changes_nothing_and_ids_beyond_it_are_ignored()
    {
        var table = new FragmentTable();
        var before = Enumerable.Range(0, 100).Select(i => table.Intern(Draft($"{{\"n\":{i},\"ip\":\"\\u0001p-\"}}"))).ToList();
        var root = table.Intern(Draft("""{"src":"\u0001S-","dst":"\u0001D-","index":"\u0001i-"}"""));
        var rows = before.Select(id => new EntryRow { Template = root, Src = id, Dst = before[^1], Ingress = id, Index = id, SrcPort = 1 }).ToList();
        var expected = rows.Select(r => EntryTemplates.Rebuild(r, table)).ToList();
        foreach (var row in rows)
        {
            EntryTemplates.PrefetchRow(row);
            EntryTemplates.PrefetchSlots(row, table);
            EntryTemplates.Prefetch(row, table);
        }
        // Ids the table does not hold yet, or ever (its arrays grow by doubling: some are past their end).
        foreach (var id in new uint[] { (uint)table.Count, 127, 128, 4096, uint.MaxValue })
        {
            table.PrefetchSlot(id);
            table.Prefetch(id);
        }
        Assert.Equal(expected, rows.Select(r => EntryTemplates.Rebuild(r, table)).ToList());
    }
}
