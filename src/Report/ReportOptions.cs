using PolicyTrail.Ledger.Checkpoints;

namespace PolicyTrail.Report;

/// <summary>What a report covers and how: the period, the sensitive destinations, verification and table sizes.</summary>
public sealed record ReportOptions
{
    /// <summary>First instant of the period (Unix ns, inclusive); <see cref="long.MinValue"/>: from the store's first entry.</summary>
    public long Since { get; init; } = long.MinValue;

    /// <summary>End of the period (Unix ns, exclusive); <see cref="long.MaxValue"/>: up to the store's last entry.</summary>
    public long Until { get; init; } = long.MaxValue;

    /// <summary>Sensitive destinations as <c>access --to</c> takes them (ns, ns/svc, svc:ns/name, pod:ns/name, a label selector).</summary>
    public IReadOnlyList<string> Sensitive { get; init; } = [];

    /// <summary>Whether to verify the whole log (needs <see cref="VerifierKey"/>); false leaves the verification section as "not run".</summary>
    public bool Verify { get; init; } = true;

    /// <summary>The key the log's checkpoints are verified with; without one the report says it could not verify.</summary>
    public NoteVerifier? VerifierKey { get; init; }

    /// <summary>Where <see cref="VerifierKey"/> came from (shown in the report, e.g. the path of policytrail.pub).</summary>
    public string? VerifierKeySource { get; init; }

    /// <summary>Checkpoints kept outside the store (signed notes) the log must still extend.</summary>
    public IReadOnlyList<string> KeptCheckpoints { get; init; } = [];

    /// <summary>The store as a user names it in commands (its path); the "list all" commands use it in --store.</summary>
    public string? StorePath { get; init; }

    /// <summary>At most this many rows per table; the rest is counted and the command that lists all is given.</summary>
    public int TopRows { get; init; } = 25;
}
