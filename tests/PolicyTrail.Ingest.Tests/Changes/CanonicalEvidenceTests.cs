using System.Buffers;
using System.Text;
using System.Text.Json;
using CsCheck;
using PolicyTrail.Core.Flows;
using PolicyTrail.Identity.History;
using PolicyTrail.Ingest.Changes;
using PolicyTrail.Ingest.Entries;
using PolicyTrail.Ledger.Canonical;
using PolicyTrail.Ledger.Entries;

namespace PolicyTrail.Ingest.Tests.Changes;

/// <summary>
/// The change entry's body, written canonically in one walk, against the way it was made before: the body written with
/// Utf8JsonWriter around <see cref="ObjectEvidence.Reduce"/>, then <see cref="JsonCanonicalizer.Canonicalize"/>.
/// </summary>
public sealed class CanonicalEvidenceTests
{
    private static ClusterChange Change(string kind, string json, string name = "web-1") => new()
    {
        Time = 1_764_230_400_000_000_001,
        NotBefore = 1_764_230_300_000_000_000,
        Type = ChangeType.Modified,
        Kind = kind,
        Namespace = "shop",
        Name = name,
        Uid = "uid-1",
        ResourceVersion = "42",
        ObjectJson = json,
        User = "alice@example.com",
        Origin = "watch",
    };

