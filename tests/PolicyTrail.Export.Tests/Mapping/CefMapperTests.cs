using System.Text;
using System.Text.RegularExpressions;
using PolicyTrail.Export.Mapping.Cef;
using PolicyTrail.Export.Tests.Support;

namespace PolicyTrail.Export.Tests.Mapping;

/// <summary>
/// CEF records against "Implementing ArcSight Common Event Format (CEF)", revision 25 (Micro Focus, 2017): the seven
/// header fields, their escaping (\| and \\), extension escaping (\=, \\, \n, \r) and the standard keys.
/// </summary>
public sealed partial class CefMapperTests
{
    /// <summary>The header fields the CEF specification requires, in order.</summary>
    private static readonly string[] HeaderFields = ["Version", "Device Vendor", "Device Product", "Device Version", "Signature ID", "Name", "Severity"];

    /// <summary>Keys from the specification's extension dictionary that records use (plus cs1-6/cn1 and their labels).</summary>
    private static readonly string[] StandardKeys =
        ["rt", "src", "spt", "dst", "dpt", "proto", "act", "deviceDirection", "cnt", "dvchost", "reason", "msg", "externalId", "cat", "suser",
         "cs1", "cs1Label", "cs2", "cs2Label", "cs3", "cs3Label", "cs4", "cs4Label", "cs5", "cs5Label", "cs6", "cs6Label", "cn1", "cn1Label"];

    /// <summary>Splits a CEF line into its header fields and its extension pairs, undoing the escapes.</summary>
    internal static (string[] Header, Dictionary<string, string> Extension) Parse(string line)
    {
        var header = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        for (; i < line.Length && header.Count < 7; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '\\' or '|')
            {
                field.Append(line[++i]);
            }
            else if (line[i] == '|')
            {
                header.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(line[i]);
            }
        }
        var extension = new Dictionary<string, string>();
        var rest = line[i..];
        var keys = ExtensionKey().Matches(rest).ToArray();
        for (var k = 0; k < keys.Length; k++)
        {
            var start = keys[k].Index + keys[k].Length;
            var end = k + 1 < keys.Length ? keys[k + 1].Index : rest.Length;
            var raw = rest[start..end];
            extension[keys[k].Groups[1].Value] = Regex.Replace(raw, @"\\(.)", m => m.Groups[1].Value switch { "n" => "\n", "r" => "\r", var c => c });
        }
        return (header.ToArray(), extension);
    }

    // A key starts the string or follows a space, and its '=' is not escaped.
    [GeneratedRegex(@"(?:^| )([A-Za-z0-9]+)=(?<!\\=)")]
    private static partial Regex ExtensionKey();

    [Theory]
    [InlineData(Entries.Snapshot)]
    [InlineData(Entries.Allowed)]
    [InlineData(Entries.Denied)]
    [InlineData(Entries.Gap)]
    [InlineData(Entries.PolicyChange)]
    public void Every_record_has_the_seven_header_fields_standard_keys_and_the_ledger_coordinates(long index)
    {
        var line = Entries.Map("cef", Entries.Entry(index));
        var (header, extension) = Parse(line);

        Assert.StartsWith("CEF:0|", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
        Assert.Equal(HeaderFields.Length, header.Length);
        Assert.Equal(["CEF:0", "PolicyTrail", "PolicyTrail", "1.2.3"], header[..4]);
        Assert.InRange(int.Parse(header[6], System.Globalization.CultureInfo.InvariantCulture), 0, 10);
        Assert.All(extension.Keys, k => Assert.Contains(k, StandardKeys));
        Assert.Equal(Entries.LeafHex(Entries.Node(index)), extension["cs2"]);
        Assert.Equal("ledgerEntryHash", extension["cs2Label"]);
        Assert.Equal(index.ToString(System.Globalization.CultureInfo.InvariantCulture), extension["cn1"]);
        Assert.Equal("ledgerIndex", extension["cn1Label"]);
    }

    [Fact]
    public void A_denied_flow_maps_to_the_standard_network_keys()
    {
        var (header, e) = Parse(Entries.Map("cef", Entries.Entry(Entries.Denied)));

        Assert.Equal("flow-deny", header[4]);
        Assert.Equal("Connection denied", header[5]);
        Assert.Equal("5", header[6]);
        Assert.Equal(("10.244.2.10", "44000", "10.244.2.21", "5432", "TCP", "deny"), (e["src"], e["spt"], e["dst"], e["dpt"], e["proto"], e["act"]));
        Assert.Equal("1795683604423", e["rt"]);
        Assert.Equal("policy", e["cs1Label"]);
        Assert.Equal("payments/default-deny,payments/postgres-ingress (default deny)", e["cs1"]);
    }

    [Fact]
    public void Header_escapes_pipe_and_backslash_and_extension_escapes_equals_backslash_and_line_breaks()
    {
        Assert.Equal(@"a\|b\\c d", CefMapper.Header("a|b\\c\nd"));
        Assert.Equal(@"a\=b\\c\nd\re|f", CefMapper.Extension("a=b\\c\nd\re|f"));

        var hostile = Entries.Hostile();
        var line = Entries.Map("cef", Entries.Of(hostile));
        var (header, e) = Parse(line);
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        Assert.Equal(7, header.Length);
        Assert.Equal("ns|pipe=eq\\back\"quote]bracket\nnewline\réé/web-7d4b9c-p8m2z", e["cs3"]);
        Assert.Equal("pay|ments/deny=all\\x]\"\n (default deny)", e["cs1"]);
    }
}
