using System.Security.Cryptography;
using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Tests.Formats;

public class LineHashTests
{
    [Fact]
    public void Every_length_hashes_as_SHA256_does()
    {
        var random = new Random(11);
        var data = new byte[5000];
        random.NextBytes(data);
        using var hash = new LineHash();
        Span<byte> mine = stackalloc byte[32];
        for (var length = 0; length <= 300; length++)
        {
            hash.Hash(data.AsSpan(0, length), mine);
            Assert.Equal(SHA256.HashData(data.AsSpan(0, length)), mine.ToArray());
        }
        foreach (var length in new[] { 1023, 1024, 1240, 4096, 5000 })
        {
            hash.Hash(data.AsSpan(0, length), mine);
            Assert.Equal(SHA256.HashData(data.AsSpan(0, length)), mine.ToArray());
        }
    }

    [Fact]
    public void On_Linux_with_OpenSSL_3_the_direct_path_is_taken()
    {
        // The project's machines are Linux with OpenSSL 3; a silent fall-back would cost ~0.5 µs a line unnoticed.
        Assert.SkipUnless(OperatingSystem.IsLinux() && File.Exists("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"), "no OpenSSL 3 here");
        Assert.True(LineHash.UsesLibcrypto);
    }
}
