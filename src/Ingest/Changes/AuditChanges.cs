using PolicyTrail.Core.Flows;
using PolicyTrail.Identity.History;

namespace PolicyTrail.Ingest.Changes;

/// <summary>
/// Turns an API audit record into the cluster change it made, for the kinds the identity history follows (namespaces,
/// NetworkPolicies, admin policies). Failed requests, a deletecollection (which does not name what it deleted) and other
/// policy kinds (Calico, Cilium) are not changes of those objects: they stay audit records of their own.
/// </summary>
public static class AuditChanges
{
    /// <summary>The change, or null when the record is not one (see the type's summary).</summary>
    public static ClusterChange? From(PolicyChangeRecord record)
    {
        if (!record.Succeeded || record.Name is null)
        {
            return null;
        }
        var kind = (record.ApiGroup ?? "", record.Resource) switch
        {
            ("", "namespaces") => ObjectKinds.Namespace,
            ("networking.k8s.io" or "extensions", "networkpolicies") => ObjectKinds.NetworkPolicy,
            ("policy.networking.k8s.io", "adminnetworkpolicies") => ObjectKinds.AdminNetworkPolicy,
            ("policy.networking.k8s.io", "baselineadminnetworkpolicies") => ObjectKinds.BaselineAdminNetworkPolicy,
            _ => null,
        };
        var type = record.Verb switch
        {
            "create" => ChangeType.Added,
            "update" or "patch" => ChangeType.Modified,
            "delete" => ChangeType.Deleted,
            _ => (ChangeType?)null,
        };
        if (kind is null || type is null)
        {
            return null;
        }
        return new ClusterChange
        {
            Time = record.Time.UnixNanos,
            Type = type.Value,
            Kind = kind,
            Namespace = kind is ObjectKinds.NetworkPolicy ? record.Namespace : null,
            Name = record.Name,
            ResourceVersion = record.ResourceVersion,
            ObjectJson = record.ObjectJson,
            User = record.ImpersonatedUser is { } impersonated ? $"{impersonated} (as impersonated by {record.User})" : record.User,
            Origin = $"audit-log {record.Source.File}:{record.Source.Line}",
        };
    }
}
