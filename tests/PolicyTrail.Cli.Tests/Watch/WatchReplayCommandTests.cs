using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Watch;

/// <summary><c>policytrail watch --replay</c>: a change file written by <c>--out</c> recorded into a store.</summary>
public sealed class WatchReplayCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-watch-replay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Change =
        """{"record":"change","time":"2026-11-01T08:00:00.000000001Z","type":"Added","kind":"Pod","namespace":"shop","name":"web-1","uid":"u1","resourceVersion":"7","origin":"watch","object":{"metadata":{"name":"web-1","namespace":"shop","managedFields":[{}]},"status":{"podIP":"10.0.0.7"}}}""";

    private const string Gap =
        """{"record":"gap","from":"2026-11-01T08:00:01.000000000Z","to":"2026-11-01T08:00:09.000000000Z","reason":"pods: watch disconnected"}""";

    [Fact]
    public async Task Replay_records_the_file_verifies_and_a_second_run_skips_what_was_recorded()
    {
        var file = Path.Combine(_dir, "changes.jsonl");
        var store = Path.Combine(_dir, "s.duckdb");
        await File.WriteAllLinesAsync(file, [Change, Gap], TestContext.Current.CancellationToken);

        var first = await CliRunner.RunAsync("watch", "--replay", file, "--store", store);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("watch: replayed", first.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 changes (Pod 1), 1 gap", first.Stderr, StringComparison.Ordinal);

        var second = await CliRunner.RunAsync("watch", "--replay", file, "--store", store);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("0 changes (), 0 gaps; 2 lines already recorded, skipped", second.Stderr, StringComparison.Ordinal);

        var verify = await CliRunner.RunAsync("verify", "--store", store);
        Assert.True(verify.ExitCode == 0, verify.Stderr + verify.Stdout);
        var query = await CliRunner.RunAsync("query", "--store", store, "-o", "jsonl");
        Assert.Contains("\"podIP\":\"10.0.0.7\"", query.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("managedFields", query.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_line_is_one_clear_line_naming_file_and_line_and_exit_1()
    {
        var file = Path.Combine(_dir, "changes.jsonl");
        var store = Path.Combine(_dir, "s.duckdb");
        await File.WriteAllLinesAsync(file, [Change, "{\"record\":\"change\",\"time\":\"2026-11-01", "garbage", Gap], TestContext.Current.CancellationToken);

        var result = await CliRunner.RunAsync("watch", "--replay", file, "--store", store);
        Assert.True(result.ExitCode == 1, result.Stderr);
        Assert.Contains($"policytrail: {file}:2: not JSON", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"policytrail: {file}:3: not JSON", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("2 lines rejected", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        var verify = await CliRunner.RunAsync("verify", "--store", store);
        Assert.True(verify.ExitCode == 0, verify.Stderr + verify.Stdout);
    }

    [Fact]
    public async Task A_missing_file_is_one_clear_line_and_exit_2()
    {
        var result = await CliRunner.RunAsync("watch", "--replay", Path.Combine(_dir, "nope.jsonl"), "--store", Path.Combine(_dir, "s.duckdb"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("nope.jsonl: no such file", result.Stderr, StringComparison.Ordinal);
    }
}
