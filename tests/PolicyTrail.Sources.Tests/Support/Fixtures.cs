namespace PolicyTrail.Sources.Tests.Support;

/// <summary>
/// The real sample records of ../shared/fixtures/flows (other projects' data, read in place, never copied here).
/// A test that needs them calls <see cref="PathOrSkip"/>, which skips with a reason when ../shared is absent.
/// </summary>
internal static class Fixtures
{
    public static string? FlowsDirectory { get; } = Find();

    public static string PathOrSkip(string name)
    {
        if (FlowsDirectory is null)
        {
            Assert.Skip("../shared/fixtures/flows is absent: the real sample records live beside the clone, not in it");
        }
        var path = Path.Combine(FlowsDirectory, name);
        if (!File.Exists(path))
        {
            Assert.Skip($"{path} is absent");
        }
        return path;
    }

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("POLICYTRAIL_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(Path.Combine(env, "fixtures", "flows")))
        {
            return Path.Combine(env, "fixtures", "flows");
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PolicyTrail.slnx")))
            {
                var flows = Path.Combine(dir.FullName, "..", "shared", "fixtures", "flows");
                return Directory.Exists(flows) ? Path.GetFullPath(flows) : null;
            }
        }
        return null;
    }
}
