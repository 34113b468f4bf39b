using System.Buffers;
using System.Text.Json;
using PolicyTrail.Identity.History;

namespace PolicyTrail.Ingest.Changes;

/// <summary>
/// What the ledger keeps of a cluster object: everything except the parts that are large and say nothing about network
/// identity or policy (managed fields, last-applied annotations, volumes, container images and commands, node image
/// lists and conditions). Kept whole for policies. The result is the object's JSON with those members removed.
/// </summary>
public static class ObjectEvidence
{
    internal static readonly string[] Everywhere =
    [
        "metadata.managedFields",
        "metadata.selfLink",
        "metadata.annotations.kubectl.kubernetes.io/last-applied-configuration",
    ];

    internal static readonly Dictionary<string, string[]> DropByKind = new(StringComparer.Ordinal)
    {
        [ObjectKinds.Pod] =
        [
            "spec.volumes", "spec.tolerations", "spec.affinity", "spec.topologySpreadConstraints", "spec.imagePullSecrets",
            "spec.readinessGates", "spec.resourceClaims", "spec.os", "status.conditions", "status.message",
        ],
        [ObjectKinds.Node] =
        [
            "status.images", "status.conditions", "status.nodeInfo", "status.volumesAttached", "status.volumesInUse",
            "status.daemonEndpoints", "status.capacity", "status.allocatable", "status.config", "status.features",
            "status.runtimeHandlers",
        ],
        [ObjectKinds.ReplicaSet] = ["spec.template", "status"],
        [ObjectKinds.Job] = ["spec.template", "status.conditions", "status.uncountedTerminatedPods"],
    };

    // Of each container only what names it and its ports; of each container status only what says when it ended.
    internal static readonly Dictionary<string, string[]> KeepOnly = new(StringComparer.Ordinal)
    {
        ["spec.containers[]"] = ["name", "ports"],
        ["spec.initContainers[]"] = ["name", "ports"],
        ["spec.ephemeralContainers[]"] = ["name", "ports"],
        ["status.containerStatuses[]"] = ["name", "state", "restartCount"],
        ["status.initContainerStatuses[]"] = ["name", "state"],
        ["status.ephemeralContainerStatuses[]"] = ["name", "state"],
    };

    /// <summary>The evidence JSON of an object of this kind (compact; key order as given). Throws <see cref="JsonException"/> on malformed JSON.</summary>
    public static byte[] Reduce(string kind, ReadOnlySpan<byte> objectJson)
    {
        var drop = DropByKind.TryGetValue(kind, out var specific) ? [.. Everywhere, .. specific] : Everywhere;
        var output = new ArrayBufferWriter<byte>(Math.Max(256, objectJson.Length));
        using (var writer = new Utf8JsonWriter(output))
        {
            var reader = new Utf8JsonReader(objectJson, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read())
            {
                throw new JsonException("empty object JSON");
            }
            Copy(ref reader, writer, "", drop, kind == ObjectKinds.Pod);
            if (reader.Read())
            {
                throw new JsonException("more than one JSON value");
            }
        }
        return output.WrittenSpan.ToArray();
    }

    private static void Copy(ref Utf8JsonReader reader, Utf8JsonWriter writer, string path, string[] drop, bool pod)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                writer.WriteStartObject();
                string[]? keep = pod && KeepOnly.TryGetValue(path, out var k) ? k : null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString()!;
                    var child = path.Length == 0 ? name : path + "." + name;
                    reader.Read();
                    if ((keep is not null && Array.IndexOf(keep, name) < 0) || Array.IndexOf(drop, child) >= 0)
                    {
                        reader.Skip();
                        continue;
                    }
                    writer.WritePropertyName(name);
                    Copy(ref reader, writer, child, drop, pod);
                }
                writer.WriteEndObject();
                break;
            case JsonTokenType.StartArray:
                writer.WriteStartArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    Copy(ref reader, writer, path + "[]", drop, pod);
                }
                writer.WriteEndArray();
                break;
            case JsonTokenType.String:
                if (reader.ValueIsEscaped)
                {
                    writer.WriteStringValue(reader.GetString());
                }
                else
                {
                    writer.WriteStringValue(reader.ValueSpan);
                }
                break;
            case JsonTokenType.Number:
                writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                break;
            case JsonTokenType.True or JsonTokenType.False:
                writer.WriteBooleanValue(reader.GetBoolean());
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
