using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using PolicyTrail.Core.Cluster;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PolicyTrail.Identity.Snapshots;

/// <summary>
/// Reads what <c>kubectl get &lt;kinds&gt; -A -o json|yaml</c> prints — a List, single objects, concatenated JSON or
/// multi-document YAML, plain or gzip — from files and folders into a <see cref="ClusterSnapshot"/>.
/// Unknown kinds are skipped and counted; a malformed file raises <see cref="SnapshotFormatException"/>
/// with every problem as "file:position: what".
/// </summary>
public static class KubectlOutputReader
{
    private static readonly string[] Extensions = [".json", ".yaml", ".yml", ".json.gz", ".yaml.gz", ".yml.gz"];

    /// <summary>Reads every file given, and every .json/.yaml/.yml file under every folder given, in name order.</summary>
    public static SnapshotReadResult Read(IEnumerable<string> paths) => Read(paths, new SnapshotBuilder());

    /// <summary>
    /// Reads like <see cref="Read(IEnumerable{string})"/> and also keeps every object the identity history follows
    /// (ReplicaSets and Jobs included) with its JSON in <see cref="SnapshotReadResult.Objects"/>, for
    /// <see cref="History.ClusterTimelineBuilder.DiffSnapshot"/>.
    /// </summary>
    public static SnapshotReadResult ReadObjects(IEnumerable<string> paths) => Read(paths, new SnapshotBuilder { Objects = [] });

    /// <summary>Reads one document's text like <see cref="ReadObjects(IEnumerable{string})"/>.</summary>
    public static SnapshotReadResult ReadObjectsText(string text, string name = "<input>") => ReadText(text, name, new SnapshotBuilder { Objects = [] });

    private static SnapshotReadResult Read(IEnumerable<string> paths, SnapshotBuilder builder)
    {
        var files = 0;
        foreach (var file in Expand(paths))
        {
            files++;
            ReadFile(file, builder);
        }
        if (builder.Problems.Count > 0)
        {
            throw new SnapshotFormatException(builder.Problems);
        }
        return builder.Build(files);
    }

    /// <summary>Reads one document's text (JSON or YAML) as if it were a file with the given name.</summary>
    public static SnapshotReadResult ReadText(string text, string name = "<input>") => ReadText(text, name, new SnapshotBuilder());

    private static SnapshotReadResult ReadText(string text, string name, SnapshotBuilder builder)
    {
        ReadBytes(name, Encoding.UTF8.GetBytes(text), builder);
        if (builder.Problems.Count > 0)
        {
            throw new SnapshotFormatException(builder.Problems);
        }
        return builder.Build(1);
    }

