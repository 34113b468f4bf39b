namespace PolicyTrail.Policy.Tests.Support;

/// <summary>Finds ../shared (beside the repository clone), which holds other projects' data we read in place.</summary>
internal static class SharedData
{
    public static string? Root { get; } = Find();

    public static string? NetpolCases => Root is null ? null : Path.Combine(Root, "netpol-cases");

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("POLICYTRAIL_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PolicyTrail.slnx")))
            {
                var shared = Path.Combine(dir.FullName, "..", "shared");
                return Directory.Exists(shared) ? Path.GetFullPath(shared) : null;
            }
        }
        return null;
    }
}
