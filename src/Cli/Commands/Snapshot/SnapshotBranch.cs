using Spectre.Console.Cli;

namespace PolicyTrail.Cli.Commands.Snapshot;

/// <summary><c>policytrail snapshot ...</c>: record the cluster's state and its changes in the store.</summary>
internal static class SnapshotBranch
{
    public static void Register(IConfigurator config) =>
        config.AddBranch("snapshot", branch =>
        {
            branch.SetDescription("Record the cluster's state and its changes in the store: the identity history that flows are resolved against.");
            branch.AddCommand<SnapshotImportCommand>("import")
                .WithDescription("Record a cluster state (kubectl get ... -o json|yaml output) as of a time. Against what the store knows it becomes changes: added, modified, gone since the previous observation. Successive snapshots build the history flows are resolved against.")
                .WithExample("snapshot", "import", "cluster-0900.json")
                .WithExample("snapshot", "import", "--at", "2026-11-27T09:00:00Z", "pods.json", "policies.yaml", "namespaces.yaml")
                .WithExample("snapshot", "import", "--store", "audit.duckdb", "--at", "2h", "snapshot/");
            branch.AddCommand<SnapshotAuditLogCommand>("audit-log")
                .WithDescription("Record the NetworkPolicy, AdminNetworkPolicy and Namespace changes a Kubernetes API audit log shows, with the user who made each. Rerunning records only what is new.")
                .WithExample("snapshot", "audit-log", "/var/log/kubernetes/audit/audit.log")
                .WithExample("snapshot", "audit-log", "--store", "audit.duckdb", "audit-2026-11-26.log.gz", "audit-2026-11-27.log");
        });
}
