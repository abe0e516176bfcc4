#!/usr/bin/env bash
# `make test`: the fault suite runs on its own cluster (kubelab-faults) and mostly waits (an API server away,
# a node restarting), so it runs beside the rest instead of after it: CI's wall time is the longer of the two.
#   build/test-all.sh PY JUNIT -- <pytest args of the main run>
# Its output goes to build-results/faults.log and is printed when the main run ends; exit status: the worse of
# the two, where "no test ran" (pytest's 5) is a failure.
set -uo pipefail
py=$1 junit=$2; shift 3
dir=$(dirname "$junit"); mkdir -p "$dir"
faults_log=$dir/faults.log
"$py" -m pytest tests/faults -v -m faults --junitxml="$dir/junit-faults.xml" >"$faults_log" 2>&1 &
faults=$!
echo "fault suite started beside this run (pid $faults, log: $faults_log)"
"$py" -m pytest "$@" --junitxml="$junit"; main=$?
if kill -0 "$faults" 2>/dev/null; then echo "waiting for the fault suite (log: $faults_log)"; fi
wait "$faults"; fl=$?
echo "===== fault suite (tests/faults, cluster kubelab-faults) ====="
cat "$faults_log"
for rc in $main $fl; do [ "$rc" -eq 5 ] && { echo "pytest ran no test: failing" >&2; exit 1; }; done
[ "$main" -ne 0 ] && exit "$main"
exit "$fl"
