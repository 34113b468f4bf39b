using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace PolicyTrail.Ledger.Merkle;

/// <summary>
/// SHA-256 through libcrypto's one-shot <c>SHA256()</c> where the system has it (Linux with OpenSSL 3 or 1.1).
/// <see cref="IncrementalHash"/> goes through .NET's OpenSSL shim, whose per-call bookkeeping (error queue, context
/// reset) costs more than hashing a 65-byte node and about half again a 1 KB entry; verify hashes millions of both.
/// </summary>
internal static unsafe class NativeSha256
{
    // SHA256(const unsigned char *d, size_t n, unsigned char *md): pure computation into the caller's buffer.
    private static readonly delegate* unmanaged<byte*, nuint, byte*, byte*> Hash = Load();

    /// <summary>Whether the native one-shot was found and gave the right answer for a known input.</summary>
    public static bool Available => Hash != null;

    /// <summary>SHA-256 of <paramref name="data"/> into the first 32 bytes of <paramref name="destination"/>.</summary>
    public static void HashData(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (destination.Length < SHA256.HashSizeInBytes)
        {
            throw new ArgumentException($"a SHA-256 needs {SHA256.HashSizeInBytes} bytes (got {destination.Length})", nameof(destination));
        }
        fixed (byte* input = data)
        fixed (byte* output = destination)
        {
            Hash(input, (nuint)data.Length, output);
        }
    }

    private static delegate* unmanaged<byte*, nuint, byte*, byte*> Load()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        Span<byte> native = stackalloc byte[SHA256.HashSizeInBytes];
        foreach (var name in (string[])["libcrypto.so.3", "libcrypto.so.1.1"])
        {
            if (!NativeLibrary.TryLoad(name, out var library) || !NativeLibrary.TryGetExport(library, "SHA256", out var export))
            {
                continue;
            }
            var hash = (delegate* unmanaged<byte*, nuint, byte*, byte*>)export;
            // Trust it only when it agrees with the managed API on a known input.
            ReadOnlySpan<byte> probe = "abc"u8;
            fixed (byte* input = probe)
            fixed (byte* output = native)
            {
                hash(input, (nuint)probe.Length, output);
            }
            if (native.SequenceEqual(SHA256.HashData(probe)))
            {
                return hash;
            }
        }
        return null;
    }
}
