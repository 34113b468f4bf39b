using System.Globalization;

namespace PolicyTrail.Core.Flows;

/// <summary>
/// A UTC instant in nanoseconds since the Unix epoch, with the number of fractional digits the source gave
/// (0, 3, 6 or 9), so that records keep the precision their source has and claim none it lacks.
/// </summary>
public readonly record struct Timestamp(long UnixNanos, byte FractionDigits)
{
    private const long NanosPerSecond = 1_000_000_000;

    /// <summary>From a DateTimeOffset (100 ns ticks), with the given precision.</summary>
    public static Timestamp FromDateTimeOffset(DateTimeOffset value, byte fractionDigits) =>
        new((value.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100, fractionDigits);

    /// <summary>From seconds and nanoseconds since the epoch (protobuf Timestamp).</summary>
    public static Timestamp FromSecondsAndNanos(long seconds, int nanos, byte fractionDigits = 9) =>
        new(checked(seconds * NanosPerSecond + nanos), fractionDigits);

    /// <summary>The instant as a DateTimeOffset (truncated to 100 ns).</summary>
    public DateTimeOffset ToDateTimeOffset() => DateTimeOffset.UnixEpoch.AddTicks(UnixNanos / 100);

    /// <summary>
    /// Parses RFC 3339 ("2024-01-02T03:04:05.123456789Z" or with an offset); up to 9 fractional digits are kept
    /// exactly. Returns false for anything else, and for a time without a zone (use <see cref="TryParseLocal"/>).
    /// </summary>
    public static bool TryParseRfc3339(ReadOnlySpan<char> text, out Timestamp timestamp)
    {
        timestamp = default;
        if (text.Length < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' || text[16] != ':')
        {
            return false;
        }
        if (!Digits(text[..4], out var year) || !Digits(text.Slice(5, 2), out var month) || !Digits(text.Slice(8, 2), out var day)
            || !Digits(text.Slice(11, 2), out var hour) || !Digits(text.Slice(14, 2), out var minute) || !Digits(text.Slice(17, 2), out var second))
        {
            return false;
        }
        var i = 19;
        long fraction = 0;
        var digits = 0;
        if (i < text.Length && (text[i] == '.' || text[i] == ','))
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                if (digits < 9)
                {
                    fraction = fraction * 10 + (text[i] - '0');
                    digits++;
                }
                i++;
            }
            if (digits == 0)
            {
                return false;
            }
        }
        for (var d = digits; d < 9; d++)
        {
            fraction *= 10;
        }
        long offsetMinutes;
        var zone = text[i..];
        if (zone is "Z" or "z")
        {
            offsetMinutes = 0;
        }
        else if (zone.Length == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':'
                 && Digits(zone.Slice(1, 2), out var oh) && Digits(zone.Slice(4, 2), out var om))
        {
            offsetMinutes = (oh * 60 + om) * (zone[0] == '-' ? -1 : 1);
        }
        else
        {
            return false;
        }
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }
        // A leap second (:60) is folded onto the next second, as most systems log it.
        var seconds = new DateTimeOffset(year, month, day, hour, minute, 0, TimeSpan.Zero).ToUnixTimeSeconds() + second - offsetMinutes * 60;
        if (!Representable(seconds))
        {
            return false;
        }
        timestamp = new Timestamp(seconds * NanosPerSecond + fraction, Precision(digits));
        return true;
    }

    /// <summary>Same as the text overload, on UTF-8 bytes (as JSON readers hand them over).</summary>
    public static bool TryParseRfc3339(ReadOnlySpan<byte> utf8, out Timestamp timestamp)
    {
        timestamp = default;
        if (utf8.Length > 64)
        {
            return false;
        }
        Span<char> chars = stackalloc char[utf8.Length];
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] > 0x7f)
            {
                return false;
            }
            chars[i] = (char)utf8[i];
        }
        return TryParseRfc3339(chars, out timestamp);
    }

    /// <summary>Parses a zone-less local time (e.g. "2024/01/02 03:04:05.123456") in the given zone.</summary>
    public static bool TryParseLocal(string text, string[] formats, TimeZoneInfo zone, out Timestamp timestamp)
    {
        timestamp = default;
        if (!DateTime.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return false;
        }
        var dot = text.LastIndexOf('.');
        var digits = 0;
        if (dot >= 0)
        {
            while (dot + 1 + digits < text.Length && char.IsAsciiDigit(text[dot + 1 + digits]))
            {
                digits++;
            }
        }
        DateTime utc;
        try
        {
            utc = TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), zone);
        }
        catch (ArgumentException)
        {
            // A local time the zone skips (a daylight-saving gap) or one that falls off the calendar.
            return false;
        }
        if (!Representable(new DateTimeOffset(utc, TimeSpan.Zero).ToUnixTimeSeconds()))
        {
            return false;
        }
        timestamp = FromDateTimeOffset(new DateTimeOffset(utc, TimeSpan.Zero), Precision(digits));
        return true;
    }

    // Unix nanoseconds in a long reach from 1677 to 2262: a time outside them is not one a flow log holds (a garbled year).
    private static bool Representable(long unixSeconds) =>
        unixSeconds > long.MinValue / NanosPerSecond && unixSeconds < long.MaxValue / NanosPerSecond;

    /// <summary>The 0/3/6/9 precision that holds the given number of fractional digits.</summary>
    public static byte Precision(int digits) => digits switch
    {
        0 => 0,
        <= 3 => 3,
        <= 6 => 6,
        _ => 9,
    };

    /// <summary>RFC 3339 in UTC with 'Z' and exactly the source's precision, e.g. 2024-01-02T03:04:05.123Z.</summary>
    public override string ToString()
    {
        Span<byte> text = stackalloc byte[MaxUtf8Length];
        return System.Text.Encoding.ASCII.GetString(text[..Write(text)]);
    }

    /// <summary>The longest text <see cref="FormatUtf8"/> writes (a four-digit year, nine fraction digits).</summary>
    public const int MaxUtf8Length = 30;

    /// <summary>Writes <see cref="ToString"/>'s text as UTF-8 without allocating; returns the bytes written.</summary>
    public int FormatUtf8(Span<byte> destination)
    {
        if (destination.Length >= MaxUtf8Length)
        {
            return Write(destination);
        }
        Span<byte> text = stackalloc byte[MaxUtf8Length];
        var written = Write(text);
        text[..written].CopyTo(destination);
        return written;
    }

    // 1970-01-01 as DateOnly numbers days (from 0001-01-01).
    private static readonly int UnixEpochDayNumber = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    // Into at least MaxUtf8Length bytes. The Unix-seconds range of DateTimeOffset ends in 9999, so years have four digits.
    private int Write(Span<byte> destination)
    {
        var seconds = Math.DivRem(UnixNanos, NanosPerSecond, out var nanos);
        if (nanos < 0)
        {
            seconds--;
            nanos += NanosPerSecond;
        }
        // Written digit by digit, the date worked out once (DateTime's Year, Month and Day each work it out again): this
        // runs for every entry that is rebuilt or verified.
        var days = Math.DivRem(seconds, 86_400L, out var secondOfDay);
        if (secondOfDay < 0)
        {
            days--;
            secondOfDay += 86_400;
        }
        var (year, month, day) = DateOnly.FromDayNumber((int)(days + UnixEpochDayNumber));
        var clock = (int)secondOfDay;
        Two(destination, 0, year / 100);
        Two(destination, 2, year % 100);
        destination[4] = (byte)'-';
        Two(destination, 5, month);
        destination[7] = (byte)'-';
        Two(destination, 8, day);
        destination[10] = (byte)'T';
        Two(destination, 11, clock / 3600);
        destination[13] = (byte)':';
        Two(destination, 14, clock / 60 % 60);
        destination[16] = (byte)':';
        Two(destination, 17, clock % 60);
        var written = 19;
        var digits = Math.Min((int)FractionDigits, 9);
        if (digits > 0)
        {
            destination[written++] = (byte)'.';
            var fraction = nanos;
            for (var i = 8; i >= 0; i--)
            {
                if (i < digits)
                {
                    destination[written + i] = (byte)('0' + (fraction % 10));
                }
                fraction /= 10;
            }
            written += digits;
        }
        destination[written++] = (byte)'Z';
        return written;
    }

    private static void Two(Span<byte> destination, int at, int value)
    {
        destination[at] = (byte)('0' + value / 10);
        destination[at + 1] = (byte)('0' + value % 10);
    }

    private static bool Digits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            value = value * 10 + (c - '0');
        }
        return true;
    }
}
