using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace PolicyTrail.Sources.Formats;

/// <summary>
/// SHA-256 of one input line at a time. Where OpenSSL 3's libcrypto is loadable (Linux), it calls its low-level
/// SHA256_Init/Update/Final directly on a context on the stack: for ~1 KB lines that is ~1.0 µs a line against
/// ~1.4–1.8 µs through <see cref="IncrementalHash"/>, whose EVP path adds handle, error-queue and reset work per call.
/// Elsewhere, or if the library's answer ever differs from .NET's on a self-test, it uses IncrementalHash.
/// </summary>
internal sealed unsafe class LineHash : IDisposable
{
    // OpenSSL's SHA256_CTX is 112 bytes; a larger buffer leaves room.
    private const int ContextBytes = 256;

    private static readonly Native? Library = Native.Load();
    private IncrementalHash? _fallback;

    /// <summary>Whether the direct libcrypto path is in use (for tests and benchmarks).</summary>
    public static bool UsesLibcrypto => Library is not null;

    /// <summary>Writes the SHA-256 of <paramref name="data"/> into the 32 bytes of <paramref name="hash"/>.</summary>
    public void Hash(ReadOnlySpan<byte> data, Span<byte> hash)
    {
        if (Library is { } native)
        {
            native.Hash(data, hash);
            return;
        }
        _fallback ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        _fallback.AppendData(data);
        _fallback.GetHashAndReset(hash);
    }

    /// <inheritdoc />
    public void Dispose() => _fallback?.Dispose();

    private sealed class Native
    {
        private readonly delegate* unmanaged<byte*, int> _init;
        private readonly delegate* unmanaged<byte*, byte*, nuint, int> _update;
        private readonly delegate* unmanaged<byte*, byte*, int> _final;

        private Native(nint init, nint update, nint final)
        {
            _init = (delegate* unmanaged<byte*, int>)init;
            _update = (delegate* unmanaged<byte*, byte*, nuint, int>)update;
            _final = (delegate* unmanaged<byte*, byte*, int>)final;
        }

        public static Native? Load()
        {
            if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libcrypto.so.3", out var library))
            {
                return null;
            }
            if (!NativeLibrary.TryGetExport(library, "SHA256_Init", out var init)
                || !NativeLibrary.TryGetExport(library, "SHA256_Update", out var update)
                || !NativeLibrary.TryGetExport(library, "SHA256_Final", out var final))
            {
                return null;
            }
            var native = new Native(init, update, final);
            return native.AgreesWithDotNet() ? native : null;
        }

        public void Hash(ReadOnlySpan<byte> data, Span<byte> hash)
        {
            if (hash.Length < 32)
            {
                throw new ArgumentException("a SHA-256 needs 32 bytes", nameof(hash));
            }
            byte* context = stackalloc byte[ContextBytes];
            fixed (byte* bytes = data)
            fixed (byte* digest = hash)
            {
                if (_init(context) != 1 || _update(context, bytes, (nuint)data.Length) != 1 || _final(digest, context) != 1)
                {
                    throw new CryptographicException("libcrypto SHA-256 failed");
                }
            }
        }

        /// <summary>A self-test on lengths around the 64-byte block size: any difference and the library is not used.</summary>
        private bool AgreesWithDotNet()
        {
            try
            {
                var data = new byte[1300];
                for (var i = 0; i < data.Length; i++)
                {
                    data[i] = unchecked((byte)(i * 7 + 3));
                }
                Span<byte> mine = stackalloc byte[32];
                Span<byte> theirs = stackalloc byte[32];
                foreach (var length in (ReadOnlySpan<int>)[0, 1, 55, 56, 63, 64, 65, 119, 120, 1240, 1300])
                {
                    Hash(data.AsSpan(0, length), mine);
                    SHA256.HashData(data.AsSpan(0, length), theirs);
                    if (!mine.SequenceEqual(theirs))
                    {
                        return false;
                    }
                }
                return true;
            }
            catch (CryptographicException)
            {
                return false;
            }
        }
    }
}
