#!/usr/bin/env bash
# gpu_device.sh — every GPU test, the GPU paths of the lecture programs and the GPU benchmarks, in
# one run on a machine with a real GPU (CI has none: there the same tests run on Mesa's lavapipe).
#
# Here (the development machine), after `make all`:
#   checks/gpu_device.sh --pack       # copies the GPU binaries to .gpurun/ and bundles their
#                                     # libraries (../shared/tools/gpu-bundle.sh, or $GPU_BUNDLE)
#                                     # into .gpubundle/
# There (carry .gpurun and .gpubundle), from the project root:
#   checks/gpu_device.sh              # logs and a summary under $OUT (or out/gpu_device)
# A dry run here, on lavapipe, with small benchmark sizes (the built tree, no bundle):
#   GPU=on checks/gpu_device.sh --local       # LECTURES=1 adds the lecture programs
#
# Output: $final/summary.txt (one line per program: rc, wall time, its SUMMARY counts, FAIL lines),
# $final/summary.md (the same as a Markdown section to paste into gpu/README.md: date, commit,
# device, a table of every program's pass/fail, every RESULT line of the benchmarks) and
# $final/logs.tar.gz. Every checks/unit/test_gpu_* program runs (the list is the source glob).
set -uo pipefail
cd "$(dirname "$0")/.."
B=build/release/bin
tests=()
for f in checks/unit/test_gpu_*.c; do tests+=("$(basename "$f" .c)"); done
progs=(lectures/35_score_matching/02_dsm_gmm2d lectures/35_score_matching/07_ncsn_gmm2d
       lectures/35_score_matching/08_annealed_langevin lectures/35_score_matching/11_swissroll_ncsn
       lectures/n2_diffusion_annealing/02_langevin_annealing
       lectures/n2_diffusion_annealing/05_jarzynski_ais
       checks/bench/gpu_langevin checks/bench/gpu_train checks/bench/gpu_unet)
