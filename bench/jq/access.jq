# The yardstick for `policytrail access --to pod:NS/POD`: every source that reached the pod or tried, with attempts,
# allowed, denied, first and last seen, straight from `hubble observe -o json` lines. Updates use `|=` with right-hand
# sides that do not read the accumulator (`+=` keeps a second reference to it, and jq then copies it at every line).
#   jq -n -c --arg ns NS --arg pod POD -f bench/jq/access.jq hubble.jsonl
reduce (inputs | .flow | select(. != null and .destination.namespace == $ns and .destination.pod_name == $pod)) as $f ({};
  ((($f.source.namespace // "") + "/" + ($f.source.pod_name // $f.IP.source))) as $k
  | (if $f.verdict == "FORWARDED" then 1 else 0 end) as $allowed
  | (if $f.verdict == "DROPPED" then 1 else 0 end) as $denied
  | .[$k].attempts |= . + 1
  | .[$k].allowed |= . + $allowed
  | .[$k].denied |= . + $denied
  | .[$k].firstSeen |= (. // $f.time)
  | .[$k].lastSeen |= $f.time)
