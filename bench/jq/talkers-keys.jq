# The yardstick for `policytrail talkers` the way a person answers it at scale with jq 1.6, whose reduce into an object
# of hundreds of thousands of keys copies the object at each line: one line per flow (source and destination workload,
# protocol/port, verdict), counted by `sort | uniq -c`.
#   jq -r -f bench/jq/talkers-keys.jq hubble.jsonl | sort | uniq -c
def workload(e): (e.namespace // "") + "/" + ((e.workloads // [])[0].name // e.pod_name // "");
.flow | select(. != null and .is_reply != true)
| [workload(.source), workload(.destination), ((.l4 | to_entries[0]) | .key + "/" + (.value.destination_port | tostring)), .verdict] | @tsv
