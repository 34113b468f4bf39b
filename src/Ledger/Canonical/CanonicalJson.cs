using System.Buffers;
using System.Globalization;
using System.Text;

namespace PolicyTrail.Ledger.Canonical;

/// <summary>
/// The RFC 8785 forms of single JSON strings and numbers, for writers that produce canonical JSON directly (without
/// building a tree for <see cref="JsonCanonicalizer"/>); <see cref="JsonCanonicalizer"/> writes with these too, so both
/// give the same bytes.
/// </summary>
public static class CanonicalJson
{
    /// <summary>Writes a .NET string as a canonical JSON string (RFC 8785 §3.2.2.2); throws <see cref="JsonCanonicalizationException"/> on a lone surrogate.</summary>
    public static void WriteString(ReadOnlySpan<char> value, IBufferWriter<byte> output, string path = "$")
    {
        ArgumentNullException.ThrowIfNull(output);
        // Worst case: every char a 6-byte \u00xx escape, plus quotes.
        var span = output.GetSpan((value.Length * 6) + 2);
        var at = 0;
        span[at++] = (byte)'"';
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c < 0x80)
            {
                at = WriteAscii(span, at, c);
                continue;
            }
            Rune rune;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                rune = new Rune(c, value[i + 1]);
                i++;
            }
            else if (!Rune.TryCreate(c, out rune))
            {
                throw new JsonCanonicalizationException($"string at {path} contains a lone surrogate U+{(int)c:X4} at index {i}");
            }
            at += rune.EncodeToUtf8(span[at..]);
        }
        span[at++] = (byte)'"';
        output.Advance(at);
    }

    /// <summary>
    /// Writes a string given as valid UTF-8 (the caller has checked it, e.g. with <see cref="System.Text.Unicode.Utf8.IsValid"/>)
    /// as a canonical JSON string: only '"', '\' and controls are escaped; everything else is copied.
    /// </summary>
    public static void WriteUtf8String(ReadOnlySpan<byte> utf8, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var clean = utf8.IndexOfAnyInRange((byte)0, (byte)0x1F) < 0 && utf8.IndexOfAny((byte)'"', (byte)'\\') < 0;
        if (clean)
        {
            var span = output.GetSpan(utf8.Length + 2);
            span[0] = (byte)'"';
            utf8.CopyTo(span[1..]);
            span[utf8.Length + 1] = (byte)'"';
            output.Advance(utf8.Length + 2);
            return;
        }
        var escaped = output.GetSpan((utf8.Length * 6) + 2);
        var at = 0;
        escaped[at++] = (byte)'"';
        foreach (var b in utf8)
        {
            at = b < 0x80 ? WriteAscii(escaped, at, (char)b) : Put(escaped, at, b);
        }
        escaped[at++] = (byte)'"';
        output.Advance(at);
    }

    /// <summary>
    /// Writes a JSON number literal (as it appeared in valid JSON) in canonical form: an integer literal below 2^53 in
    /// magnitude is already canonical and is copied; anything else goes through <see cref="FormatNumber"/>. Throws
    /// <see cref="JsonCanonicalizationException"/> for a literal outside the double range.
    /// </summary>
    public static void WriteNumber(ReadOnlySpan<byte> literal, IBufferWriter<byte> output, string path = "$")
    {
        ArgumentNullException.ThrowIfNull(output);
        var digits = literal.Length > 0 && literal[0] == (byte)'-' ? literal[1..] : literal;
        // 15 digits stay below 10^15 < 2^53; JSON has no leading zeros, so only "-0" needs rewriting.
        if (digits.Length is > 0 and <= 15 && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9') && !(digits.Length < literal.Length && digits is [(byte)'0']))
        {
            output.Write(literal);
            return;
        }
        if (!double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new JsonCanonicalizationException($"number at {path} ({Encoding.UTF8.GetString(literal)}) is outside the IEEE-754 double range");
        }
        var text = FormatNumber(value, path);
        var span = output.GetSpan(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            span[i] = (byte)text[i];
        }
        output.Advance(text.Length);
    }

    /// <summary>Formats a double as ECMAScript's Number.prototype.toString does (RFC 8785 §3.2.2.3).</summary>
    public static string FormatNumber(double value, string path = "$")
    {
        if (!double.IsFinite(value))
        {
            throw new JsonCanonicalizationException($"number at {path} is {value}: NaN and Infinity have no JSON form");
        }
        if (value == 0)
        {
            return "0"; // Both +0 and -0.
        }
        var negative = value < 0;
        // .NET's "R" yields the shortest digit string that round-trips, which is the digit string ES6 requires;
        // only the placement of the decimal point and the exponent notation differ.
        var r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var (digits, n) = Decompose(r);
        var k = digits.Length;
        var sb = new StringBuilder(32);
        if (negative)
        {
            sb.Append('-');
        }
        if (k <= n && n <= 21)
        {
            sb.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            sb.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            sb.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            sb.Append(digits[0]);
            if (k > 1)
            {
                sb.Append('.').Append(digits, 1, k - 1);
            }
            var e = n - 1;
            sb.Append('e').Append(e < 0 ? '-' : '+').Append(Math.Abs(e).ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Splits a .NET "R" string into significant digits s and exponent n with value = 0.s × 10^n (ES6's k and n).</summary>
    private static (string Digits, int N) Decompose(string r)
    {
        var ePos = r.IndexOfAny(['E', 'e']);
        var mantissa = ePos < 0 ? r : r[..ePos];
        var exponent = ePos < 0 ? 0 : int.Parse(r.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var intPart = dot < 0 ? mantissa : mantissa[..dot];
        var fracPart = dot < 0 ? string.Empty : mantissa[(dot + 1)..];
        var all = intPart + fracPart;
        var n = intPart.Length + exponent;
        var start = 0;
        while (start < all.Length - 1 && all[start] == '0')
        {
            start++;
            n--;
        }
        var end = all.Length;
        while (end > start + 1 && all[end - 1] == '0')
        {
            end--;
        }
        return (all[start..end], n);
    }

    private static int WriteAscii(Span<byte> span, int at, char c)
    {
        switch (c)
        {
            case '"': return Put(span, at, (byte)'\\', (byte)'"');
            case '\\': return Put(span, at, (byte)'\\', (byte)'\\');
            case '\b': return Put(span, at, (byte)'\\', (byte)'b');
            case '\t': return Put(span, at, (byte)'\\', (byte)'t');
            case '\n': return Put(span, at, (byte)'\\', (byte)'n');
            case '\f': return Put(span, at, (byte)'\\', (byte)'f');
            case '\r': return Put(span, at, (byte)'\\', (byte)'r');
        }
        if (c < 0x20)
        {
            // RFC 8785 §3.2.2.2: other controls as \u00xx with lower-case hex.
            "\\u00"u8.CopyTo(span[at..]);
            span[at + 4] = HexLower(c >> 4);
            span[at + 5] = HexLower(c & 0xF);
            return at + 6;
        }
        return Put(span, at, (byte)c);
    }

    private static int Put(Span<byte> span, int at, byte b)
    {
        span[at] = b;
        return at + 1;
    }

    private static int Put(Span<byte> span, int at, byte a, byte b)
    {
        span[at] = a;
        span[at + 1] = b;
        return at + 2;
    }

    private static byte HexLower(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}
