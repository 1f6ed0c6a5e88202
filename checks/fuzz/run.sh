#!/usr/bin/env bash
# run.sh BUILD SECONDS FUZZER... — runs each libFuzzer target for SECONDS on its corpus: new
# inputs go to BUILD/fuzz-corpus/<target>/, the committed seeds are read from
# checks/fuzz/corpus/<target>/; a crashing input is written to BUILD/fuzz-crashes/ (commit it to
# checks/fuzz/regressions/<target>/ once fixed). Prints one line per target: executions, coverage
# (edges) and features, and exits 1 when a target crashed.
set -uo pipefail
build=$1 secs=$2
shift 2
mkdir -p "$build/fuzz-crashes"
printf '%-10s %12s %10s %8s %8s  %s\n' target executions exec/s cov ft status
bad=0
for bin in "$@"; do
  t=$(basename "$bin"); t=${t#fuzz_}
  corpus="$build/fuzz-corpus/$t"; mkdir -p "$corpus"
  log="$build/fuzz-$t.log"
  "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/fuzz-crashes/$t-" "$corpus" "checks/fuzz/corpus/$t" > "$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  status=ok
  if [[ $rc -ne 0 ]]; then status="CRASH (see $log)"; bad=1; fi
  printf '%-10s %12s %10s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$status"
done
exit $bad
