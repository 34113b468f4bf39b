namespace PolicyTrail.Identity.Snapshots;

/// <summary>A cluster input file that cannot be read; each problem names the file, the position and what is wrong.</summary>
public sealed class SnapshotFormatException : Exception
{
    /// <summary>Creates the exception from one or more problem lines.</summary>
    public SnapshotFormatException(IReadOnlyList<string> problems)
        : base(problems.Count > 0 ? problems[0] : "cluster input could not be read")
    {
        Problems = problems;
    }

    /// <summary>Creates the exception from one problem line.</summary>
    public SnapshotFormatException(string problem)
        : this([problem])
    {
    }

    /// <summary>Creates the exception with no problem lines.</summary>
    public SnapshotFormatException()
        : this([])
    {
    }

    /// <summary>Creates the exception from one problem line and its cause.</summary>
    public SnapshotFormatException(string problem, Exception inner)
        : base(problem, inner)
    {
        Problems = [problem];
    }

    /// <summary>Every problem found, one line each: "file:position: what is wrong".</summary>
    public IReadOnlyList<string> Problems { get; }
}
