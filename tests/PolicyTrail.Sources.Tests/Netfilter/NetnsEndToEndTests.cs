using System.Diagnostics;
using System.Net;
using PolicyTrail.Core;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Tests.Support;

namespace PolicyTrail.Sources.Tests.Netfilter;

/// <summary>
/// Runs e2e/netns-e2e.sh: real nftables LOG and NFLOG rules in network namespaces, real connections, the kernel's
/// lines and a real ulogd2's JSON, then `policytrail parse`. Skips (with the script's reason) when not root, when
/// namespaces cannot be made or the tools are missing.
/// </summary>
public class NetnsEndToEndTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(2);

    [Fact]
    public void Real_LOG_lines_and_ulogd_records_give_every_expected_flow()
    {
        var root = RepoRoot() ?? throw new InvalidOperationException("no PolicyTrail.slnx above the test binaries");
        var script = Path.Combine(root, "tests", "PolicyTrail.Sources.Tests", "Netfilter", "e2e", "netns-e2e.sh");
        var outDir = Path.Combine(Path.GetTempPath(), $"policytrail-netns-e2e-{Environment.ProcessId}");
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("network namespaces need Linux");
        }
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root")
        {
            Assert.Skip("needs root (network namespaces, nftables, sysctl, dmesg)");
        }
        // The CLI build (cached by ./policytrail) is not part of the two-minute budget of the namespace run itself.
        var (built, buildOutput) = Run(Path.Combine(root, "policytrail"), ["parse", "--formats"], TimeSpan.FromMinutes(10));
        Assert.True(built == 0, $"./policytrail did not build:\n{buildOutput}");
        var started = Stopwatch.StartNew();
        var (code, output) = Run("timeout", ["--kill-after=10", ((int)Budget.TotalSeconds - 15).ToString(System.Globalization.CultureInfo.InvariantCulture), "bash", script, outDir, root]);
        if (code == 77)
        {
            Assert.Skip(output.Split('\n').LastOrDefault(l => l.StartsWith("SKIP:", StringComparison.Ordinal)) ?? "skipped by the script");
        }
        Assert.True(code == 0, $"netns-e2e.sh exited {code}:\n{output}");
        Assert.True(started.Elapsed < Budget, $"netns-e2e.sh took {started.Elapsed}");

        // The same captures through the in-process pipeline, checked field by field.
        var options = new FormatOptions { NetfilterPrefixes = ["PT-ALLOW: =allow", "PT-DROP: =deny"] };
        var kernel = Harness.ParseFiles([Path.Combine(outDir, "kernel-iso.log")], options: options);
        var ulogd = Harness.ParseFiles([Path.Combine(outDir, "ulogd.json")], options: options);
        Assert.Empty(kernel.Rejects);
        Assert.Empty(ulogd.Rejects);
        foreach (var flows in new[] { kernel.Flows, ulogd.Flows })
        {
            Expect(flows, Protocol.Tcp, "10.199.1.1", 40001, 8080, ReportedVerdict.Allowed);
            Expect(flows, Protocol.Tcp, "10.199.1.2", 40002, 8080, ReportedVerdict.Denied);
            Expect(flows, Protocol.Udp, "10.199.1.2", 40003, 5353, ReportedVerdict.Allowed);
            Expect(flows, Protocol.Udp, "10.199.1.1", 40004, 5353, ReportedVerdict.Denied);
            Assert.All(flows, f => Assert.Equal(FlowDirection.Ingress, f.Direction));
            Assert.All(flows, f => Assert.Equal(6, f.Time.FractionDigits));
        }
        // Both views of one packet are the same packet a moment apart (dmesg's wall clock is derived from boot time).
        var k = kernel.Flows.First(f => f.Src.Port == 40001);
        var u = ulogd.Flows.First(f => f.Src.Port == 40001);
        Assert.InRange(Math.Abs(k.Time.UnixNanos - u.Time.UnixNanos), 0, 5_000_000_000L);

        var raw = Harness.ParseFiles([Path.Combine(outDir, "kernel-raw.log")], "netfilter", options);
        Assert.Empty(raw.Flows);
        Assert.All(raw.Rejects, r => Assert.Contains("kernel uptime only", r.Reason, StringComparison.Ordinal));
        var ctime = Harness.ParseFiles([Path.Combine(outDir, "kernel-ctime.log")], "netfilter", options);
        Assert.Equal(kernel.Flows.Count, ctime.Flows.Count);
        Directory.Delete(outDir, recursive: true);
    }

    private static void Expect(List<FlowRecord> flows, Protocol protocol, string src, int sport, int dport, ReportedVerdict verdict)
    {
        Assert.Contains(flows, f => f.Protocol == protocol && f.Src.IP!.Equals(IPAddress.Parse(src)) && f.Src.Port == sport
            && f.Dst.IP!.Equals(IPAddress.Parse("10.199.1.10")) && f.Dst.Port == dport && f.Reported.Verdict == verdict);
    }

    private static (int Code, string Output) Run(string file, IEnumerable<string> args, TimeSpan? limit = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit ?? Budget + TimeSpan.FromSeconds(15)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string? RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PolicyTrail.slnx")))
            {
                return dir.FullName;
            }
        }
        return null;
    }
}
