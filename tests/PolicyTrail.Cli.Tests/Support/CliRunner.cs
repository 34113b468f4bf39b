using System.Text;

namespace PolicyTrail.Cli.Tests.Support;

/// <summary>What one in-process run of the real CLI produced.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Runs <c>policytrail</c> in process with captured streams, exactly as the console entry point does.</summary>
internal static class CliRunner
{
    public static string Repo { get; } = FindRepo();

    public static string Examples => Path.Combine(Repo, "examples");

    public static async Task<CliResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        int code;
        using (var terminal = new Terminal(stdout, stderr, () => new MemoryStream(Encoding.UTF8.GetBytes(stdin ?? "")), false, false))
        {
            code = await CliApp.RunAsync(args, terminal);
        }
        return new CliResult(code, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    public static Task<CliResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PolicyTrail.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
