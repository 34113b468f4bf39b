using System.Globalization;
using PolicyTrail.Core.Flows;

namespace PolicyTrail.Sources.AwsNetworkPolicyAgent;

/// <summary>The time spellings the agent's zap logger, CloudWatch Logs and VPC Flow Logs write.</summary>
internal static class AwsTime
{
    private static readonly string[] LocalFormats =
    [
        "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
    ];

    /// <summary>
    /// RFC 3339, plus zap's ISO8601TimeEncoder spelling of a non-UTC offset without a colon ("+0200"), which the
    /// agent writes when the node's zone is not UTC.
    /// </summary>
    public static bool TryParseZoned(string text, out Timestamp time)
    {
        if (Timestamp.TryParseRfc3339(text, out time))
        {
            return true;
        }
        if (text.Length > 5 && (text[^5] == '+' || text[^5] == '-') && text[^4..].All(char.IsAsciiDigit))
        {
            return Timestamp.TryParseRfc3339(string.Concat(text.AsSpan(0, text.Length - 2), ":", text.AsSpan(text.Length - 2)), out time);
        }
        return false;
    }

    /// <summary>A zone-less wall-clock time ("2026-08-07 17:05:21.588", CloudWatch Logs Insights) in the given zone.</summary>
    public static bool TryParseLocal(string text, TimeZoneInfo zone, out Timestamp time)
    {
        time = default;
        return text.Length is >= 19 and <= 29 && Timestamp.TryParseLocal(text, LocalFormats, zone, out time);
    }

    /// <summary>Unix seconds with an optional decimal fraction, kept exactly (zap's EpochTimeEncoder; VPC Flow Logs start/end).</summary>
    public static bool TryParseUnixSeconds(ReadOnlySpan<char> text, out Timestamp time)
    {
        time = default;
        var dot = text.IndexOf('.');
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? [] : text[(dot + 1)..];
        if (whole.Length is 0 or > 12 || !whole.ContainsOnlyDigits() || (dot >= 0 && (fraction.Length == 0 || !fraction.ContainsOnlyDigits())))
        {
            return false;
        }
        var seconds = long.Parse(whole, NumberStyles.None, CultureInfo.InvariantCulture);
        var digits = Math.Min(fraction.Length, 9);
        var nanos = digits == 0 ? 0 : int.Parse(fraction[..digits], NumberStyles.None, CultureInfo.InvariantCulture);
        for (var d = digits; d < 9; d++)
        {
            nanos *= 10;
        }
        time = Timestamp.FromSecondsAndNanos(seconds, nanos, Timestamp.Precision(digits));
        return true;
    }

    /// <summary>Unix milliseconds (CloudWatch Logs event timestamps).</summary>
    public static bool TryParseUnixMillis(long millis, out Timestamp time)
    {
        time = default;
        if (millis is < 0 or > 253_402_300_799_999)
        {
            return false;
        }
        time = Timestamp.FromSecondsAndNanos(millis / 1000, (int)(millis % 1000) * 1_000_000, 3);
        return true;
    }

    private static bool ContainsOnlyDigits(this ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }
}
