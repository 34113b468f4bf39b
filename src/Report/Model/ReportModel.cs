using PolicyTrail.Query.Answers;

namespace PolicyTrail.Report.Model;

/// <summary>
/// Everything a report shows, as plain data built once from a store (<see cref="ReportBuilder.Build"/>); the HTML and JSON
/// writers only lay it out. Times are Unix ns; lists are in the order they are shown.
/// </summary>
public sealed record ReportModel
{
    /// <summary>When the report was generated (the only value that differs between two reports of the same store and options).</summary>
    public required DateTimeOffset GeneratedAt { get; init; }
    /// <summary>Scope and period.</summary>
    public required ScopeSection Scope { get; init; }
    /// <summary>Data sources and their completeness.</summary>
    public required SourcesSection Sources { get; init; }
    /// <summary>The verification result and the checkpoint it rests on.</summary>
    public required VerificationSection Verification { get; init; }
    /// <summary>Who accessed, or tried to access, each sensitive destination.</summary>
    public required IReadOnlyList<AccessSection> Access { get; init; }
    /// <summary>Which workload pairs talked.</summary>
    public required Bounded<TalkerRow> Talkers { get; init; }
    /// <summary>Denied attempts across namespaces.</summary>
    public required Bounded<DeniedRow> DeniedCrossNamespace { get; init; }
    /// <summary>Segmentation coverage at the end of the period.</summary>
    public required CoverageSection Coverage { get; init; }
    /// <summary>Policy changes in the period.</summary>
    public required Bounded<PolicyChangeRow> PolicyChanges { get; init; }
    /// <summary>Flows whose CNI verdict disagrees with PolicyTrail's.</summary>
    public required Bounded<DisagreementRow> Disagreements { get; init; }
    /// <summary>Flows and denials per interval of the period (the time-series chart).</summary>
    public required TimeSeries Activity { get; init; }
    /// <summary>The most denied workload pairs (any namespaces), for the bar chart.</summary>
    public required IReadOnlyList<DeniedRow> TopDeniedPairs { get; init; }
}

/// <summary>
/// The first rows of a longer list: <see cref="Total"/> rows exist, <see cref="Rows"/> are shown, and
/// <see cref="Command"/> lists all of them.
/// </summary>
public sealed record Bounded<T>(IReadOnlyList<T> Rows, long Total, string Command)
{
    /// <summary>How many rows are left out.</summary>
    public long More => Total - Rows.Count;
}

/// <summary>What the report covers: the store, its log, and the period asked for and found.</summary>
public sealed record ScopeSection(
    string Store, string? Origin, long TreeSize, long? FirstEntry, long? LastEntry, long Since, long Until, bool SinceGiven, bool UntilGiven,
    long FlowEntries, long FlowAttempts, long GapEntries, long PolicyChangeEntries, long InventoryChangeEntries,
    IReadOnlyList<SensitiveTarget> Sensitive);

/// <summary>A sensitive destination and why it is one (<c>--sensitive</c>, or its label or annotation).</summary>
public sealed record SensitiveTarget(string Selector, string Reason);

/// <summary>Inputs and what was lost or rejected while reading them.</summary>
public sealed record SourcesSection(
    IReadOnlyList<InputRow> Inputs, IReadOnlyList<FormatRow> Formats, Bounded<GapRow> Gaps, IReadOnlyList<RejectRow> Rejects,
    long RejectedLines, long LostRecords);

/// <summary>An input the store has read (its recorded position): the file or stream, the last line consumed, when.</summary>
public sealed record InputRow(string Source, long Lines, DateTimeOffset Updated);

/// <summary>Flow entries of the period per source format and file.</summary>
public sealed record FormatRow(string Format, string File, long Entries);

/// <summary>A gap entry other than a rejected line: what a source did not see, over which interval.</summary>
public sealed record GapRow(long Index, long Time, string Reason, long? Lost, long? From, long? Until, string? Source);

/// <summary>Rejected input lines of one reason.</summary>
public sealed record RejectRow(string Reason, long Lines, IReadOnlyList<string> Files);

/// <summary>How verification went, and the checkpoint the report rests on.</summary>
public sealed record VerificationSection(
    VerificationStatus Status, string? Problem, long Entries, int Checkpoints, string? RootHash, string? KeyName, string? KeySource,
    CheckpointInfo? Checkpoint);

/// <summary>The outcome of the verification section.</summary>
public enum VerificationStatus
{
    /// <summary>Not decided.</summary>
    Unknown = 0,
    /// <summary>Every entry, the tree and every checkpoint check out.</summary>
    Intact,
    /// <summary>Something was found wrong (<see cref="VerificationSection.Problem"/>).</summary>
    Failed,
    /// <summary>Verification was turned off.</summary>
    NotRun,
    /// <summary>No verifier key was available.</summary>
    NoKey,
}

/// <summary>The latest signed checkpoint: its origin, tree size, root hash (hex), signers and the note itself.</summary>
public sealed record CheckpointInfo(long Sequence, string Origin, long Size, string RootHash, IReadOnlyList<string> Signers, string Note);

/// <summary>The access question for one sensitive destination; <see cref="Error"/> when it names nothing the store knows.</summary>
public sealed record AccessSection(SensitiveTarget Target, string Description, Bounded<AccessRow> Sources, long Attempts, long Denied, string? Error);

/// <summary>Coverage at <see cref="CoverageReport.At"/>, or why there is none.</summary>
public sealed record CoverageSection(CoverageReport? Report, int IngressUnisolated, int EgressUnisolated, int HostNetwork, Bounded<PodCoverage> Pods, string? Missing);

/// <summary>One recorded change of a NetworkPolicy or admin policy.</summary>
public sealed record PolicyChangeRow(
    long Index, long Time, long? NotBefore, bool TimeUnknown, string Kind, string? Namespace, string Name, string Change, string? ResourceVersion,
    string? User, string Origin);

/// <summary>Flows from one endpoint to another on one port where the CNI's verdict and PolicyTrail's differ.</summary>
public sealed record DisagreementRow(
    string Source, string Destination, int? Port, string? Protocol, bool IsReply, string Reported, string Computed, long Attempts, long FirstSeen,
    long LastSeen, IReadOnlyList<string> Policies);

/// <summary>Flow attempts and denied attempts per interval of <see cref="Step"/> ns, from <see cref="Start"/>.</summary>
public sealed record TimeSeries(long Start, long Step, IReadOnlyList<TimeBucket> Buckets);

/// <summary>One interval of a <see cref="TimeSeries"/>.</summary>
public sealed record TimeBucket(long Start, long Flows, long Denied);