    /// <summary>The body as it was made before the direct writer (throws where that threw).</summary>
    private static byte[] Reference(ClusterChange change)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", change.Type switch { ChangeType.Added => "added", ChangeType.Modified => "modified", _ => "deleted" });
            w.WriteString("objectKind", change.Kind);
            if (change.Namespace is not null)
            {
                w.WriteString("namespace", change.Namespace);
            }
            w.WriteString("name", change.Name);
            if (change.Uid is not null)
            {
                w.WriteString("uid", change.Uid);
            }
            if (change.ResourceVersion is not null)
            {
                w.WriteString("resourceVersion", change.ResourceVersion);
            }
            if (change.NotBefore is { } notBefore)
            {
                w.WriteString("notBefore", new Timestamp(notBefore, 9).ToString());
            }
            if (change.User is not null)
            {
                w.WriteString("user", change.User);
            }
            w.WriteString("origin", change.Origin);
            if (change.ObjectJson is { } json)
            {
                byte[]? reduced = null;
                try
                {
                    reduced = ObjectEvidence.Reduce(change.Kind, Encoding.UTF8.GetBytes(json));
                }
                catch (JsonException e)
                {
                    w.WriteString("objectText", json);
                    w.WriteString("objectError", e.Message);
                }
                if (reduced is not null)
                {
                    w.WritePropertyName("object");
                    w.WriteRawValue(reduced, skipInputValidation: true);
                }
            }
            w.WriteEndObject();
        }
        return JsonCanonicalizer.Canonicalize(buffer.WrittenSpan);
    }

    private static bool SameAsReference(ClusterChange change, bool mayHaveThrown = false)
    {
        var actual = new EntryBuilder(new FragmentTable()).Change(change, 0).Body!;
        byte[] expected;
        try
        {
            expected = Reference(change);
        }
        catch (Exception e) when (mayHaveThrown && e is JsonCanonicalizationException or InvalidOperationException or ArgumentException)
        {
            // What used to throw out of EntryBuilder.Change is now kept as text with the reason.
            using var body = JsonDocument.Parse(actual);
            Assert.Equal(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(change.ObjectJson!)), body.RootElement.GetProperty("objectText").GetString());
            Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("objectError").GetString()));
            Assert.False(body.RootElement.TryGetProperty("object", out _));
            Assert.Equal(actual, JsonCanonicalizer.Canonicalize(actual));
            return false;
        }
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));
        Assert.Equal(expected, actual);
        return true;
    }

    [Fact]
    public void The_benchmark_watch_events_give_the_same_bytes()
    {
        foreach (var change in PolicyTrail.Benchmarks.WatchEvents.Generate(3_000, 11))
        {
            Assert.True(SameAsReference(change));
        }
    }

    [Fact]
    public void The_benchmark_watch_events_take_the_fast_way()
    {
        var evidence = new CanonicalEvidence();
        var output = new ArrayBufferWriter<byte>();
        foreach (var change in PolicyTrail.Benchmarks.WatchEvents.Generate(500, 5))
        {
            output.ResetWrittenCount();
            evidence.Write(change.Kind, Encoding.UTF8.GetBytes(change.ObjectJson!), output);
        }
    }

    [Theory]
    [InlineData("Pod", """{"metadata":{"name":"a\"b\\c\/d\u0001\u001f\t\n\r\b\f\u00e9\u2028\ud83d\ude00","managedFields":[1]}}""")]
    [InlineData("Pod", """{"é":1,"e":2,"z":3,"\u00e9":4}""", true)]
    [InlineData("Pod", """{"\ud83d\ude00":1,"\uffff":2,"\ue000":3,"\ud7ff":4,"a":5,"":6}""")]
    [InlineData("Pod", """{"😀":1,"￿":2,"":3,"퟿":4,"\ud800\udc00":5}""")]
    [InlineData("Pod", """{"n":[1e21,1E21,0.1,-0,-0.0,1.0,12345678901234567890,9007199254740991,9007199254740993,123456789012345,1234567890123456,-1234567890123456,5e-7,1e-6,0.000001,1.5e300,-1e-300,100,0]}""")]
    [InlineData("Pod", """ { "spec" : { "containers" : [ { "name" : "app" , "image" : "x" , "ports" : [ { "containerPort" : 80 } ] } ] , "volumes" : [ ] } } """)]
    [InlineData("Pod", """{"spec":{"containers":[{"name":"a","name2":1,"ports":null},{"image":"x"}]},"status":{"containerStatuses":[{"name":"a","state":{"running":{}},"restartCount":3,"image":"x"}],"initContainerStatuses":[{"name":"i","state":{},"restartCount":1}],"conditions":[1]}}""")]
    [InlineData("Pod", """{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}","kubectl":{"kubernetes":{"io/last-applied-configuration":1,"x":2}},"other":"y"}},"metadata.managedFields":1,"spec.volumes":2}""")]
    [InlineData("Pod", """{"":{"metadata":{"managedFields":1,"name":"n"}},"spec":{"":{"containers":[{"image":1}]}}}""")]
    [InlineData("Pod", """[{"metadata":{"managedFields":1}},[[{"spec":{"volumes":1}}]]]""")]
    [InlineData("Node", """{"metadata":{"name":"n1","managedFields":[]},"status":{"images":[1],"addresses":[{"type":"InternalIP","address":"10.0.0.1"}],"capacity":{"cpu":"4"}}}""")]
    [InlineData("ReplicaSet", """{"metadata":{"ownerReferences":[{"kind":"Deployment","name":"d"}]},"spec":{"template":{"x":1},"replicas":3},"status":{"a":1}}""")]
    [InlineData("Job", """{"spec":{"template":{"x":1}},"status":{"conditions":[],"succeeded":1}}""")]
    [InlineData("NetworkPolicy", """{"spec":{"podSelector":{},"volumes":[1],"containers":[{"image":"kept"}]}}""")]
    [InlineData("Pod", "null")]
    [InlineData("Pod", "\"text\"")]
    [InlineData("Pod", "[]")]
    [InlineData("Pod", "{}")]
    [InlineData("Pod", "-0")]
    // Malformed: kept as text with the reason, exactly as before.
    [InlineData("Pod", """{"a":""")]
    [InlineData("Pod", """{"a":1}{}""")]
    [InlineData("Pod", "")]
    [InlineData("Pod", "   ")]
    [InlineData("Pod", "not json")]
    [InlineData("Pod", """{'a':1}""")]
    [InlineData("Pod", """{"a":1,}""")]
    [InlineData("Pod", """{"a":01}""")]
    [InlineData("Pod", "\uFEFF{}")]
    // Duplicates: refused unless the reduction drops them.
    [InlineData("Pod", """{"metadata":{"managedFields":1,"managedFields":2,"name":"x"}}""", true)]
    [InlineData("Pod", """{"spec":{"containers":[{"image":1,"image":2,"name":"x"}]}}""", true)]
    [InlineData("Pod", """{"a":1,"a":2}""", true)]
    [InlineData("Pod", """{"a":1,"\u0061":2}""", true)]
    [InlineData("Pod", """{"e\u0301":1,"é":2}""")]
    // Numbers a double cannot hold, lone surrogates: refused unless dropped.
    [InlineData("Pod", """{"a":1e400}""", true)]
    [InlineData("Pod", """{"metadata":{"managedFields":[1e400]}}""", true)]
    [InlineData("Pod", """{"a":"\ud800"}""", true)]
    [InlineData("Pod", """{"a":"\udc00x"}""", true)]
    [InlineData("Pod", """{"\ud800":1}""", true)]
    [InlineData("Pod", """{"spec":{"containers":[{"\ud800":1,"name":"x"}]}}""", true)]
    [InlineData("Pod", """{"metadata":{"managedFields":["\ud800"]}}""", true)]
    public void Hand_written_objects_give_the_same_bytes(string kind, string json, bool mayHaveThrown = false) =>
        _ = SameAsReference(Change(kind, json), mayHaveThrown);

    [Fact]
    public void A_lone_surrogate_char_in_the_text_never_throws()
    {
        _ = SameAsReference(Change("Pod", "{\"a\":\"x\uD800y\"}"), mayHaveThrown: true);
        _ = SameAsReference(Change("Pod", "{\"a\":\"x\uD800y"), mayHaveThrown: true);
    }

    [Fact]
    public void Nesting_is_refused_exactly_where_it_was()
    {
        foreach (var kind in new[] { "Pod", "Service" })
        {
            for (var depth = 55; depth <= 70; depth++)
            {
                _ = SameAsReference(Change(kind, new string('[', depth) + new string(']', depth)), mayHaveThrown: true);
                _ = SameAsReference(Change(kind, string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth)), mayHaveThrown: true);
            }
            // Deep, but inside what the reduction drops.
            _ = SameAsReference(Change(kind, "{\"metadata\":{\"managedFields\":" + new string('[', 100) + new string(']', 100) + ",\"name\":\"x\"}}"), mayHaveThrown: true);
            _ = SameAsReference(Change(kind, "{\"metadata\":{\"managedFields\":" + new string('[', 300) + new string(']', 300) + "}}"), mayHaveThrown: true);
        }
    }

    [Fact]
    public void Names_sort_by_UTF16_code_units()
    {
        string[] names = ["a", "", "ab", "é", "\uE000", "\uFFFF", "\uD7FF", "\U0001F600", "\U00010000", "\U0010FFFF", "z", "\u0080", "\u07FF", "\u0800"];
        foreach (var a in names)
        {
            foreach (var b in names)
            {
                Assert.Equal(Math.Sign(string.CompareOrdinal(a, b)), Math.Sign(CanonicalEvidence.CompareUtf16Order(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b))));
            }
        }
    }

    [Fact]
    public void Random_JSON_gives_the_same_bytes()
    {
        var canonicalized = 0;
        Gen.Select(Gen.Int, Gen.Int[0, 4]).Sample((seed, k) =>
        {
            var kind = new[] { "Pod", "Node", "ReplicaSet", "Job", "Service" }[k];
            if (SameAsReference(Change(kind, RandomJson(new Random(seed))), mayHaveThrown: true))
            {
                Interlocked.Increment(ref canonicalized);
            }
        }, iter: 3_000);
        // Most random objects are canonicalizable: the comparison is of bytes, not only of refusals.
        Assert.True(canonicalized > 1_000, $"{canonicalized} of 3,000 canonicalized");
    }

    private static readonly string[] Names =
    [
        "metadata", "spec", "status", "managedFields", "selfLink", "annotations", "kubectl.kubernetes.io/last-applied-configuration",
        "containers", "initContainers", "containerStatuses", "name", "ports", "state", "restartCount", "volumes", "images", "template",
        "conditions", "a", "b", "", "é", "\u00e9", "\uE000", "\uFFFD", "😀", "\U00010000", "kubectl", "kubernetes", "io/last-applied-configuration",
        "x.y", "spec.volumes", "\\u0041", "\\n", "\\ud83d\\ude00", "\\\"q\\\"",
    ];

    private static readonly string[] Scalars =
    [
        "0", "-0", "1", "-1", "0.1", "1.0", "1e21", "1E-7", "12345678901234567890", "9007199254740993", "123456789012345", "-1234567890123456",
        "1e400", "true", "false", "null", "\"\"", "\"x\"", "\"é😀\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"a\\tb\\u0001\\/\"", "\"\u2028\"",
    ];

    internal static string RandomJson(Random random)
    {
        var sb = new StringBuilder();
        Value(sb, random, 0);
        return sb.ToString();
    }

    private static void Value(StringBuilder sb, Random random, int depth)
    {
        var roll = depth > 6 ? 9 : random.Next(10);
        if (roll < 4)
        {
            sb.Append('{');
            var n = random.Next(6);
            for (var i = 0; i < n; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                }
                sb.Append('"').Append(Names[random.Next(Names.Length)]).Append("\":");
                Value(sb, random, depth + 1);
            }
            sb.Append('}');
        }
        else if (roll < 6)
        {
            sb.Append('[');
            var n = random.Next(4);
            for (var i = 0; i < n; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                }
                Value(sb, random, depth + 1);
            }
            sb.Append(']');
        }
        else
        {
            sb.Append(Scalars[random.Next(Scalars.Length)]);
        }
    }
}
