using PolicyTrail.Sources.Formats;

namespace PolicyTrail.Sources.Ovn;

/// <summary>
/// OVN ACL audit log lines (ovn-controller's <c>acl_log</c> module) as OVN-Kubernetes, OpenShift OVN-Kubernetes
/// (/var/log/ovn/acl-audit-log.log) and Kube-OVN (/var/log/ovn/ovn-controller.log) write them, also behind a
/// journald/syslog or <c>kubectl logs --timestamps</c> prefix.
/// </summary>
public sealed class OvnAclFormat : IFlowFormat
{
    /// <inheritdoc />
    public string Name => "ovn-acl";

    /// <inheritdoc />
    public string Description => "OVN ACL audit log (acl_log lines of ovn-controller: OVN-Kubernetes, OpenShift, Kube-OVN)";

    /// <inheritdoc />
    public int Detect(IReadOnlyList<string> sample)
    {
        var aclLines = 0;
        var vlogLines = 0;
        foreach (var line in sample)
        {
            if (line.Contains("|acl_log", StringComparison.Ordinal) && line.Contains("name=", StringComparison.Ordinal)
                && line.Contains("verdict=", StringComparison.Ordinal))
            {
                aclLines++;
            }
            else if (OvnAclParser.LooksLikeVlog(line))
            {
                vlogLines++;
            }
        }
        // ovn-controller.log mixes ACL hits with its other messages: a sample of only those is still probably ours.
        return aclLines > 0 ? Math.Min(95, 70 + aclLines * 5) : vlogLines > 0 ? 25 : 0;
    }

    /// <inheritdoc />
    public ILineParser CreateParser(FormatOptions options) => new OvnAclParser(options);
}
