using System.Diagnostics;
using System.Text.Json.Nodes;
using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Ledger;

/// <summary>
/// kill -9 at any moment, then the same command: the store ends with exactly the entries of an uninterrupted run, and
/// verifies. The real CLI runs as a child process; most kills come from the process itself (SIGKILL after a random
/// number of appends, set through POLICYTRAIL_TEST_KILL_AFTER), the rest from outside after a random time.
/// </summary>
public sealed class CrashResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policytrail-crash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Twenty_five_kills_then_a_rerun_give_the_entries_of_an_uninterrupted_run()
    {
        var flows = FlowFiles.Hubble(Path.Combine(_dir, "flows.jsonl"), 8_000, seed: 3);
        var more = FlowFiles.Hubble(Path.Combine(_dir, "more.jsonl"), 2_000, seed: 4);
        var cluster = Path.Combine(CliRunner.Examples, "cluster");
        var keys = await CliRunner.RunAsync("keys", "init", "--out", _dir);
        Assert.Equal(0, keys.ExitCode);
        var key = Path.Combine(_dir, "policytrail.key");
        string[] Args(string store) => ["ingest", "--store", store, "--cluster", cluster, "--key", key, "--batch", "997", "--checkpoint-every", "2500", flows, more];

        var reference = Path.Combine(_dir, "reference.duckdb");
        var clean = await Run(Args(reference), null, null);
        Assert.True(clean.Code is 0 or 1, clean.Stderr);

        var crashed = Path.Combine(_dir, "crashed.duckdb");
        var random = new Random(2026);
        var kills = 0;
        for (var i = 0; i < 60 && kills < 25; i++)
        {
            var external = i % 5 == 4;
            var result = external
                ? await Run(Args(crashed), null, TimeSpan.FromMilliseconds(random.Next(300, 2500)))
                : await Run(Args(crashed), random.Next(1, 1_500), null);
            if (result.Killed)
            {
                kills++;
            }
            else
            {
                Assert.True(result.Code is 0 or 1, $"run {i}: exit {result.Code}: {result.Stderr}");
            }
        }
        Assert.True(kills >= 20, $"only {kills} runs were killed");
        var final = await Run(Args(crashed), null, null);
        Assert.True(final.Code is 0 or 1, final.Stderr);

        var expected = await Entries(reference);
        var actual = await Entries(crashed);
        Assert.True(expected.Count > 9_000, $"{expected.Count} entries");
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i] == actual[i], $"entry {i} differs:\n{expected[i]}\n{actual[i]}");
        }
        var verify = await CliRunner.RunAsync("verify", "--store", crashed, "--key", Path.Combine(_dir, "policytrail.pub"));
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);

        var again = await Run(Args(crashed), null, null);
        Assert.Contains("appended 0 entries", again.Stderr, StringComparison.Ordinal);
    }

    // Each entry as stored, without observedAt (the one field that is the time of ingest, not of the event).
    private static async Task<List<string>> Entries(string store)
    {
        var r = await CliRunner.RunAsync("query", "--store", store, "-o", "jsonl");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.StdoutLines.Select(line =>
        {
            var node = JsonNode.Parse(line)!.AsObject();
            node.Remove("observedAt");
            return node.ToJsonString();
        }).ToList();
    }

    private sealed record RunResult(int Code, bool Killed, string Stderr);

    private static async Task<RunResult> Run(string[] args, int? killAfterAppends, TimeSpan? killAfter)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "policytrail.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        if (killAfterAppends is { } n)
        {
            start.Environment["POLICYTRAIL_TEST_KILL_AFTER"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        _ = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var killed = false;
        if (killAfter is { } delay)
        {
            if (!process.WaitForExit(delay))
            {
                process.Kill(entireProcessTree: true);
                killed = true;
            }
        }
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        // 137 = 128 + SIGKILL, as a shell reports a process killed with kill -9.
        killed |= process.ExitCode == 137;
        return new RunResult(process.ExitCode, killed, await stderr);
    }
}
