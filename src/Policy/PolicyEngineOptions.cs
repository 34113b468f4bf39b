namespace PolicyTrail.Policy;

/// <summary>Switches where implementations of NetworkPolicy differ from one another.</summary>
public sealed record PolicyEngineOptions
{
    /// <summary>
    /// Whether ipBlock peers match pod addresses. Upstream conformance (the Kubernetes e2e tests) says yes, the
    /// default; some CNIs and analyzers (netpol-analyzer) match ipBlocks against non-pod addresses only.
    /// </summary>
    public bool IpBlockSelectsPods { get; init; } = true;

    /// <summary>Upstream semantics.</summary>
    public static PolicyEngineOptions Upstream { get; } = new();
}
