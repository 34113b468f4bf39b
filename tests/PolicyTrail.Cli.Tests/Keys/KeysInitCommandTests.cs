using PolicyTrail.Cli.Tests.Support;
using PolicyTrail.Ledger.Checkpoints;

namespace PolicyTrail.Cli.Tests.Keys;

public sealed class KeysInitCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Writes_a_0600_signing_key_and_prints_the_matching_verifier_key()
    {
        var r = await CliRunner.RunAsync("keys", "init", "--out", _dir, "--name", "audit.example.com/c1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var signerPath = Path.Combine(_dir, "policytrail.key");
        var verifierKey = r.Stdout.Trim();
        Assert.Equal(verifierKey, (await File.ReadAllTextAsync(Path.Combine(_dir, "policytrail.pub"), TestContext.Current.CancellationToken)).Trim());
        Assert.StartsWith("audit.example.com/c1+", verifierKey, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(signerPath));
        }

        using var signer = NoteSigner.FromKey((await File.ReadAllTextAsync(signerPath, TestContext.Current.CancellationToken)).Trim());
        var note = SignedNote.Sign("example.com/log\n1\nAAAA\n", signer);
        Assert.True(SignedNote.Open(note, NoteVerifier.FromKey(verifierKey)).IsVerified);
    }

    [Fact]
    public async Task An_existing_key_is_not_replaced_without_force()
    {
        Assert.Equal(0, (await CliRunner.RunAsync("keys", "init", "--out", _dir)).ExitCode);
        var before = await File.ReadAllTextAsync(Path.Combine(_dir, "policytrail.key"), TestContext.Current.CancellationToken);
        var again = await CliRunner.RunAsync("keys", "init", "--out", _dir);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("a signing key exists already (use --force to replace it)", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(_dir, "policytrail.key"), TestContext.Current.CancellationToken));
        Assert.Equal(0, (await CliRunner.RunAsync("keys", "init", "--out", _dir, "--force")).ExitCode);
        Assert.NotEqual(before, await File.ReadAllTextAsync(Path.Combine(_dir, "policytrail.key"), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("a+b")]
    public async Task A_bad_key_name_is_a_usage_error(string name)
    {
        var r = await CliRunner.RunAsync("keys", "init", "--out", _dir, "--name", name);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("must be non-empty with no spaces", r.Stderr, StringComparison.Ordinal);
    }
}
