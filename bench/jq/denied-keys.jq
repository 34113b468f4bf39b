# The yardstick for `policytrail denied --cross-namespace`, the way a person answers it at scale with jq 1.6: one line
# per dropped attempt between pods of two namespaces (source and destination workload, protocol/port, time); then
# `sort` and an awk pass count each group and keep its first and last time.
#   jq -r -f bench/jq/denied-keys.jq hubble.jsonl | LC_ALL=C sort | awk -F'\t' -f bench/jq/first-last.awk
def workload(e): e.namespace + "/" + ((e.workloads // [])[0].name // e.pod_name // "");
.flow | select(. != null and .verdict == "DROPPED" and .is_reply != true
    and .source.namespace != null and .destination.namespace != null and .source.namespace != .destination.namespace)
| [workload(.source), workload(.destination), ((.l4 | to_entries[0]) | .key + "/" + (.value.destination_port | tostring)), .time] | @tsv
