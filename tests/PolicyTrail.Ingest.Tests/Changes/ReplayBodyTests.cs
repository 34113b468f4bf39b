using System.Buffers;
using System.Text;
using System.Text.Json;
using PolicyTrail.Core.Flows;
using PolicyTrail.Identity.History;
using PolicyTrail.Identity.Watch;
using PolicyTrail.Ingest.Changes;
using PolicyTrail.Ingest.Entries;
using PolicyTrail.Ledger.Canonical;
using PolicyTrail.Ledger.Checkpoints;
using PolicyTrail.Ledger.DuckDb;
using PolicyTrail.Ledger.Writing;

namespace PolicyTrail.Ingest.Tests.Changes;

/// <summary>
/// The change entries <c>watch --replay</c> writes from a line's bytes (object never decoded to text, read once) against
/// the entries the code wrote before: the line read with its object as text, the evidence written by the document
/// writer (then the reference way when it declined), the body around it. Byte for byte: the bodies are hashed into the
/// ledger, and stores hold entries written the old way.
/// </summary>
public sealed class ReplayBodyTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("policytrail-replay-body-");

    public void Dispose() => _folder.Delete(recursive: true);

    /// <summary>The body as the code before the one-reading path wrote it, from the line as it read it then.</summary>
    private static byte[] OldBody(ReadOnlySpan<byte> line)
    {
        Assert.True(ChangeLines.TryRead(line, out var read, out var error), error);
        var change = read.Change!;
        string? objectError = null;
        var evidence = new ArrayBufferWriter<byte>();
        byte[]? utf8 = null;
        if (change.ObjectJson is { } json)
        {
            utf8 = Encoding.UTF8.GetBytes(json);
            try
            {
                new CanonicalEvidence().Write(change.Kind, utf8, evidence);
            }
            catch (Exception e) when (e is JsonException or JsonCanonicalizationException or InvalidOperationException or ArgumentException)
            {
                evidence.ResetWrittenCount();
                try
                {
                    var reduced = ObjectEvidence.Reduce(change.Kind, utf8);
                    var wrapped = new byte[reduced.Length + 2];
                    wrapped[0] = (byte)'[';
                    reduced.CopyTo(wrapped, 1);
                    wrapped[^1] = (byte)']';
                    var canonical = JsonCanonicalizer.Canonicalize(wrapped);
                    evidence.Write(canonical.AsSpan(1, canonical.Length - 2));
                }
                catch (Exception f) when (f is JsonException or JsonCanonicalizationException or InvalidOperationException or ArgumentException)
                {
                    objectError = f.Message;
                }
            }
        }
        var o = new ArrayBufferWriter<byte>();
        o.Write("{"u8);
        Member(o, "name"u8, change.Name, first: true);
        Member(o, "namespace"u8, change.Namespace);
        if (change.NotBefore is long.MinValue)
        {
            o.Write(",\"notBefore\":null"u8);
        }
        else if (change.NotBefore is { } notBefore)
        {
            Member(o, "notBefore"u8, new Timestamp(notBefore, 9).ToString());
        }
        if (change.ObjectJson is not null && objectError is null)
        {
            o.Write(",\"object\":"u8);
            o.Write(evidence.WrittenSpan);
        }
        if (objectError is not null)
        {
            o.Write(",\"objectError\":"u8);
            CanonicalJson.WriteUtf8String(Encoding.UTF8.GetBytes(objectError), o);
        }
        Member(o, "objectKind"u8, change.Kind);
        if (objectError is not null)
        {
            o.Write(",\"objectText\":"u8);
            CanonicalJson.WriteUtf8String(utf8, o);
        }
        Member(o, "origin"u8, change.Origin);
        Member(o, "resourceVersion"u8, change.ResourceVersion);
        Member(o, "type"u8, change.Type switch { ChangeType.Added => "added", ChangeType.Modified => "modified", _ => "deleted" });
        Member(o, "uid"u8, change.Uid);
        Member(o, "user"u8, change.User);
        o.Write("}"u8);
        return o.WrittenSpan.ToArray();
    }

    private static void Member(ArrayBufferWriter<byte> o, ReadOnlySpan<byte> name, string? value, bool first = false)
    {
        if (value is null)
        {
            return;
        }
        if (!first)
        {
            o.Write(","u8);
        }
        o.Write("\""u8);
        o.Write(name);
        o.Write("\":"u8);
        CanonicalJson.WriteString(value, o);
    }

    /// <summary>The body as the replay now writes it, from the line's bytes (in the line's pass when it can).</summary>
    private static byte[] NewBody(ChangeBodyWriter bodies, ReadOnlySpan<byte> line)
    {
        Assert.True(ChangeReplay.ReadLine(bodies, line, out var read, out var error, out var body), error);
        Assert.Null(read.Change!.ObjectJson);
        return body!;
    }

    /// <summary>The body written from the object's bytes after the line was read (the way taken when it cannot be read in place).</summary>
    private static byte[] BodyFromObjectBytes(ChangeBodyWriter bodies, ReadOnlySpan<byte> line)
    {
        Assert.True(ChangeLines.TryRead(line, out var read, out var error, out var objectJson), error);
        return objectJson is { } at ? bodies.Write(read.Change!, line[at]) : bodies.Write(read.Change!);
    }

    private static byte[] Line(ClusterChange change)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            ChangeLines.Write(json, change);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] LineWithObject(string kind, ReadOnlySpan<byte> objectJson)
    {
        var line = new List<byte>(Encoding.UTF8.GetBytes($$"""{"record":"change","time":"2026-11-27T08:00:00.000000001Z","notBefore":"2026-11-27T07:59:00Z","type":"Modified","kind":"{{kind}}","namespace":"shop","name":"web-1","uid":"u1","resourceVersion":"42","user":"alice@example.com","origin":"watch","object":"""));
        line.AddRange(objectJson);
        line.Add((byte)'}');
        return [.. line];
    }

    private static void SameBytes(ChangeBodyWriter bodies, byte[] line)
    {
        var expected = OldBody(line);
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(NewBody(bodies, line)));
        Assert.Equal(expected, NewBody(bodies, line));
        Assert.Equal(expected, BodyFromObjectBytes(bodies, line));
        // The text path (live watch, snapshots, audit logs) goes through the same writer and gives the same bytes.
        Assert.True(ChangeLines.TryRead(line, out var read, out _));
        Assert.Equal(expected, new EntryBuilder(new Ledger.Entries.FragmentTable()).Change(read.Change!, 0).Body);
    }

    [Theory]
    [InlineData(20_000, 7)] // the benchmark's seed: its first 20,000 events
    [InlineData(3_000, 11)]
    public void The_benchmark_watch_events_give_the_same_bytes_and_are_read_once(int count, int seed)
    {
        var bodies = new ChangeBodyWriter();
        var once = new CanonicalEvidence();
        foreach (var change in PolicyTrail.Benchmarks.WatchEvents.Generate(count, seed))
        {
            var line = Line(change);
            SameBytes(bodies, line);
            // Written in one reading, in the line's pass, not by a fallback: the speed the benchmark measures is this path's.
            _ = once.Write(change.Kind, Encoding.UTF8.GetBytes(change.ObjectJson!));
            Assert.True(ChangeLines.TryRead(line, bodies.InPlace(), out var read, out var error, out _), error);
            Assert.NotNull(bodies.WrittenInPlace(read.Change!));
        }
    }

    public static TheoryData<string, string> RealShaped => new()
    {
        {
            "Pod", """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"shop","uid":"u1","resourceVersion":"42",
              "labels":{"app":"web","zz":"1","a.b/c":"d"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"x\":1}","team":"a \u00e9 \ud83d\ude00 \"q\""},
              "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-5d8f","uid":"r1","controller":true}],
              "managedFields":[{"manager":"kubelet","fieldsV1":{"f:status":{}}}],"creationTimestamp":"2026-11-27T08:00:00Z","selfLink":"/x"},
             "spec":{"nodeName":"n1","serviceAccountName":"web","hostNetwork":false,"volumes":[{"name":"v"}],
              "containers":[{"name":"app","image":"nginx:1.27","command":["nginx"],"env":[{"name":"SECRET","value":"x"}],
                "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}]}],"initContainers":[{"name":"init","image":"busybox"}],"tolerations":[{"key":"k"}],"priority":-0,"overhead":{"cpu":1.50}},
             "status":{"phase":"Running","podIP":"10.0.0.7","podIPs":[{"ip":"10.0.0.7"}],"hostIP":"192.168.1.2","conditions":[{"type":"Ready"}],
              "containerStatuses":[{"name":"app","state":{"terminated":{"exitCode":0,"finishedAt":"2026-11-27T09:00:00Z"}},"restartCount":2,"image":"nginx","ready":false}],"message":"m"}}
            """
        },
        { "Pod", """{"metadata":{"name":"web-1","namespace":"shop","labels":{"app":"web"},"managedFields":[{}]},"status":{"podIP":"10.0.0.7"}}""" },
        { "NetworkPolicy", """{"kind":"NetworkPolicy","metadata":{"name":"p","namespace":"shop","managedFields":[{}]},"spec":{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"from":[{"podSelector":{"matchLabels":{"a":"b"}}}],"ports":[{"port":8080,"endPort":8090}]}]}}""" },
        { "Node", """{"kind":"Node","metadata":{"name":"n1","labels":{"kubernetes.io/hostname":"n1"}},"spec":{"podCIDR":"10.1.2.0/24","podCIDRs":["10.1.2.0/24"]},"status":{"addresses":[{"type":"InternalIP","address":"192.168.1.2"}],"images":[{"names":["x"],"sizeBytes":123456789012}],"capacity":{"cpu":"4"},"conditions":[]}}""" },
        { "ReplicaSet", """{"kind":"ReplicaSet","metadata":{"name":"web-5d8f","ownerReferences":[{"kind":"Deployment","name":"web"}]},"spec":{"replicas":3,"template":{"spec":{}}},"status":{"replicas":3}}""" },
        { "Job", """{"kind":"Job","metadata":{"name":"j","ownerReferences":[{"kind":"CronJob","name":"c"}]},"spec":{"template":{}},"status":{"succeeded":1,"conditions":[],"uncountedTerminatedPods":{}}}""" },
        { "EndpointSlice", """{"kind":"EndpointSlice","metadata":{"name":"web-abc","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.7"],"conditions":{"ready":true},"targetRef":{"kind":"Pod","name":"web-1"}}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}""" },
        { "Service", """{"kind":"Service","metadata":{"name":"web"},"spec":{"clusterIP":"10.96.0.10","ports":[{"port":80,"targetPort":8080}],"selector":{"app":"web"}}}""" },
        // Odd but readable, and unreadable: kept as text with the reason, exactly as before.
        { "Pod", """{"b":1,"a":{"d":[{"z":1,"y":2}],"c":null},"a2":"\u0041\n","é":1,"\ud83d\ude00":2,"\uffff":3}""" },
        { "Pod", """{"a":1,"a":2}""" },
        { "Pod", """{"metadata":{"managedFields":1,"managedFields":2,"name":"x"}}""" },
        { "Pod", """{"a":1e400,"b":1.0}""" },
        { "Pod", """{"a":"\ud800"}""" },
        { "Pod", "null" },
        { "Pod", "[1,2,{\"b\":1,\"a\":2}]" },
        { "Pod", "\"text\"" },
        { "Pod", "-0.0" },
    };

    [Theory]
    [MemberData(nameof(RealShaped))]
    public void Real_shaped_and_odd_objects_give_the_same_bytes(string kind, string json) =>
        SameBytes(new ChangeBodyWriter(), LineWithObject(kind, Encoding.UTF8.GetBytes(json)));

    [Theory]
    // The object before the kind: read after the line, from its bytes.
    [InlineData("""{"record":"change","object":{"b":1,"a":{"managedFields":1}},"time":"2026-11-27T08:00:00Z","type":"Added","kind":"Pod","name":"a","origin":"watch"}""")]
    // The kind named again after the object, differently: the rules of the last kind apply.
    [InlineData("""{"record":"change","time":"2026-11-27T08:00:00Z","type":"Added","kind":"Service","name":"a","origin":"watch","object":{"spec":{"volumes":[1],"x":2}},"kind":"Pod"}""")]
    // Two objects: the last counts.
    [InlineData("""{"record":"change","time":"2026-11-27T08:00:00Z","type":"Added","kind":"Pod","name":"a","origin":"watch","object":{"first":1},"object":{"z":1,"second":2}}""")]
    [InlineData("""{"record":"change","time":"2026-11-27T08:00:00Z","type":"Added","kind":"Pod","name":"a","origin":"watch","object":{"a":1,"a":2},"object":{"z":1,"second":2}}""")]
    [InlineData("""{"record":"change","time":"2026-11-27T08:00:00Z","type":"Added","kind":"Pod","name":"a","origin":"watch","object":{"z":1},"object":{"a":1,"a":2}}""")]
    [InlineData("""{"record":"change","time":"2026-11-27T08:00:00Z","type":"Added","kind":"Pod","name":"a","origin":"watch","object":null}""")]
    [InlineData("""{"record":"change","time":"2026-11-27T08:00:00Z","type":"Added","kind":"Pod","name":"a","origin":"watch"}""")]
    [InlineData("""{"record":"change","time":"2026-11-27T08:00:00Z","type":"Added","kind":"Pod","name":"a","origin":"watch","object":[{"b":{"d":1,"c":[]}}],"user":"é"}""")]
    [InlineData("""{"record":"change","time":"2026-11-27T08:00:00Z","type":"Added","kind":"Pod","name":"a","origin":"watch","object":{"metadata":{"managedFields":[],"name":"x"}}}""")]
    public void Lines_the_object_cannot_be_read_in_give_the_same_bytes(string line) =>
        SameBytes(new ChangeBodyWriter(), Encoding.UTF8.GetBytes(line));

    [Fact]
    public void A_line_that_is_not_UTF8_outside_its_object_gives_the_same_bytes()
    {
        // In a member the reader ignores: the line is read, without reading the object in place.
        byte[] line = [.. "{\"record\":\"change\",\"extra\":\"x"u8, 0xFF, .. "\",\"time\":\"2026-11-27T08:00:00Z\",\"type\":\"Added\",\"kind\":\"Pod\",\"name\":\"a\",\"origin\":\"watch\",\"object\":{\"b\":1,\"a\":2}}"u8];
        SameBytes(new ChangeBodyWriter(), line);
        // In the name: refused, for the reason it always was.
        byte[] refused = [.. "{\"record\":\"change\",\"time\":\"2026-11-27T08:00:00Z\",\"type\":\"Added\",\"kind\":\"Pod\",\"name\":\"a"u8, 0xFF, .. "\",\"origin\":\"watch\",\"object\":{\"b\":1,\"a\":2}}"u8];
        Assert.False(ChangeLines.TryRead(refused, out _, out var expected));
        Assert.False(ChangeReplay.ReadLine(new ChangeBodyWriter(), refused, out _, out var actual, out _));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Deep_objects_give_the_same_bytes_where_they_are_refused_or_dropped()
    {
        var bodies = new ChangeBodyWriter();
        foreach (var kind in new[] { "Pod", "Service" })
        {
            for (var depth = 55; depth <= 70; depth++)
            {
                SameBytes(bodies, LineWithObject(kind, Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth))));
                SameBytes(bodies, LineWithObject(kind, Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth))));
            }
            SameBytes(bodies, LineWithObject(kind, Encoding.UTF8.GetBytes("{\"metadata\":{\"managedFields\":" + new string('[', 100) + new string(']', 100) + ",\"name\":\"x\"}}")));
            for (var depth = 55; depth <= 66; depth++)
            {
                // Deep inside what the reduction drops: the nesting limit still applies where it did.
                SameBytes(bodies, LineWithObject(kind, Encoding.UTF8.GetBytes("{\"metadata\":{\"managedFields\":" + new string('[', depth) + new string(']', depth) + ",\"name\":\"x\"}}")));
                SameBytes(bodies, LineWithObject(kind, Encoding.UTF8.GetBytes("{\"spec\":{\"volumes\":" + string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth) + "}}")));
            }
        }
    }

    [Fact]
    public void Bytes_that_are_not_UTF8_give_what_decoding_them_gave()
    {
        var bodies = new ChangeBodyWriter();
        byte[][] objects =
        [
            [.. "{\"a\":\"x"u8, 0xFF, .. "y\"}"u8],
            [.. "{\"metadata\":{\"managedFields\":[\""u8, 0xC3, .. "\"],\"name\":\"n\"}}"u8],
            [.. "{\""u8, 0xED, 0xA0, 0x80, .. "\":1}"u8], // an encoded surrogate
            [.. "{\"b\":\"\xC3\xA9\",\"a\":\""u8, 0xF0, 0x9F, .. "\"}"u8],
        ];
        var compared = 0;
        foreach (var json in objects)
        {
            var line = LineWithObject("Pod", json);
            if (ChangeLines.TryRead(line, out _, out _))
            {
                SameBytes(bodies, line);
                compared++;
            }
        }
        // The line reader takes such bytes (they are only decoded): the comparison happened.
        Assert.Equal(objects.Length, compared);
    }

    [Fact]
    public void Random_objects_give_the_same_bytes()
    {
        var bodies = new ChangeBodyWriter();
        var kinds = new[] { "Pod", "Node", "ReplicaSet", "Job", "Service" };
        var compared = 0;
        for (var seed = 0; seed < 3_000; seed++)
        {
            var random = new Random(seed);
            var json = CanonicalEvidenceTests.RandomJson(random);
            var line = LineWithObject(kinds[random.Next(kinds.Length)], Encoding.UTF8.GetBytes(json));
            // The random text may not be a JSON value at all; then the line is refused by both, and there is no body.
            if (ChangeLines.TryRead(line, out _, out _))
            {
                SameBytes(bodies, line);
                compared++;
            }
        }
        Assert.True(compared > 2_000, $"{compared} of 3,000 compared");
    }

    [Fact]
    public void A_replayed_file_stores_the_bodies_the_old_path_wrote()
    {
        var file = Path.Combine(_folder.FullName, "changes.jsonl");
        var lines = PolicyTrail.Benchmarks.WatchEvents.Generate(2_000, 5).Select(Line)
            .Append(LineWithObject("Pod", """{"a":1,"a":2}"""u8))
            .Append("""{"record":"change","time":"2026-11-27T08:00:00Z","type":"Deleted","kind":"Pod","name":"gone","origin":"watch"}"""u8.ToArray())
            .ToList();
        using (var output = File.Create(file))
        {
            foreach (var line in lines)
            {
                output.Write(line);
                output.WriteByte((byte)'\n');
            }
        }
        var (signerKey, _) = NoteKeys.Generate("test");
        using var signer = NoteSigner.FromKey(signerKey);
        using var store = DuckDbLedgerStore.Open(Path.Combine(_folder.FullName, "s.duckdb"));
        var writer = LedgerWriter.Open(store, signer, "example.com/log");
        var summary = ChangeReplay.Run(new ChangeRecorder(writer, commitEntries: 500), writer, file, TextWriter.Null, TestContext.Current.CancellationToken);
        Assert.Equal((long)lines.Count, summary.Changes);
        var stored = store.ReadEntries(0, writer.Size).Select(row => row.Body!).ToList();
        Assert.Equal(lines.Count, stored.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            Assert.Equal(OldBody(lines[i]), stored[i]);
        }
    }
}
