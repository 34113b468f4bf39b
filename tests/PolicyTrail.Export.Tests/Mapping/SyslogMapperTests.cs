using System.Text;
using System.Text.RegularExpressions;
using PolicyTrail.Export.Mapping.Syslog;
using PolicyTrail.Export.Tests.Support;

namespace PolicyTrail.Export.Tests.Mapping;

/// <summary>RFC 5424 (https://www.rfc-editor.org/rfc/rfc5424#section-6) messages against its ABNF.</summary>
public sealed partial class SyslogMapperTests
{
    // SYSLOG-MSG = HEADER SP STRUCTURED-DATA [SP MSG]; HEADER = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID.
    // PRI = "<" 1*3DIGIT ">", VERSION = "1", TIMESTAMP = FULL-DATE "T" FULL-TIME with TIME-SECFRAC of 1*6DIGIT,
    // HOSTNAME 1*255 PRINTUSASCII, APP-NAME 1*48, PROCID 1*128, MSGID 1*32, or "-" (NILVALUE).
    [GeneratedRegex(@"^<(?<pri>\d{1,3})>1 (?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)) (?<host>[!-~]{1,255}) (?<app>[!-~]{1,48}) (?<proc>[!-~]{1,128}) (?<msgid>[!-~]{1,32}) (?<sd>\[.*?(?<!\\)\])( (?<msg>.*))?$", RegexOptions.Singleline)]
    private static partial Regex Header();

    // SD-ELEMENT = "[" SD-ID *(SP SD-PARAM) "]"; SD-PARAM = PARAM-NAME "=" %d34 PARAM-VALUE %d34; names 1*32 printable, no = SP ] ".
    [GeneratedRegex(@"^\[(?<id>[!#-<>-\\^-~]{1,32})(?<params>( [!#-<>-\\^-~]{1,32}=""(\\[""\\\]]|[^""\\\]])*"")*)\]$")]
    private static partial Regex SdElement();

    [GeneratedRegex(@" (?<name>[!#-<>-\\^-~]{1,32})=""(?<value>(\\[""\\\]]|[^""\\\]])*)""")]
    private static partial Regex SdParam();

    internal static Dictionary<string, string> Params(string sd) =>
        SdParam().Matches(sd).ToDictionary(m => m.Groups["name"].Value, m => Regex.Replace(m.Groups["value"].Value, @"\\([""\\\]])", "$1"));

    [Theory]
    [InlineData(Entries.Snapshot)]
    [InlineData(Entries.Allowed)]
    [InlineData(Entries.Denied)]
    [InlineData(Entries.Gap)]
    [InlineData(Entries.PolicyChange)]
    public void Every_message_follows_the_abnf_and_keeps_the_ledger_coordinates(long index)
    {
        var line = Entries.Map("syslog", Entries.Entry(index));
        var m = Header().Match(line);

        Assert.True(m.Success, line);
        var pri = int.Parse(m.Groups["pri"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(SyslogMapper.Facility, pri / 8);
        Assert.Equal("collector-1", m.Groups["host"].Value);
        Assert.Equal("policytrail", m.Groups["app"].Value);
        Assert.Equal(Entries.Node(index)["kind"]!.GetValue<string>(), m.Groups["msgid"].Value);
        Assert.Matches(SdElement(), m.Groups["sd"].Value);
        var p = Params(m.Groups["sd"].Value);
        Assert.Equal(Entries.LeafHex(Entries.Node(index)), p["entryHash"]);
        Assert.Equal(index.ToString(System.Globalization.CultureInfo.InvariantCulture), p["index"]);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void Severity_follows_the_verdict_and_time_keeps_six_fraction_digits()
    {
        var denied = Header().Match(Entries.Map("syslog", Entries.Entry(Entries.Denied)));
        var allowed = Header().Match(Entries.Map("syslog", Entries.Entry(Entries.Allowed)));

        Assert.Equal((13 * 8) + 4, int.Parse(denied.Groups["pri"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((13 * 8) + 6, int.Parse(allowed.Groups["pri"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("2026-11-26T09:00:04.423456Z", denied.Groups["ts"].Value);
        Assert.Equal("2026-11-26T09:00:04.423456789Z", Params(denied.Groups["sd"].Value)["time"]);
    }

    [Fact]
    public void Param_values_escape_quote_backslash_and_bracket_and_a_utf8_msg_starts_with_a_bom()
    {
        Assert.Equal(@"a\""b\\c\]d e", SyslogMapper.ParamValue("a\"b\\c]d\ne"));

        var output = new System.Buffers.ArrayBufferWriter<byte>();
        new SyslogMapper(Entries.Options).Write(Entries.Of(Entries.Hostile()), output);
        var bytes = output.WrittenSpan.ToArray();
        var line = Encoding.UTF8.GetString(bytes);
        var m = Header().Match(line);
        Assert.True(m.Success, line);
        Assert.Matches(SdElement(), m.Groups["sd"].Value);
        Assert.Equal("ns|pipe=eq\\back\"quote]bracket newline éé/web-7d4b9c-p8m2z", Params(m.Groups["sd"].Value)["srcPod"]);
        var msgStart = Encoding.UTF8.GetByteCount(line[..m.Groups["msg"].Index]);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[msgStart..(msgStart + 3)]);
        Assert.DoesNotContain((byte)'\n', bytes);
    }
}