for t in "${tests[@]}"; do progs+=("checks/unit/$t"); done
# the lecture programs that hand gm_train the --gpu device (goc_training_device)
train_progs=()
for f in $(grep -lw goc_training_device lectures/*/*.c); do train_progs+=("${f%.c}"); done
progs+=("${train_progs[@]}")

if [[ "${1:-}" == --pack ]]; then
  rm -rf .gpurun; mkdir -p .gpurun/build/bin
  for p in "${progs[@]}"; do
    [[ -x "$B/$p" ]] || continue
    mkdir -p ".gpurun/build/bin/$(dirname "$p")"; cp "$B/$p" ".gpurun/build/bin/$p"
  done
  strip --strip-debug -r .gpurun/build/bin/*/*/* 2>/dev/null || true
  ex=$(git rev-parse --git-dir)/info/exclude
  grep -qx '/.gpurun/' "$ex" 2>/dev/null || echo '/.gpurun/' >> "$ex"
  "${GPU_BUNDLE:-../shared/tools/gpu-bundle.sh}" .gpurun/build
  du -sh .gpurun .gpubundle
  exit 0
fi

local_run=0
[[ "${1:-}" == --local ]] && local_run=1
final=${OUT:-out/gpu_device}; mkdir -p "$final"
out=$(mktemp -d)   # the logs, packed into $final/logs.tar.gz at the end
if (( local_run )); then
  mode=${GPU:-on}          # lavapipe counts as a device here
  lectures=${LECTURES:-0}
else
  source .gpubundle/env.sh
  B=.gpurun/build/bin
  mode=${GPU:-auto}
  lectures=${LECTURES:-1}
fi
summary="$final/summary.txt"; : > "$summary"
rows="$out/rows.md"; : > "$rows"
run() { # name, then the command; keeps the log, the SUMMARY line, FAIL lines and the wall time
  local name=$1; shift
  local t0=$(date +%s%N)
  "$@" > "$out/$name.log" 2>&1; local rc=$?
  local t1=$(date +%s%N)
  local secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
  local sm=$(grep -E '^SUMMARY' "$out/$name.log" | sed 's/^SUMMARY [^ ]* //')
  printf '%-40s rc=%d %7ss  %s\n' "$name" "$rc" "$secs" "$sm" | tee -a "$summary"
  grep -E '^CHECK FAIL|^backend|device path stopped' "$out/$name.log" | sort -u | head -5 | sed 's/^/    /' | tee -a "$summary"
  local verdict=pass
  if (( rc != 0 )) || grep -q '^CHECK FAIL' "$out/$name.log"; then verdict=FAIL; fi
  printf '| `%s` | %s | %s | %s | %s |\n' "$name" "$verdict" "$rc" "$secs" "${sm:--}" >> "$rows"
}
# the unit tests: every op and kernel against its CPU twin, tolerances from the precision model;
# common/ad tapes replayed on the device, gm_train with a context, the pipeline cache
for t in "${tests[@]}"; do
  if [[ -x $B/checks/unit/$t ]]; then run "$t" $B/checks/unit/$t --gpu "$mode"
  else echo "$t: not built" | tee -a "$summary"; printf '| `%s` | not built | | | |\n' "$t" >> "$rows"; fi
done
if (( lectures )); then
  # the lecture programs with a GPU path: the GPU alone against the CPU (off), same checks
  for p in 02_dsm_gmm2d 07_ncsn_gmm2d 08_annealed_langevin 11_swissroll_ncsn; do
    run "L35_${p}_gpu" $B/lectures/35_score_matching/$p --gpu "$mode" --out "$out/L35_${p}_gpu"
    run "L35_${p}_cpu" $B/lectures/35_score_matching/$p --gpu off --out "$out/L35_${p}_cpu"
  done
  for p in 02_langevin_annealing 05_jarzynski_ais; do
    run "N2_${p}_gpu" $B/lectures/n2_diffusion_annealing/$p --gpu "$mode" --out "$out/N2_${p}_gpu"
    run "N2_${p}_cpu" $B/lectures/n2_diffusion_annealing/$p --gpu off --out "$out/N2_${p}_cpu"
  done
  # the training programs: every gm_train on the device (or the CPU, with the reason, for a
  # family the replay does not cover yet); the wall times side by side are the speed-up
  if (( ! local_run )); then
    for p in "${train_progs[@]}"; do
      n=$(basename "$(dirname "$p")" | cut -c1-2)_$(basename "$p")
      run "L${n}_gpu" $B/$p --gpu "$mode" --out "$out/L${n}_gpu"
      run "L${n}_cpu" $B/$p --gpu off --out "$out/L${n}_cpu"
    done
  fi
  (( local_run )) || run "L35_11_swissroll_ncsn_full_gpu" $B/lectures/35_score_matching/11_swissroll_ncsn --full --gpu "$mode" --out "$out/L35_11_full_gpu"
fi
# benchmarks (RESULT lines in the logs); sizes that keep the CPU twins, which run first, within a
# minute on the device machine, and small ones for a dry run on lavapipe
if (( local_run )); then
  run bench_gpu_langevin $B/checks/bench/gpu_langevin --gpu "$mode" --chains 10000 --steps 100 --mlp-chains 1000 --mlp-steps 20
  run bench_gpu_train_128 $B/checks/bench/gpu_train --gpu "$mode" --batch 128 --steps 50
  run bench_gpu_unet $B/checks/bench/gpu_unet --gpu "$mode"
  u_args=()
else
  run bench_gpu_langevin $B/checks/bench/gpu_langevin --gpu "$mode" --chains 1000000 --steps 200 --mlp-chains 20000 --mlp-steps 100
  for b in 4096 65536; do run "bench_gpu_train_$b" $B/checks/bench/gpu_train --gpu "$mode" --batch $b --steps 200; done
  # the issue's Tiny U-Net workload (d 64, 28x28): training at batch 128 and 1024, sampling
  for b in 128 1024; do
    run "bench_gpu_unet_$b" $B/checks/bench/gpu_unet --gpu "$mode" --no-cpu --d-model 64 --image-size 28 --batch $b \
      --steps 10 --images 1024 --ddpm-steps 50 --ddim-steps 50
  done
  u_args=(--d 64 --size 28 --steps 10 --images 1024 --ddpm-steps 50 --ddim-steps 50)
fi
# the PyTorch CUDA peer, when python3 has torch with CUDA (else one "no CUDA" line)
py=${PYTHON:-python3}
if command -v "$py" > /dev/null; then
  if (( local_run )); then
    "$py" checks/bench/tiny_unet_torch_cuda.py > "$out/bench_torch_cuda.log" 2>&1
  else
    for b in 128 1024; do "$py" checks/bench/tiny_unet_torch_cuda.py "${u_args[@]}" --batch $b; done \
      > "$out/bench_torch_cuda.log" 2>&1
  fi
  grep -h '^no CUDA' "$out/bench_torch_cuda.log" | head -1 | tee -a "$summary"
fi
grep -h '^RESULT' "$out"/bench_*.log | tee -a "$summary"
device=$(grep -h '^backend' "$out"/*.log 2>/dev/null | sort | uniq -c | sort -rn | head -1 | sed 's/^ *[0-9]* //; s/^backend: //')
{
  echo "### $(date -u +%Y-%m-%d) on ${device:-an unknown device} (\`checks/gpu_device.sh$([[ $local_run == 1 ]] && echo ' --local')\`, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo
  echo "| program | verdict | rc | wall s | checks |"
  echo "|---|---|---|---|---|"
  cat "$rows"
  echo
  echo "Benchmarks (RESULT lines):"
  echo
  echo '```'
  grep -h '^no CUDA' "$out/bench_torch_cuda.log" 2>/dev/null | head -1
  grep -h '^RESULT' "$out"/bench_*.log
  echo '```'
} > "$final/summary.md"
tar -czf "$final/logs.tar.gz" -C "$out" .
echo "summary: $summary, $final/summary.md (paste into gpu/README.md), logs: $final/logs.tar.gz"
