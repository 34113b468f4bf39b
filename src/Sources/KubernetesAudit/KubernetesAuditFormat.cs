using System.Text;
using System.Text.Json;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.KubernetesAudit;

/// <summary>
/// Kubernetes API server audit Events (audit.k8s.io/v1, v1beta1) as JSON lines: the --audit-log-path file, a webhook
/// EventList per line, or an Elasticsearch hit carrying the Event in "_source". Produces policy-change records for
/// network policies (Kubernetes, AdminNetworkPolicy, Calico, Cilium) and namespaces.
/// </summary>
public sealed class KubernetesAuditFormat : IFlowFormat
{
    /// <inheritdoc />
    public string Name => "k8s-audit";

    /// <inheritdoc />
    public string Description => "Kubernetes API audit Events (audit.k8s.io/v1, v1beta1; log file, webhook EventList, Elasticsearch _source): policy and namespace changes";

    /// <inheritdoc />
    public int Detect(IReadOnlyList<string> sample)
    {
        var sure = 0;
        var likely = 0;
        foreach (var line in sample)
        {
            switch (Probe(line))
            {
                case Identity.Audit:
                    sure++;
                    break;
                case Identity.Unversioned:
                    likely++;
                    break;
            }
        }
        if (sure > 0)
        {
            return Math.Min(98, 90 + sure);
        }
        return likely > 0 ? Math.Min(70, 50 + likely * 5) : 0;
    }

    /// <inheritdoc />
    public ILineParser CreateParser(FormatOptions options) => new KubernetesAuditParser(options);

    private enum Identity
    {
        None,
        // kind Event/EventList with an audit.k8s.io apiVersion.
        Audit,
        // No kind/apiVersion (stripped by a shipper) but auditID, stage and verb.
        Unversioned,
    }

    /// <summary>
    /// Reads the line's first properties without requiring it to be complete: detection samples are cut at 64 KiB and
    /// RequestResponse events are often longer, while kind and apiVersion come first.
    /// </summary>
    private static Identity Probe(string line)
    {
        if (!line.TrimStart().StartsWith('{'))
        {
            return Identity.None;
        }
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(line), isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 64 }));
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject ? ProbeObject(ref reader, 0) : Identity.None;
        }
        catch (JsonException)
        {
            return Identity.None;
        }
    }

    private static Identity ProbeObject(ref Utf8JsonReader r, int depth)
    {
        string? kind = null, apiVersion = null;
        bool auditId = false, stage = false, verb = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("kind"u8) || r.ValueTextEquals("apiVersion"u8))
            {
                var isKind = r.ValueTextEquals("kind"u8);
                if (!r.Read())
                {
                    break;
                }
                var value = r.TokenType == JsonTokenType.String ? r.GetString() : null;
                if (isKind) { kind = value; } else { apiVersion = value; }
            }
            else if (depth == 0 && r.ValueTextEquals("_source"u8))
            {
                if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
                {
                    return Identity.None;
                }
                return ProbeObject(ref r, depth + 1);
            }
            else
            {
                auditId |= r.ValueTextEquals("auditID"u8);
                stage |= r.ValueTextEquals("stage"u8);
                verb |= r.ValueTextEquals("verb"u8);
                if (!r.Read() || !r.TrySkip())
                {
                    break;
                }
            }
            if (kind is not null && apiVersion is not null)
            {
                break;
            }
        }
        if (apiVersion is not null && apiVersion.StartsWith(KubernetesAuditParser.AuditGroupPrefix, StringComparison.Ordinal))
        {
            return kind is "Event" or "EventList" ? Identity.Audit : Identity.None;
        }
        return kind is null && apiVersion is null && auditId && stage && verb ? Identity.Unversioned : Identity.None;
    }
}
