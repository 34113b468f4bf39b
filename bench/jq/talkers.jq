# The yardstick for `policytrail talkers`: flows per source workload, destination workload, port and protocol, with
# allowed and denied counts, straight from `hubble observe -o json` lines (replies left out, as talkers does).
#   jq -n -c -f bench/jq/talkers.jq hubble.jsonl
def workload(e): (e.namespace // "") + "/" + ((e.workloads // [])[0].name // e.pod_name // "");
reduce (inputs | .flow | select(. != null and .is_reply != true)) as $f ({};
  ([workload($f.source), workload($f.destination), (($f.l4 | to_entries[0]) | .key + "/" + (.value.destination_port | tostring))] | join(" ")) as $k
  | .[$k].flows += 1
  | .[$k].allowed += (if $f.verdict == "FORWARDED" then 1 else 0 end)
  | .[$k].denied += (if $f.verdict == "DROPPED" then 1 else 0 end))
