using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using PolicyTrail.Ledger.Canonical;

namespace PolicyTrail.Ledger.Tests.Canonical;

/// <summary>RFC 8785 examples and Appendix B, plus the test data of cyberphone/json-canonicalization (the RFC authors' reference).</summary>
public class JsonCanonicalizerTests
{
    private static string Canonical(string json) => Encoding.UTF8.GetString(JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(json)));

    private static double FromBits(string hex) => BitConverter.Int64BitsToDouble(unchecked((long)ulong.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));

    /// <summary>RFC 8785 Appendix B: IEEE-754 bits and their ES6 serialization.</summary>
    [Theory]
    [InlineData("0000000000000000", "0")]
    [InlineData("8000000000000000", "0")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("8000000000000001", "-5e-324")]
    [InlineData("7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("ffefffffffffffff", "-1.7976931348623157e+308")]
    [InlineData("4340000000000000", "9007199254740992")]
    [InlineData("c340000000000000", "-9007199254740992")]
    [InlineData("4430000000000000", "295147905179352830000")]
    [InlineData("44b52d02c7e14af5", "9.999999999999997e+22")]
    [InlineData("44b52d02c7e14af6", "1e+23")]
    [InlineData("44b52d02c7e14af7", "1.0000000000000001e+23")]
    [InlineData("444b1ae4d6e2ef4e", "999999999999999700000")]
    [InlineData("444b1ae4d6e2ef4f", "999999999999999900000")]
    [InlineData("444b1ae4d6e2ef50", "1e+21")]
    [InlineData("3eb0c6f7a0b5ed8c", "9.999999999999997e-7")]
    [InlineData("3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("41b3de4355555553", "333333333.3333332")]
    [InlineData("41b3de4355555554", "333333333.33333325")]
    [InlineData("41b3de4355555555", "333333333.3333333")]
    [InlineData("41b3de4355555556", "333333333.3333334")]
    [InlineData("41b3de4355555557", "333333333.33333343")]
    [InlineData("becbf647612f3696", "-0.0000033333333333333333")]
    [InlineData("43143ff3c1cb0959", "1424953923781206.2")]
    public void Appendix_B_numbers_serialize_as_ES6_does(string bits, string expected)
    {
        var value = FromBits(bits);
        Assert.Equal(expected, JsonCanonicalizer.FormatNumber(value));
        var output = new ArrayBufferWriter<byte>();
        JsonCanonicalizer.Write(JsonValue.Create(value), output);
        Assert.Equal(expected, Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("7fffffffffffffff")]
    [InlineData("7ff0000000000000")]
    [InlineData("fff0000000000000")]
    public void Appendix_B_NaN_and_Infinity_are_refused(string bits)
    {
        var e = Assert.Throws<JsonCanonicalizationException>(() => JsonCanonicalizer.FormatNumber(FromBits(bits)));
        Assert.Contains("no JSON form", e.Message);
    }

    [Theory]
    [InlineData("1E30", "1e+30")]
    [InlineData("4.50", "4.5")]
    [InlineData("2e-3", "0.002")]
    [InlineData("0.000000000000000000000000001", "1e-27")]
    [InlineData("-0", "0")]
    [InlineData("-0.0e5", "0")]
    [InlineData("100", "100")]
    [InlineData("1e21", "1e+21")]
    [InlineData("123456789012345680000", "123456789012345680000")]
    [InlineData("0.0000001", "1e-7")]
    [InlineData("0.00000123", "0.00000123")]
    [InlineData("1.5e-7", "1.5e-7")]
    [InlineData("12.5e300", "1.25e+301")]
    [InlineData("9007199254740993", "9007199254740992")]
    public void Number_texts_are_reformatted(string input, string expected) => Assert.Equal(expected, Canonical(input));

    /// <summary>RFC 8785 §3.2.2 example (also cyberphone testdata values.json).</summary>
    [Fact]
    public void Section_3_2_2_example()
    {
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;
        const string expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        Assert.Equal(expected, Canonical(input));
    }

    /// <summary>RFC 8785 §3.2.3 sorting example: names sorted by UTF-16 code units, so the emoji (surrogates D83D..) sorts before U+FB33.</summary>
    [Fact]
    public void Section_3_2_3_sorting_example()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;
        var expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\","
            + "\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}";
        Assert.Equal(expected, Canonical(input));
    }

    /// <summary>cyberphone/json-canonicalization testdata/input/weird.json → output/weird.json.</summary>
    [Fact]
    public void Cyberphone_weird()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "1": "One",
              "\u0080": "Control\u007f",
              "\ud83d\ude02": "Smiley",
              "\u00f6": "Latin Small Letter O With Diaeresis",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "</script>": "Browser Challenge"
            }
            """;
        var expected = "{\"1\":\"One\",\"</script>\":\"Browser Challenge\",\"\u0080\":\"Control\u007f\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\","
            + "\"\u20ac\":\"Euro Sign\",\"\U0001F602\":\"Smiley\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}";
        Assert.Equal(expected, Canonical(input));
    }

    /// <summary>cyberphone/json-canonicalization testdata/input/structures.json → output/structures.json.</summary>
    [Fact]
    public void Cyberphone_structures()
    {
        const string input = """
            {
              "1": {"f": {"f": "hi","F": 5} ,"\n": 56.0},
              "10": { },
              "": "empty",
              "a": { },
              "111": [ { } ],
              "A": { }
            }
            """;
        Assert.Equal("{\"\":\"empty\",\"1\":{\"\\n\":56,\"f\":{\"F\":5,\"f\":\"hi\"}},\"10\":{},\"111\":[{}],\"A\":{},\"a\":{}}", Canonical(input));
    }

    [Fact]
    public void Non_BMP_names_sort_by_code_units_not_code_points()
    {
        // U+10000 is D800 DC00 in UTF-16, below U+E000 and U+FFFF; a code-point sort would put it last.
        var input = "{\"\uffff\":1,\"\U00010000\":2,\"\ue000\":3,\"z\":4}";
        Assert.Equal("{\"z\":4,\"\U00010000\":2,\"\ue000\":3,\"\uffff\":1}", Canonical(input));
    }

    [Fact]
    public void Strings_are_escaped_minimally()
    {
        var all = new StringBuilder();
        for (var c = 0; c < 0x20; c++)
        {
            all.Append((char)c);
        }
        all.Append("\"\\/'<>&\u007f\u2028\u00e9");
        var node = JsonValue.Create(all.ToString());
        var output = new ArrayBufferWriter<byte>();
        JsonCanonicalizer.Write(node, output);
        const string expected = "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
            + "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"
            + "\\\"\\\\/'<>&\u007f\u2028\u00e9\"";
        Assert.Equal(expected, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Nodes_built_in_code_canonicalize_like_parsed_text()
    {
        var node = new JsonObject
        {
            ["b"] = 1L,
            ["a"] = new JsonArray(1.5m, 7, "x", true, null, Guid.Empty),
            ["c"] = new JsonObject(),
        };
        var output = new ArrayBufferWriter<byte>();
        JsonCanonicalizer.Write(node, output);
        Assert.Equal("{\"a\":[1.5,7,\"x\",true,null,\"00000000-0000-0000-0000-000000000000\"],\"b\":1,\"c\":{}}", Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(output.WrittenSpan.ToArray(), JsonCanonicalizer.Canonicalize(output.WrittenSpan));
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}", "duplicate member name \"a\"")]
    [InlineData("{\"x\":{\"\\u0061\":1,\"a\":2}}", "duplicate member name \"a\"")]
    [InlineData("1e400", "outside the IEEE-754 double range")]
    [InlineData("-1e400", "outside the IEEE-754 double range")]
    [InlineData("\"\\ud800\"", "not valid Unicode")]
    [InlineData("", "invalid JSON")]
    [InlineData("{} {}", "invalid JSON")]
    [InlineData("[1,]", "invalid JSON")]
    [InlineData("NaN", "invalid JSON")]
    [InlineData("{'a':1}", "invalid JSON")]
    public void Invalid_input_is_refused_with_a_reason(string input, string reason)
    {
        var e = Assert.Throws<JsonCanonicalizationException>(() => JsonCanonicalizer.Canonicalize(Encoding.UTF8.GetBytes(input)));
        Assert.Contains(reason, e.Message);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'"', 0xC3, (byte)'"' }, 1)]
    [InlineData(new byte[] { (byte)'"', (byte)'a', 0xFF, (byte)'"' }, 2)]
    [InlineData(new byte[] { (byte)'"', 0xED, 0xA0, 0x80, (byte)'"' }, 1)] // CESU-style encoded surrogate
    [InlineData(new byte[] { (byte)'"', 0xC0, 0xAF, (byte)'"' }, 1)] // overlong '/'
    public void Invalid_UTF8_is_refused_with_its_offset(byte[] input, int offset)
    {
        var e = Assert.Throws<JsonCanonicalizationException>(() => JsonCanonicalizer.Canonicalize(input));
        Assert.Contains($"not valid UTF-8 (first bad byte at offset {offset})", e.Message);
    }

    [Fact]
    public void A_lone_surrogate_in_a_node_is_refused()
    {
        var e = Assert.Throws<JsonCanonicalizationException>(() => JsonCanonicalizer.Write(new JsonObject { ["k"] = "a\udc00" }, new ArrayBufferWriter<byte>()));
        Assert.Contains("lone surrogate U+DC00", e.Message);
    }

    [Fact]
    public void Every_finite_double_round_trips_through_its_canonical_form() =>
        Gen.Double.Where(double.IsFinite).Sample(d =>
        {
            var text = JsonCanonicalizer.FormatNumber(d);
            Assert.Equal(d == 0 ? 0 : d, double.Parse(text, CultureInfo.InvariantCulture));
            Assert.DoesNotContain("E", text, StringComparison.Ordinal);
        }, iter: 20_000);

    [Fact]
    public void Canonicalization_is_idempotent_and_ignores_member_order() =>
        Gen.Dictionary(Gen.String[Gen.Char, 0, 6], Gen.Select(Gen.Int, Gen.Double.Where(double.IsFinite), Gen.Bool, (i, d, b) => b ? (JsonNode)i : d))[0, 8]
            .Sample(members =>
            {
                var forward = new JsonObject(members.Where(m => !HasLoneSurrogate(m.Key)).Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value.DeepClone())));
                var backward = new JsonObject(forward.Reverse().Select(m => KeyValuePair.Create(m.Key, m.Value?.DeepClone())));
                var a = new ArrayBufferWriter<byte>();
                var b = new ArrayBufferWriter<byte>();
                JsonCanonicalizer.Write(forward, a);
                JsonCanonicalizer.Write(backward, b);
                Assert.Equal(a.WrittenSpan.ToArray(), b.WrittenSpan.ToArray());
                Assert.Equal(a.WrittenSpan.ToArray(), JsonCanonicalizer.Canonicalize(a.WrittenSpan));
            }, iter: 500);

    private static bool HasLoneSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return true;
            }
        }
        return false;
    }
}
