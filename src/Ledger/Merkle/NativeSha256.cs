using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace PolicyTrail.Ledger.Merkle;

/// <summary>
/// SHA-256 through libcrypto's low-level <c>SHA256_Init/Update/Final</c> on a context on the stack, where the system has
/// them (Linux with OpenSSL 3 or 1.1; deprecated in 3 but kept, and unlike the one-shot <c>SHA256()</c>, which OpenSSL 3
/// routes through an algorithm fetch with locks and allocations, they go straight to the block function).
/// <see cref="IncrementalHash"/> goes through .NET's OpenSSL shim, whose per-call bookkeeping (error queue, context
/// reset) costs more than hashing a 65-byte node and about half again a 1 KB entry; verify hashes millions of both.
/// </summary>
internal static unsafe class NativeSha256
{
    // SHA256_CTX is 112 bytes (eight state words, two length words, a 64-byte block, two ints); room to spare.
    private const int ContextSize = 256;

    private static readonly Functions? Native = Load();

    /// <summary>Whether libcrypto's functions were found and gave the right answer for a known input.</summary>
    public static bool Available => Native is not null;

    /// <summary>SHA-256 of <paramref name="data"/> into the first 32 bytes of <paramref name="destination"/>.</summary>
    public static void HashData(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (destination.Length < SHA256.HashSizeInBytes)
        {
            throw new ArgumentException($"a SHA-256 needs {SHA256.HashSizeInBytes} bytes (got {destination.Length})", nameof(destination));
        }
        var native = Native ?? throw new InvalidOperationException("libcrypto's SHA-256 is not available here");
        native.Hash(data, destination);
    }

    private sealed class Functions(nint init, nint update, nint final)
    {
        private readonly delegate* unmanaged<byte*, int> _init = (delegate* unmanaged<byte*, int>)init;
        private readonly delegate* unmanaged<byte*, byte*, nuint, int> _update = (delegate* unmanaged<byte*, byte*, nuint, int>)update;
        private readonly delegate* unmanaged<byte*, byte*, int> _final = (delegate* unmanaged<byte*, byte*, int>)final;

        public void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
        {
            var context = stackalloc byte[ContextSize];
            fixed (byte* input = data)
            fixed (byte* output = destination)
            {
                _init(context);
                _update(context, input, (nuint)data.Length);
                _final(output, context);
            }
        }
    }

    private static Functions? Load()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        Span<byte> native = stackalloc byte[SHA256.HashSizeInBytes];
        foreach (var name in (string[])["libcrypto.so.3", "libcrypto.so.1.1"])
        {
            if (!NativeLibrary.TryLoad(name, out var library)
                || !NativeLibrary.TryGetExport(library, "SHA256_Init", out var init)
                || !NativeLibrary.TryGetExport(library, "SHA256_Update", out var update)
                || !NativeLibrary.TryGetExport(library, "SHA256_Final", out var final))
            {
                continue;
            }
            var functions = new Functions(init, update, final);
            // Trust them only when they agree with the managed API on known inputs (short, and over several blocks).
            var agree = true;
            foreach (var probe in (byte[][])["abc"u8.ToArray(), new byte[1000]])
            {
                functions.Hash(probe, native);
                agree &= native.SequenceEqual(SHA256.HashData(probe));
            }
            if (agree)
            {
                return functions;
            }
        }
        return null;
    }
}
