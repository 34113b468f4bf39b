#!/usr/bin/env bash
# End-to-end check of the "netfilter" and "ulogd-json" formats against the real kernel and a real ulogd2.
#
# Builds a tiny private network out of network namespaces: a "switch" namespace holding a bridge, two client "pods"
# and one server "pod", joined by veth pairs (addresses 10.199.1.0/24 only, nothing in the host's own namespace).
# The server namespace gets nftables rules that log with `log prefix "PT-ALLOW: "` / `"PT-DROP: "` (kernel LOG lines,
# read back with dmesg) and with `log group 7` (NFLOG, read by a ulogd2 running inside that namespace and written as
# JSON). Real TCP and UDP connections with fixed source ports are made, some accepted and some dropped; then
# `policytrail parse` reads the captured files and every expected record is checked (addresses, ports, protocol,
# verdict).
#
# Usage: netns-e2e.sh OUT_DIR [REPO_ROOT]
#   OUT_DIR keeps what was captured (kernel-iso.log, kernel-raw.log, kernel-ctime.log, ulogd.json, parsed.jsonl).
# Exit codes: 0 passed; 77 skipped (reason on stdout as "SKIP: ..."); anything else failed.
set -uo pipefail

out="${1:?usage: netns-e2e.sh OUT_DIR [REPO_ROOT]}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${2:-$(cd "$here/../../../.." && pwd)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
log() { echo "e2e: $*"; }

[[ "$(id -u)" == 0 ]] || skip "needs root (network namespaces, nftables, sysctl, dmesg)"

