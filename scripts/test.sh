#!/usr/bin/env bash
# Sets up what the tests need and runs every test of the solution; the last line is "N passed, N failed, N skipped".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/install-dotnet.sh" || { echo "0 passed, 1 failed"; exit 1; }
export PATH="$HOME/.dotnet:$PATH"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The report's browser test renders in Debian's chromium; install it when missing and we may (a failure only makes that
# test skip with its reason).
if [[ ! -x /usr/bin/chromium && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
        || echo "note: could not install chromium; the report browser test will skip" >&2
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet test --solution PolicyTrail.slnx --no-progress 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Microsoft.Testing.Platform prints one summary block per run: "total: N / failed: N / succeeded: N / skipped: N".
passed=$(awk '/^[[:space:]]*succeeded:/ {s += $2} END {print s + 0}' "$log")
failed=$(awk '/^[[:space:]]*failed:/ {s += $2} END {print s + 0}' "$log")
skipped=$(awk '/^[[:space:]]*skipped:/ {s += $2} END {print s + 0}' "$log")
if [[ $status -ne 0 && $failed -eq 0 ]]; then
    failed=1   # the build or the runner failed before any test could report
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
