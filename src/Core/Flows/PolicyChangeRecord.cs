namespace PolicyTrail.Core.Flows;

/// <summary>
/// A change to a policy (or namespace) object as the Kubernetes API audit log recorded it: who did what to which
/// object, when, and with what result. The identity history uses these to know which policy version was in force.
/// </summary>
public sealed record PolicyChangeRecord : NormalizedRecord
{
    /// <summary>The API verb: create, update, patch, delete, deletecollection.</summary>
    public required string Verb { get; init; }
    /// <summary>objectRef.apiGroup ("networking.k8s.io", "crd.projectcalico.org", "" for core).</summary>
    public string? ApiGroup { get; init; }
    /// <summary>objectRef.apiVersion.</summary>
    public string? ApiVersion { get; init; }
    /// <summary>objectRef.resource ("networkpolicies", "namespaces", ...).</summary>
    public required string Resource { get; init; }
    /// <summary>objectRef.namespace.</summary>
    public string? Namespace { get; init; }
    /// <summary>objectRef.name (null for a deletecollection).</summary>
    public string? Name { get; init; }
    /// <summary>user.username.</summary>
    public string? User { get; init; }
    /// <summary>user.groups.</summary>
    public IReadOnlyList<string> UserGroups { get; init; } = [];
    /// <summary>impersonatedUser.username, when the request impersonated someone.</summary>
    public string? ImpersonatedUser { get; init; }
    /// <summary>responseStatus.code (e.g. 201, 200, 422); null when absent.</summary>
    public int? ResponseCode { get; init; }
    /// <summary>Whether the API server accepted the change (2xx).</summary>
    public bool Succeeded => ResponseCode is >= 200 and < 300;
    /// <summary>auditID.</summary>
    public string? AuditId { get; init; }
    /// <summary>stage (ResponseComplete, ...).</summary>
    public string? Stage { get; init; }
    /// <summary>The object's resourceVersion after the change, when the response carries it.</summary>
    public string? ResourceVersion { get; init; }
    /// <summary>The object as the response (or, failing that, the request) carried it, as raw JSON; null at Metadata level.</summary>
    public string? ObjectJson { get; init; }
}
