using System.Buffers;
using System.Globalization;
using System.Text;
using PolicyTrail.Export.Reading;

namespace PolicyTrail.Export.Mapping.Syslog;

/// <summary>
/// RFC 5424 syslog (https://www.rfc-editor.org/rfc/rfc5424):
/// <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID PARAM="VALUE" ...] MSG</c>, facility 13 (log audit), the
/// entry kind as MSGID, the ledger coordinates and the flow's fields as structured data, a one-line summary as MSG.
/// Framing (octet counting over TCP, RFC 6587; one datagram each over UDP, RFC 5426) is the sender's.
/// </summary>
internal sealed class SyslogMapper(ExportOptions options) : IEntryMapper
{
    /// <summary>RFC 5424 facility 13: log audit.</summary>
    public const int Facility = 13;

    /// <summary>
    /// The SD-ID of our parameters. An SD-ID of our own needs "@" and an IANA private enterprise number; 32473 is the
    /// number RFC 5612 reserves for documentation and examples, until PolicyTrail registers its own.
    /// </summary>
    public const string SdId = "policytrail@32473";

    private static readonly UTF8Encoding Utf8 = new(false);

    public string Name => "syslog";

    public bool OctetCountingOverTcp => true;

    public void Write(ExportEntry entry, IBufferWriter<byte> output)
    {
        var f = entry.Facts;
        var text = new StringBuilder(512);
        text.Append('<').Append((Facility * 8 + Severity(f.Severity)).ToString(CultureInfo.InvariantCulture)).Append(">1 ");
        // TIME-SECFRAC allows at most 6 digits.
        text.Append(JsonFields.Rfc3339(f.TimeNanos, 6)).Append(' ');
        text.Append(HeaderField(options.HostName, 255)).Append(' ');
        text.Append("policytrail - ");
        text.Append(HeaderField(f.Kind, 32)).Append(' ');
        text.Append('[').Append(SdId);
        void Param(string name, object? value)
        {
            if (value is not null)
            {
                text.Append(' ').Append(name).Append("=\"").Append(ParamValue(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")).Append('"');
            }
        }
        Param("index", entry.Index);
        Param("entryHash", entry.LeafHash);
        Param("kind", f.Kind);
        if (f.IsFlow)
        {
            Param("verdict", f.Verdict);
            Param("agreement", f.Agreement);
            Param("cniVerdict", f.ReportedVerdict);
            Param("protocol", f.Protocol);
            Param("srcIp", f.Src?.Ip);
            Param("srcPort", f.Src?.Port);
            Param("srcPod", f.Src?.PodName);
            Param("dstIp", f.Dst?.Ip);
            Param("dstPort", f.Dst?.Port);
            Param("dstPod", f.Dst?.PodName);
            Param("dstService", f.Dst?.Service);
            Param("policy", f.Policy?.Name);
            Param("rule", f.Policy?.Rule);
            Param("policyVersion", f.Policy?.ResourceVersion);
            Param("side", f.Policy?.Side);
            Param("count", f.Count);
        }
        else
        {
            Param("changeType", f.ChangeType);
            Param("objectKind", f.ObjectKind);
            Param("objectNamespace", f.ObjectNamespace);
            Param("objectName", f.ObjectName);
            Param("user", f.User);
        }
        Param("reason", f.Reason);
        Param("time", f.TimeText);
        text.Append("] ");
        var message = OneLine(f.Summary);
        var ascii = message.All(c => c < 0x80);
        var bytes = Utf8.GetBytes(text.ToString());
        output.Write(bytes);
        // MSG is MSG-UTF8 (BOM first) when it is not plain ASCII; plain ASCII is valid MSG-ANY and reads cleaner.
        if (!ascii)
        {
            output.Write((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]);
        }
        output.Write(Utf8.GetBytes(message));
    }

    /// <summary>RFC 5424 severity: 6 informational, 5 notice, 4 warning, 3 error.</summary>
    public static int Severity(ExportSeverity severity) => severity switch
    {
        ExportSeverity.Informational => 6,
        ExportSeverity.Low => 5,
        ExportSeverity.Medium => 4,
        ExportSeverity.High => 3,
        _ => 5,
    };

    /// <summary>SD PARAM-VALUE escaping: '"', '\' and ']' get a backslash; line breaks become spaces (records are one line).</summary>
    public static string ParamValue(string value)
    {
        var b = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' or '\\' or ']' => b.Append('\\').Append(c),
                '\r' or '\n' => b.Append(' '),
                _ => b.Append(c),
            };
        }
        return b.ToString();
    }

    /// <summary>A header field: PRINTUSASCII (33-126) only, at most <paramref name="max"/> characters, "-" (NILVALUE) when empty.</summary>
    public static string HeaderField(string? value, int max)
    {
        var kept = new string((value ?? "").Where(c => c is >= '!' and <= '~').Take(max).ToArray());
        return kept.Length == 0 ? "-" : kept;
    }

    private static string OneLine(string text) => text.Replace('\r', ' ').Replace('\n', ' ');
}
