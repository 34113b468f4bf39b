namespace PolicyTrail.Ledger.Tests.Support;

/// <summary>Hex helpers for known-answer vectors.</summary>
internal static class Hex
{
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);

    public static string Of(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
