using System.Text.Json;
using PolicyTrail.Cli.Tests.Support;

namespace PolicyTrail.Cli.Tests.Explain;

/// <summary>testassets/&lt;case&gt;/{cluster.yaml, probes.jsonl, expected.jsonl[, args.txt]} through the real CLI.</summary>
public class GoldenCasesTests
{
    private static string Assets => Path.Combine(AppContext.BaseDirectory, "Explain", "testassets");

    public static TheoryData<string> Cases() =>
        new(Directory.EnumerateDirectories(Assets).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Output_matches_the_expected_lines(string name)
    {
        var dir = Path.Combine(Assets, name);
        var args = new List<string> { "explain", "--cluster", Path.Combine(dir, "cluster.yaml"), "--probes", Path.Combine(dir, "probes.jsonl"), "-o", "jsonl" };
        var extra = Path.Combine(dir, "args.txt");
        if (File.Exists(extra))
        {
            args.AddRange(File.ReadAllLines(extra).Where(l => l.Trim().Length > 0));
        }
        var result = await CliRunner.RunAsync([.. args]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var expected = File.ReadAllLines(Path.Combine(dir, "expected.jsonl")).Where(l => l.Trim().Length > 0).ToList();
        Assert.Equal(expected.Count, result.StdoutLines.Length);
        for (var i = 0; i < expected.Count; i++)
        {
            using var want = JsonDocument.Parse(expected[i]);
            using var got = JsonDocument.Parse(result.StdoutLines[i]);
            var mismatch = JsonSubset.FirstMismatch(want.RootElement, got.RootElement, "$");
            Assert.True(mismatch is null, $"{name} line {i + 1}: {mismatch}\n  got: {result.StdoutLines[i]}");
        }
    }
}

/// <summary>Compares JSON where the expected side lists only the fields it cares about.</summary>
internal static class JsonSubset
{
    public static string? FirstMismatch(JsonElement want, JsonElement got, string path)
    {
        switch (want.ValueKind)
        {
            case JsonValueKind.Object:
                if (got.ValueKind != JsonValueKind.Object)
                {
                    return $"{path}: expected an object, got {got.ValueKind}";
                }
                foreach (var property in want.EnumerateObject())
                {
                    if (!got.TryGetProperty(property.Name, out var value))
                    {
                        return $"{path}.{property.Name}: missing";
                    }
                    if (FirstMismatch(property.Value, value, $"{path}.{property.Name}") is { } m)
                    {
                        return m;
                    }
                }
                return null;
            case JsonValueKind.Array:
                if (got.ValueKind != JsonValueKind.Array || got.GetArrayLength() != want.GetArrayLength())
                {
                    return $"{path}: expected {want.GetRawText()}, got {got.GetRawText()}";
                }
                for (var i = 0; i < want.GetArrayLength(); i++)
                {
                    if (FirstMismatch(want[i], got[i], $"{path}[{i}]") is { } m)
                    {
                        return m;
                    }
                }
                return null;
            default:
                return want.GetRawText() == got.GetRawText() ? null : $"{path}: expected {want.GetRawText()}, got {got.GetRawText()}";
        }
    }
}