    private static IEnumerable<string> Expand(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => Extensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (found.Count == 0)
                {
                    throw new SnapshotFormatException($"{path}: folder holds no .json, .yaml or .yml file");
                }
                foreach (var file in found)
                {
                    yield return file;
                }
            }
            else if (File.Exists(path))
            {
                yield return path;
            }
            else
            {
                throw new SnapshotFormatException($"{path}: no such file or folder");
            }
        }
    }

    private static void ReadFile(string file, SnapshotBuilder builder)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (IOException e)
        {
            throw new SnapshotFormatException($"{file}: cannot read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new SnapshotFormatException($"{file}: cannot read: {e.Message}", e);
        }
        ReadBytes(file, bytes, builder);
    }

    private static void ReadBytes(string file, byte[] bytes, SnapshotBuilder builder)
    {
        if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
        {
            try
            {
                using var input = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var output = new MemoryStream();
                input.CopyTo(output);
                bytes = output.ToArray();
            }
            catch (InvalidDataException e)
            {
                builder.Problems.Add($"{file}: corrupt gzip data: {e.Message}");
                return;
            }
        }
        var start = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        var first = start;
        while (first < bytes.Length && bytes[first] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            first++;
        }
        if (first == bytes.Length)
        {
            builder.Problems.Add($"{file}: file is empty");
            return;
        }
        if (Array.IndexOf(bytes, (byte)0, start, Math.Min(bytes.Length - start, 8192)) >= 0)
        {
            builder.Problems.Add($"{file}: binary data, not JSON or YAML");
            return;
        }
        if (bytes[first] is (byte)'{' or (byte)'[')
        {
            ReadJson(file, bytes.AsMemory(start), builder);
        }
        else
        {
            ReadYaml(file, Encoding.UTF8.GetString(bytes, start, bytes.Length - start), builder);
        }
    }

    private static void ReadJson(string file, ReadOnlyMemory<byte> json, SnapshotBuilder builder)
    {
        var documents = new List<JsonDocument>();
        try
        {
            var reader = new Utf8JsonReader(json.Span, new JsonReaderOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
                AllowMultipleValues = true,
            });
            while (true)
            {
                if (!reader.Read())
                {
                    break;
                }
                documents.Add(JsonDocument.ParseValue(ref reader));
            }
        }
        catch (JsonException e)
        {
            builder.Problems.Add($"{file}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: invalid JSON: {TrimJsonMessage(e.Message)}");
            return;
        }
        for (var d = 0; d < documents.Count; d++)
        {
            using var document = documents[d];
            var path = documents.Count == 1 ? "$" : string.Create(CultureInfo.InvariantCulture, $"$[document {d}]");
            var context = new ObjectContext(file, null);
            if (document.RootElement.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in document.RootElement.EnumerateArray())
                {
                    Handle(item, context, string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]"), null, builder);
                }
            }
            else
            {
                Handle(document.RootElement, context, path, null, builder);
            }
        }
    }

    private static void ReadYaml(string file, string text, SnapshotBuilder builder)
    {
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            builder.Problems.Add($"{file}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {TrimYamlMessage(e)}");
            return;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet reports some structural errors this way; the last event read says where it stopped.
            var at = parser.Current?.End;
            builder.Problems.Add($"{file}:{at?.Line ?? 1}:{at?.Column ?? 1}: invalid YAML: the structure breaks here (an unclosed [ or {{, or wrong indentation)");
            return;
        }
        foreach (var document in stream.Documents)
        {
            var root = document.RootNode;
            if (root is YamlScalarNode { Value: null or "" })
            {
                continue;
            }
            if (root is not YamlMappingNode and not YamlSequenceNode)
            {
                builder.Problems.Add($"{file}:{root.Start.Line}: expected a Kubernetes object, found a plain value; is this a kubectl -o yaml output?");
                continue;
            }
            var json = JsonSerializer.SerializeToElement(YamlToJson.Convert(root));
            Handle(json, new ObjectContext(file, root), "$", null, builder);
        }
    }

    private sealed record ObjectContext(string File, YamlNode? YamlRoot)
    {
        public string Position(string path) =>
            YamlRoot is null ? $"{File}: {path}" : $"{File}:{YamlToJson.LineOf(YamlRoot, path)}";
    }

    private static void Handle(JsonElement element, ObjectContext context, string path, string? defaultKind, SnapshotBuilder builder)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            builder.Problems.Add($"{context.Position(path)}: expected a Kubernetes object, found {element.ValueKind.ToString().ToLowerInvariant()}");
            return;
        }
        var kind = element.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : defaultKind;
        if (element.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array
            && (kind is null || kind.EndsWith("List", StringComparison.Ordinal)))
        {
            var itemKind = kind is null or "List" ? null : kind[..^"List".Length];
            var i = 0;
            foreach (var item in items.EnumerateArray())
            {
                Handle(item, context, string.Create(CultureInfo.InvariantCulture, $"{path}.items[{i++}]"), itemKind, builder);
            }
            return;
        }
        if (string.IsNullOrEmpty(kind))
        {
            builder.Skip("(no kind)");
            return;
        }
        var apiVersion = element.TryGetProperty("apiVersion", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        // Other APIs reuse these kind names (Calico's projectcalico.org/v3 NetworkPolicy): only the upstream ones are followed.
        var upstream = kind switch
        {
            "NetworkPolicy" => apiVersion is null or "networking.k8s.io/v1" or "extensions/v1beta1",
            "AdminNetworkPolicy" or "BaselineAdminNetworkPolicy" => apiVersion is null or "policy.networking.k8s.io/v1alpha1",
            _ => true,
        };
        if (builder.Objects is not null && upstream && Keep(element, kind, context, path) is { } kept)
        {
            builder.Objects.Add(kept);
            if (kind is "ReplicaSet" or "Job")
            {
                return;
            }
        }
        switch (kind)
        {
            case "Namespace":
                Map<V1Namespace>(element, context, path, kind, builder, (o, s, _) => builder.Add(kind, o.Metadata?.Name, ObjectMapper.Namespace(o, s)));
                break;
            case "Pod":
                Map<V1Pod>(element, context, path, kind, builder, (o, s, p) => builder.Add(kind, Key(o.Metadata), ObjectMapper.Pod(o, s, p)));
                break;
            case "Service":
                Map<V1Service>(element, context, path, kind, builder, (o, s, p) => builder.Add(kind, Key(o.Metadata), ObjectMapper.Service(o, s, p)));
                break;
            case "EndpointSlice":
                Map<V1EndpointSlice>(element, context, path, kind, builder, (o, s, p) => builder.Add(kind, Key(o.Metadata), ObjectMapper.EndpointSlice(o, s, p)));
                break;
            case "Node":
                Map<V1Node>(element, context, path, kind, builder, (o, s, p) => builder.Add(kind, o.Metadata?.Name, ObjectMapper.Node(o, s, p)));
                break;
            case "NetworkPolicy" when apiVersion is null or "networking.k8s.io/v1" or "extensions/v1beta1":
                Map<V1NetworkPolicy>(element, context, path, kind, builder, (o, s, p) => builder.Add(kind, Key(o.Metadata), ObjectMapper.NetworkPolicy(o, s, p)));
                break;
            case "AdminNetworkPolicy" or "BaselineAdminNetworkPolicy" when apiVersion is null or "policy.networking.k8s.io/v1alpha1":
                MapAdmin(element, context, path, kind, builder);
                break;
            default:
                builder.Skip(apiVersion is null || kind is not ("NetworkPolicy" or "AdminNetworkPolicy" or "BaselineAdminNetworkPolicy") ? kind : $"{kind} ({apiVersion})");
                break;
        }
    }

    private static readonly HashSet<string> Followed =
    [
        "Pod", "Namespace", "Service", "EndpointSlice", "Node", "NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ReplicaSet", "Job",
    ];

    private static readonly HashSet<string> ClusterScoped = ["Namespace", "Node", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"];

    /// <summary>The object as the identity history takes it; null for kinds it does not follow or objects without a name (reported by the mapping).</summary>
    private static KubeObject? Keep(JsonElement element, string kind, ObjectContext context, string path)
    {
        if (!Followed.Contains(kind) || !element.TryGetProperty("metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        string? Text(string property) =>
            metadata.TryGetProperty(property, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        var name = Text("name");
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }
        var ns = ClusterScoped.Contains(kind) ? null : Text("namespace") is { Length: > 0 } given ? given : "default";
        DateTimeOffset? created = DateTimeOffset.TryParse(Text("creationTimestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var c) ? c : null;
        var location = new SourceLocation(context.File, context.YamlRoot is null ? path : YamlToJson.LineOf(context.YamlRoot, path).ToString(CultureInfo.InvariantCulture));
        return new KubeObject(kind, ns, name, Text("uid"), Text("resourceVersion"), element.GetRawText()) { CreationTime = created, Source = location };
    }

    private static string Key(V1ObjectMeta? metadata) => $"{ObjectMapper.NamespaceOf(metadata)}/{metadata?.Name}";

    private static void Map<T>(JsonElement element, ObjectContext context, string path, string kind, SnapshotBuilder builder, Action<T, SourceLocation, ProblemSink> add)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        T model;
        try
        {
            model = KubernetesJson.Deserialize<T>(element);
        }
        catch (JsonException e)
        {
            var fieldPath = e.Path ?? "$";
            builder.Problems.Add($"{context.Position(Combine(path, fieldPath))}: {kind}: {fieldPath[1..].TrimStart('.')}: {TrimJsonMessage(e.Message)}");
            return;
        }
        catch (FormatException e)
        {
            builder.Problems.Add($"{context.Position(path)}: {kind}: {e.Message}");
            return;
        }
        var name = model.Metadata?.Name;
        var display = kind is "Namespace" or "Node" ? $"{kind} {name}" : $"{kind} {ObjectMapper.NamespaceOf(model.Metadata)}/{name}";
        if (string.IsNullOrEmpty(name))
        {
            builder.Problems.Add($"{context.Position(Combine(path, "$.metadata"))}: {kind}: metadata.name is missing");
            return;
        }
        var location = new SourceLocation(context.File, context.YamlRoot is null ? path : YamlToJson.LineOf(context.YamlRoot, path).ToString(CultureInfo.InvariantCulture));
        var problems = new ProblemSink();
        add(model, location, problems);
        foreach (var (field, message) in problems.Items)
        {
            builder.Problems.Add($"{context.Position(Combine(path, field))}: {display}: {field[1..].TrimStart('.')}: {message}");
        }
    }

    /// <summary>Admin policies have no KubernetesClient model: read from the JSON element, with the same message shape.</summary>
    private static void MapAdmin(JsonElement element, ObjectContext context, string path, string kind, SnapshotBuilder builder)
    {
        string? name = null;
        if (element.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
        {
            name = n.GetString();
        }
        if (string.IsNullOrEmpty(name))
        {
            builder.Problems.Add($"{context.Position(Combine(path, "$.metadata"))}: {kind}: metadata.name is missing");
            return;
        }
        var location = new SourceLocation(context.File, context.YamlRoot is null ? path : YamlToJson.LineOf(context.YamlRoot, path).ToString(CultureInfo.InvariantCulture));
        var problems = new ProblemSink();
        var adminKind = kind == "AdminNetworkPolicy" ? AdminPolicyKind.AdminNetworkPolicy : AdminPolicyKind.BaselineAdminNetworkPolicy;
        var policy = AdminPolicyMapper.Map(element, adminKind, name, location, problems);
        foreach (var (field, message) in problems.Items)
        {
            builder.Problems.Add($"{context.Position(Combine(path, field))}: {kind} {name}: {field[1..].TrimStart('.')}: {message}");
        }
        builder.Add(kind, name, policy);
    }

    private static string Combine(string objectPath, string fieldPath) => objectPath + fieldPath.TrimStart('$');

    private static string TrimJsonMessage(string message)
    {
        foreach (var marker in new[] { " Path: ", " LineNumber: " })
        {
            var i = message.IndexOf(marker, StringComparison.Ordinal);
            if (i > 0)
            {
                message = message[..i];
            }
        }
        return message.TrimEnd('.', ' ');
    }

    private static string TrimYamlMessage(YamlException e)
    {
        var message = e.Message;
        var i = message.IndexOf("): ", StringComparison.Ordinal);
        return i > 0 && message.StartsWith('(') ? message[(i + 3)..] : message;
    }
}
