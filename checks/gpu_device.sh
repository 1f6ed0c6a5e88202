#!/usr/bin/env bash
# gpu_device.sh — every GPU test, the GPU paths of the lecture programs and the GPU benchmarks, in
# one run on a machine with a real GPU (CI has none: there the same tests run on Mesa's lavapipe).
#
# Here (the development machine), after `make all`:
#   checks/gpu_device.sh --pack       # copies the GPU binaries to .gpurun/ and bundles their
#                                     # libraries (../shared/tools/gpu-bundle.sh) into .gpubundle/
# There (carry .gpurun and .gpubundle), from the project root:
#   checks/gpu_device.sh              # logs and a summary under $OUT (or out/gpu_device)
set -uo pipefail
cd "$(dirname "$0")/.."
B=build/release/bin
progs=(checks/unit/test_gpu_runtime checks/unit/test_gpu_langevin checks/unit/test_gpu_mlp
       checks/unit/test_gpu_precision checks/unit/test_gpu_train checks/unit/test_gpu_train_ncsn
       lectures/35_score_matching/02_dsm_gmm2d lectures/35_score_matching/07_ncsn_gmm2d
       lectures/35_score_matching/08_annealed_langevin lectures/35_score_matching/11_swissroll_ncsn
       checks/unit/test_gpu_anneal lectures/n2_diffusion_annealing/02_langevin_annealing
       lectures/n2_diffusion_annealing/05_jarzynski_ais
       checks/bench/gpu_langevin checks/bench/gpu_train
       checks/unit/test_gpu_ops checks/unit/test_gpu_ad_train)

if [[ "${1:-}" == --pack ]]; then
  rm -rf .gpurun; mkdir -p .gpurun/build/bin
  for p in "${progs[@]}"; do
    [[ -x "$B/$p" ]] || continue
    mkdir -p ".gpurun/build/bin/$(dirname "$p")"; cp "$B/$p" ".gpurun/build/bin/$p"
  done
  strip --strip-debug -r .gpurun/build/bin/*/*/* 2>/dev/null || true
  ex=$(git rev-parse --git-dir)/info/exclude
  grep -qx '/.gpurun/' "$ex" 2>/dev/null || echo '/.gpurun/' >> "$ex"
  ../shared/tools/gpu-bundle.sh .gpurun/build
  du -sh .gpurun .gpubundle
  exit 0
fi

final=${OUT:-out/gpu_device}; mkdir -p "$final"
out=$(mktemp -d)   # the logs, packed into $final/logs.tar.gz at the end
source .gpubundle/env.sh
B=.gpurun/build/bin
summary="$final/summary.txt"; : > "$summary"
run() { # name, then the command; keeps the log, the SUMMARY line, FAIL lines and the wall time
  local name=$1; shift
  local t0=$(date +%s%N)
  "$@" > "$out/$name.log" 2>&1; local rc=$?
  local t1=$(date +%s%N)
  printf '%-40s rc=%d %7.2fs  %s\n' "$name" "$rc" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) / 1e9}')" \
    "$(grep -E '^SUMMARY' "$out/$name.log" | sed 's/^SUMMARY [^ ]* //')" | tee -a "$summary"
  grep -E '^CHECK FAIL|^backend' "$out/$name.log" | head -5 | sed 's/^/    /' | tee -a "$summary"
}
# the unit tests: every op and kernel against its CPU twin, tolerances from the precision model
for t in test_gpu_runtime test_gpu_langevin test_gpu_mlp test_gpu_precision test_gpu_train test_gpu_train_ncsn test_gpu_anneal test_gpu_ops test_gpu_ad_train; do
  [[ -x $B/checks/unit/$t ]] && run "$t" $B/checks/unit/$t --gpu auto
done
# common/ad tapes replayed on the device, gm_train with a context (issue #13, second slice)
for t in test_gpu_replay test_gpu_pipeline_cache; do
  [[ -x $B/checks/unit/$t ]] && run "$t" $B/checks/unit/$t --gpu auto
done
# the lecture programs with a GPU path: the GPU alone (auto) against the CPU (off), same checks
for p in 02_dsm_gmm2d 07_ncsn_gmm2d 08_annealed_langevin 11_swissroll_ncsn; do
  run "L35_${p}_gpu" $B/lectures/35_score_matching/$p --gpu auto --out "$out/L35_${p}_gpu"
  run "L35_${p}_cpu" $B/lectures/35_score_matching/$p --gpu off --out "$out/L35_${p}_cpu"
done
for p in 02_langevin_annealing 05_jarzynski_ais; do
  run "N2_${p}_gpu" $B/lectures/n2_diffusion_annealing/$p --gpu auto --out "$out/N2_${p}_gpu"
  run "N2_${p}_cpu" $B/lectures/n2_diffusion_annealing/$p --gpu off --out "$out/N2_${p}_cpu"
done
run "L35_11_swissroll_ncsn_full_gpu" $B/lectures/35_score_matching/11_swissroll_ncsn --full --gpu auto --out "$out/L35_11_full_gpu"
# benchmarks (RESULT lines in the logs)
# (sizes that keep the CPU twins, which run first, within a minute)
run bench_gpu_langevin $B/checks/bench/gpu_langevin --gpu auto --chains 1000000 --steps 200 --mlp-chains 20000 --mlp-steps 100
for b in 4096 65536; do run "bench_gpu_train_$b" $B/checks/bench/gpu_train --gpu auto --batch $b --steps 200; done
grep -h '^RESULT' "$out"/bench_*.log | tee -a "$summary"
tar -czf "$final/logs.tar.gz" -C "$out" .
