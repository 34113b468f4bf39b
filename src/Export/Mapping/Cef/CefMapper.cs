using System.Buffers;
using System.Globalization;
using System.Text;
using PolicyTrail.Export.Reading;

namespace PolicyTrail.Export.Mapping.Cef;

/// <summary>
/// ArcSight Common Event Format, version 0 (Micro Focus "Implementing ArcSight CEF", rev. 25):
/// <c>CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|Extension</c>, one line per entry. Standard extension keys
/// (rt, src, spt, dst, dpt, proto, act, cnt, reason, msg, dvchost, deviceDirection, externalId) carry what they define;
/// cs1..cs6 / cn1 carry the rest with their labels. docs/EXPORT.md has the table.
/// </summary>
internal sealed class CefMapper(ExportOptions options) : IEntryMapper
{
    public string Name => "cef";

    public bool OctetCountingOverTcp => false;

    public void Write(ExportEntry entry, IBufferWriter<byte> output)
    {
        var f = entry.Facts;
        var signature = f.IsFlow ? $"flow-{f.Verdict ?? "unknown"}" : f.Kind;
        var name = f.Kind switch
        {
            "flow" => f.Verdict switch { "allow" => "Connection allowed", "deny" => "Connection denied", _ => "Connection undecided" },
            "gap" => "Events not seen",
            "policy-change" => "Network policy change",
            _ => "Cluster inventory change",
        };
        var text = new StringBuilder(512);
        text.Append("CEF:0|").Append(Header(ProductInfo.Name)).Append('|').Append(Header(ProductInfo.Name)).Append('|')
            .Append(Header(options.ProductVersion)).Append('|').Append(Header(signature)).Append('|').Append(Header(name)).Append('|')
            .Append(Severity(f.Severity).ToString(CultureInfo.InvariantCulture)).Append('|');
        var first = true;
        void Ext(string key, object? value)
        {
            if (value is null)
            {
                return;
            }
            if (!first)
            {
                text.Append(' ');
            }
            first = false;
            text.Append(key).Append('=').Append(Extension(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
        }
        Ext("rt", JsonFields.Millis(f.TimeNanos));
        if (f.IsFlow)
        {
            Ext("src", f.Src?.Ip);
            Ext("spt", f.Src?.Port);
            Ext("dst", f.Dst?.Ip);
            Ext("dpt", f.Dst?.Port);
            Ext("proto", f.Protocol);
            Ext("act", f.Verdict);
            // deviceDirection: 0 inbound, 1 outbound, as the CNI reported where it saw the flow.
            Ext("deviceDirection", f.Direction switch { "ingress" => "0", "egress" => "1", _ => null });
            Ext("cnt", f.Count);
            Ext("dvchost", f.SourceNode);
            Ext("cs1Label", f.Policy is null ? null : "policy");
            Ext("cs1", f.Policy?.Display);
            Ext("cs3Label", f.Src?.PodName is null ? null : "sourcePod");
            Ext("cs3", f.Src?.PodName);
            Ext("cs4Label", f.Dst?.PodName is null ? null : "destinationPod");
            Ext("cs4", f.Dst?.PodName);
            Ext("cs5Label", "cniVerdict");
            Ext("cs5", f.ReportedVerdict ?? "unknown");
            Ext("cs6Label", "agreement");
            Ext("cs6", f.Agreement ?? "unknown");
        }
        else
        {
            Ext("cat", f.Kind);
            Ext("suser", f.User);
            Ext("cs3Label", f.ObjectKind is null ? null : "object");
            Ext("cs3", f.ObjectKind is null ? null : $"{f.ObjectKind} {(f.ObjectNamespace is null ? f.ObjectName : $"{f.ObjectNamespace}/{f.ObjectName}")}");
            Ext("cs4Label", f.ChangeType is null ? null : "changeType");
            Ext("cs4", f.ChangeType);
        }
        Ext("reason", f.Reason);
        // The ledger coordinates: cs2 the entry (leaf) hash a proof starts from, cn1 / externalId the index.
        Ext("cs2Label", "ledgerEntryHash");
        Ext("cs2", entry.LeafHash);
        Ext("cn1Label", "ledgerIndex");
        Ext("cn1", entry.Index);
        Ext("externalId", entry.Index);
        Ext("msg", f.Summary);
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        output.Write(bytes);
    }

    /// <summary>CEF severity 0-10 (0-3 Low, 4-6 Medium, 7-8 High, 9-10 Very-High).</summary>
    public static int Severity(ExportSeverity severity) => severity switch
    {
        ExportSeverity.Informational => 1,
        ExportSeverity.Low => 3,
        ExportSeverity.Medium => 5,
        ExportSeverity.High => 8,
        _ => 0,
    };

    /// <summary>A header field: backslash and pipe escaped; a line break, which headers cannot hold, becomes a space.</summary>
    public static string Header(string value)
    {
        var b = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => b.Append(@"\\"),
                '|' => b.Append(@"\|"),
                '\r' or '\n' => b.Append(' '),
                _ => b.Append(c),
            };
        }
        return b.ToString();
    }

    /// <summary>An extension value: backslash and equals sign escaped, CR and LF written as \r and \n (pipes stay as they are).</summary>
    public static string Extension(string value)
    {
        var b = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => b.Append(@"\\"),
                '=' => b.Append(@"\="),
                '\r' => b.Append(@"\r"),
                '\n' => b.Append(@"\n"),
                _ => b.Append(c),
            };
        }
        return b.ToString();
    }
}
