# The yardstick for `policytrail denied --cross-namespace`: dropped attempts between pods of two namespaces, per source
# and destination workload, port and protocol, with first and last seen, straight from `hubble observe -o json` lines.
# Updates use `|=` with right-hand sides that do not read the accumulator (see access.jq).
#   jq -n -c -f bench/jq/denied-cross-namespace.jq hubble.jsonl
def workload(e): e.namespace + "/" + ((e.workloads // [])[0].name // e.pod_name // "");
reduce (inputs | .flow | select(. != null and .verdict == "DROPPED" and .is_reply != true
    and .source.namespace != null and .destination.namespace != null and .source.namespace != .destination.namespace)) as $f ({};
  ([workload($f.source), workload($f.destination), (($f.l4 | to_entries[0]) | .key + "/" + (.value.destination_port | tostring))] | join(" ")) as $k
  | .[$k].attempts |= . + 1
  | .[$k].firstSeen |= (. // $f.time)
  | .[$k].lastSeen |= $f.time)