need_tools() {
    local missing=()
    for t in ip nft ulogd socat dmesg jq timeout; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [[ -e /usr/lib/x86_64-linux-gnu/ulogd/ulogd_output_JSON.so || -e /usr/lib/ulogd/ulogd_output_JSON.so ]] || missing+=("ulogd_output_JSON.so")
    echo "${missing[*]:-}"
}
if [[ -n "$(need_tools)" ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing tools: $(need_tools)"
    pkgs=(nftables ulogd2 ulogd2-json socat netcat-openbsd iproute2 jq)
    DEBIAN_FRONTEND=noninteractive timeout 90 apt-get install -y --no-install-recommends "${pkgs[@]}" >"$out/apt.log" 2>&1 \
        || { timeout 60 apt-get update >>"$out/apt.log" 2>&1 \
             && DEBIAN_FRONTEND=noninteractive timeout 90 apt-get install -y --no-install-recommends "${pkgs[@]}" >>"$out/apt.log" 2>&1; } || true
fi
missing="$(need_tools)"
[[ -z "$missing" ]] || skip "missing tools: $missing (apt-get install nftables ulogd2 ulogd2-json socat netcat-openbsd iproute2 jq)"
plugdir=/usr/lib/x86_64-linux-gnu/ulogd
[[ -d "$plugdir" ]] || plugdir=/usr/lib/ulogd

# Build the CLI before any namespace exists, so nothing is held while dotnet builds.
if [[ -x "$root/policytrail" ]]; then
    cli=("$root/policytrail")
else
    skip "no ./policytrail launcher under $root"
fi
"${cli[@]}" parse --formats >"$out/formats.txt" 2>"$out/build.log" || fail "policytrail did not build: $(tail -5 "$out/build.log")"

tag="pt$$"
ns_sw="$tag-sw"; ns_a="$tag-a"; ns_b="$tag-b"; ns_s="$tag-s"
created=()
ulogd_pid=""
server_pids=()
old_log_all="$(cat /proc/sys/net/netfilter/nf_log_all_netns 2>/dev/null || echo "")"

cleanup() {
    set +e
    for p in "${server_pids[@]}" $ulogd_pid; do
        kill "$p" 2>/dev/null
    done
    for p in "${server_pids[@]}" $ulogd_pid; do
        wait "$p" 2>/dev/null
    done
    for n in "${created[@]}"; do
        ip netns del "$n" 2>/dev/null
    done
    if [[ -n "$old_log_all" ]]; then
        sysctl -q -w net.netfilter.nf_log_all_netns="$old_log_all" >/dev/null 2>&1
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns_sw" 2>"$out/netns.err" || skip "ip netns add failed: $(cat "$out/netns.err")"
created+=("$ns_sw")
for n in "$ns_a" "$ns_b" "$ns_s"; do
    ip netns add "$n" || fail "ip netns add $n"
    created+=("$n")
done

# nf_log_all_netns: without it, LOG lines from a non-initial namespace never reach the kernel ring buffer.
[[ -n "$old_log_all" ]] || fail "no /proc/sys/net/netfilter/nf_log_all_netns (nf_log_syslog not available?)"
sysctl -q -w net.netfilter.nf_log_all_netns=1 || fail "cannot set net.netfilter.nf_log_all_netns"

set -e
ip -n "$ns_sw" link add br0 type bridge
ip -n "$ns_sw" link set br0 up
ip -n "$ns_sw" link set lo up
i=0
for pair in "$ns_a:10.199.1.1" "$ns_b:10.199.1.2" "$ns_s:10.199.1.10"; do
    n="${pair%%:*}"; addr="${pair#*:}"; i=$((i + 1))
    ip -n "$ns_sw" link add "p$i" type veth peer name eth0 netns "$n"
    ip -n "$ns_sw" link set "p$i" master br0 up
    ip -n "$n" link set lo up
    ip -n "$n" addr add "$addr/24" dev eth0
    ip -n "$n" link set eth0 up
done

# Rules in the server "pod": every new connection is logged both ways (LOG and NFLOG group 7) and then accepted or
# dropped. Only `ct state new` is logged so each connection gives one line (plus SYN retransmits when dropped).
ip netns exec "$ns_s" nft -f - <<'NFT'
table inet pt {
    chain input {
        type filter hook input priority 0; policy accept;
        ct state established,related accept
        ip saddr 10.199.1.1 tcp dport 8080 ct state new log prefix "PT-ALLOW: " log group 7 prefix "PT-ALLOW: " accept
        ip saddr 10.199.1.2 tcp dport 8080 ct state new log prefix "PT-DROP: " log group 7 prefix "PT-DROP: " drop
        ip saddr 10.199.1.2 udp dport 5353 ct state new log prefix "PT-ALLOW: " log group 7 prefix "PT-ALLOW: " accept
        ip saddr 10.199.1.1 udp dport 5353 ct state new log prefix "PT-DROP: " log group 7 prefix "PT-DROP: " drop
    }
}
NFT

cat >"$out/ulogd.conf" <<CONF
[global]
logfile="$out/ulogd.log"
loglevel=3
plugin="$plugdir/ulogd_inppkt_NFLOG.so"
plugin="$plugdir/ulogd_raw2packet_BASE.so"
plugin="$plugdir/ulogd_filter_IFINDEX.so"
plugin="$plugdir/ulogd_filter_IP2STR.so"
plugin="$plugdir/ulogd_filter_HWHDR.so"
plugin="$plugdir/ulogd_output_JSON.so"
stack=log1:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,mac2str1:HWHDR,json1:JSON

[log1]
group=7

[json1]
file="$out/ulogd.json"
sync=1
CONF
rm -f "$out/ulogd.json"
set +e

# ulogd must run inside the namespace whose packets it logs (NFLOG is per network namespace).
ip netns exec "$ns_s" ulogd -c "$out/ulogd.conf" >"$out/ulogd.stdout" 2>&1 &
ulogd_pid=$!
ip netns exec "$ns_s" socat TCP-LISTEN:8080,reuseaddr,fork SYSTEM:'echo ok' >/dev/null 2>&1 &
server_pids+=($!)
ip netns exec "$ns_s" socat -u UDP-RECV:5353 OPEN:"$out/udp-received.txt",creat,append >/dev/null 2>&1 &
server_pids+=($!)
for _ in $(seq 1 50); do
    ip netns exec "$ns_s" ss -ltn 2>/dev/null | grep -q ':8080' && break
    sleep 0.1
done
sleep 0.5
kill -0 "$ulogd_pid" 2>/dev/null || fail "ulogd did not start: $(cat "$out/ulogd.stdout" "$out/ulogd.log" 2>/dev/null | tail -5)"

# The kernel's own time (seconds since boot) of the newest message before the traffic. Counting lines instead selected
# nothing once the ring buffer was full: each new message then pushes an old one out and the count stays the same.
start_ts="$(dmesg | tail -n 1 | sed -nE 's/^\[ *([0-9]+\.[0-9]+)\].*/\1/p')"

log "traffic: TCP allowed, TCP dropped, UDP allowed, UDP dropped"
reply="$(ip netns exec "$ns_a" timeout 5 socat -T2 - TCP:10.199.1.10:8080,sourceport=40001,connect-timeout=3 </dev/null 2>&1)"
[[ "$reply" == ok ]] || fail "allowed TCP connection did not get through: $reply"
if ip netns exec "$ns_b" timeout 4 socat -T1 - TCP:10.199.1.10:8080,sourceport=40002,connect-timeout=2 </dev/null >/dev/null 2>&1; then
    fail "dropped TCP connection got through"
fi
echo allowed | ip netns exec "$ns_b" timeout 3 socat -u - UDP-SENDTO:10.199.1.10:5353,sourceport=40003
echo dropped | ip netns exec "$ns_a" timeout 3 socat -u - UDP-SENDTO:10.199.1.10:5353,sourceport=40004
sleep 1

# Only this run's lines: our prefixes and addresses, stamped after the message taken before the traffic; the other time
# formats are the same messages, so they are the last as many lines of theirs that match.
ours='PT-(ALLOW|DROP): .*SRC=10\.199\.'
dmesg | awk -v t="${start_ts:-0}" 'match($0, /^\[ *[0-9]+\.[0-9]+\]/) { s = substr($0, RSTART + 1, RLENGTH - 2); gsub(/ /, "", s); if (s + 0 > t + 0) print }' \
    | grep -E "$ours" >"$out/kernel-raw.log"
lines="$(wc -l <"$out/kernel-raw.log")"
dmesg --time-format iso | grep -E "$ours" | tail -n "$lines" >"$out/kernel-iso.log"
dmesg -T | grep -E "$ours" | tail -n "$lines" >"$out/kernel-ctime.log"
[[ -s "$out/kernel-iso.log" ]] || fail "no kernel LOG lines reached dmesg (nf_log_all_netns=$(cat /proc/sys/net/netfilter/nf_log_all_netns))"
[[ -s "$out/ulogd.json" ]] || fail "ulogd wrote no JSON: $(tail -5 "$out/ulogd.log" 2>/dev/null)"
log "captured $(wc -l <"$out/kernel-iso.log") kernel lines and $(wc -l <"$out/ulogd.json") ulogd records"

"${cli[@]}" parse "$out/kernel-iso.log" "$out/ulogd.json" -o jsonl --rejects "$out/rejects.jsonl" \
    --netfilter-prefix 'PT-ALLOW: =allow' --netfilter-prefix 'PT-DROP: =deny' >"$out/parsed.jsonl" 2>"$out/parse.stderr"
rc=$?
[[ $rc == 0 ]] || fail "policytrail parse exited $rc: $(cat "$out/parse.stderr" | tail -5)"

failures=0
expect() { # format proto src sport dst dport verdict
    local n
    n="$(jq -c --arg f "$1" --arg p "$2" --arg s "$3" --argjson sp "$4" --arg d "$5" --argjson dp "$6" --arg v "$7" \
        'select(.kind=="flow" and .source.format==$f and .protocol==$p and .src.ip==$s and .src.port==$sp
                and .dst.ip==$d and .dst.port==$dp and .reported.verdict==$v)' "$out/parsed.jsonl" | wc -l)"
    if [[ "$n" -ge 1 ]]; then
        log "ok   $*"
    else
        log "MISS $*"
        failures=$((failures + 1))
    fi
}
for f in netfilter ulogd-json; do
    expect "$f" TCP 10.199.1.1 40001 10.199.1.10 8080 allowed
    expect "$f" TCP 10.199.1.2 40002 10.199.1.10 8080 denied
    expect "$f" UDP 10.199.1.2 40003 10.199.1.10 5353 allowed
    expect "$f" UDP 10.199.1.1 40004 10.199.1.10 5353 denied
done
# Nothing but the expected tuples: every record is one of the four.
extra="$(jq -c 'select(.kind=="flow") | select((.src.port|tostring) as $p | ["40001","40002","40003","40004"] | index($p) | not)' "$out/parsed.jsonl" | wc -l)"
[[ "$extra" == 0 ]] || { log "unexpected records: $extra"; failures=$((failures + 1)); }

# Raw uptime lines carry no wall-clock time: they must be rejected with the documented reason, not guessed.
"${cli[@]}" parse "$out/kernel-raw.log" -f netfilter -o jsonl --rejects "$out/raw-rejects.jsonl" >/dev/null 2>&1
if ! jq -e 'select(.reason | test("uptime"))' "$out/raw-rejects.jsonl" >/dev/null 2>&1; then
    log "raw uptime lines were not rejected with an uptime reason"
    failures=$((failures + 1))
fi

[[ $failures == 0 ]] || fail "$failures expectation(s) failed; see $out"
log "passed"
