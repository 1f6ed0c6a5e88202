#!/usr/bin/env bash
# run.sh BUILD_DIR — the benchmarks, each C loop side by side with its peer on this machine.
# Speeds are printed as ratios (information, never a pass/fail of make check). The peer for the
# training loops is PyTorch from Debian (python3-torch), run with one thread like the C loop.
set -euo pipefail
build=${1:-build/release}
peer=/usr/bin/python3
steps=${STEPS:-1000}

field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

# OpenMP threads that wait by spinning burn their time slices when the machine is shared (more
# runnable threads than cores): a second thread can then make a training loop ten times slower.
# Both the C programs and their peers run with the same policy; OMP_WAIT_POLICY=active measures
# with spinning (the better choice on an idle machine).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg); OMP_WAIT_POLICY=$OMP_WAIT_POLICY"

# C and PyTorch alternate, ROUNDS times (the cores of a shared VM change speed between runs: a
# first run just after a build has measured 1.5x slower than the next); the ratio reported is
# the median of the rounds' ratios.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
dr=${DSM_ROUNDS:-3}
echo "benchmark: DSM training of an MLP 2-64-64-2 (tanh, batch 128, $steps Adam steps; L35 4.2), $dr alternating rounds"
have_torch=0; "$peer" -c 'import torch' 2>/dev/null && have_torch=1
d_ratios=()
for r in $(seq 1 "$dr"); do
  c_line=$("$build/bin/checks/bench/dsm_mlp" --steps "$steps" --threads 1 | grep '^RESULT')
  echo "  C ($r)      : $c_line"
  [ "$have_torch" = 1 ] || continue
  t_line=$("$peer" checks/bench/dsm_mlp_torch.py "$steps" | grep '^RESULT')
  echo "  PyTorch ($r): $t_line"
  c_us=$(echo "$c_line" | field " us_per_step"); t_us=$(echo "$t_line" | field " us_per_step")
  c_cpu=$(echo "$c_line" | field cpu_us_per_step); t_cpu=$(echo "$t_line" | field cpu_us_per_step)
  c_loss=$(echo "$c_line" | field final_loss); t_loss=$(echo "$t_line" | field final_loss)
  d_ratios+=("$(awk -v c="$c_us" -v t="$t_us" 'BEGIN { printf "%.1f", t / c }')")
  awk -v r="$r" -v c="$c_us" -v t="$t_us" -v cc="$c_cpu" -v tc="$t_cpu" -v cl="$c_loss" -v tl="$t_loss" 'BEGIN {
    printf "  ratio (%s)  : C is %.1fx faster than PyTorch in wall time (%.1f vs %.1f us/step), %.1fx in CPU time (%.1f vs %.1f us)\n", r, t / c, c, t, tc / cc, cc, tc;
    d = cl - tl; if (d < 0) d = -d;
    if (r == 1) printf "  loss (%s)   : mean of the last 100 batch losses %.3f (C) vs %.3f (PyTorch), floor 6.682; difference %.3f vs 5 standard errors of a difference of two 100-batch means (5*sqrt(2)*0.06 = 0.42): %s\n", r, cl, tl, d, (d <= 0.42) ? "same loss" : "DIFFERENT";
  }'
done
if [ "$have_torch" = 1 ]; then
  echo "  ratio      : C is $(printf '%s\n' "${d_ratios[@]}" | median)x faster than PyTorch in wall time, the median of $dr rounds (min $(printf '%s\n' "${d_ratios[@]}" | sort -g | head -1), max $(printf '%s\n' "${d_ratios[@]}" | sort -g | tail -1)); target >= 10x"
else
  echo "  PyTorch    : not available (Debian python3-torch); no ratio"
fi

# The same loop at batch 4096 with 1 and 2 threads (issue #10: the second thread >= 1.7x). A
# shared VM's cores change speed from second to second, so the two runs alternate, ROUNDS times,
# and the ratio reported is the median of the rounds' ratios (each round's pair printed). The
# calling thread runs every serial part, so process CPU time of 1 thread / the calling thread's
# CPU time with 2 is the speed-up two idle cores give when the threads' shares are even; on a
# shared machine it is the steadier number.
db=${DSM_BIG_BATCH:-4096}; rounds=${DSM_ROUNDS:-5}
echo "benchmark: the same DSM loop at batch $db, 1 vs 2 threads, $rounds alternating rounds; target >= 1.7x"
# with passive waiting (as everything here) and with libgomp's default (spin a while, then
# sleep: what a user gets without settings; on a shared machine spinning threads burn the time
# slices their partner needs, so that line means something on idle cores only)
for policy in passive default; do
  envp=(env OMP_WAIT_POLICY=passive); [ "$policy" = default ] && envp=(env -u OMP_WAIT_POLICY)
  ratios=()
  for r in $(seq 1 "$rounds"); do
    d1=$("${envp[@]}" "$build/bin/checks/bench/dsm_mlp" --batch "$db" --steps "${DSM_BIG_STEPS:-500}" --threads 1 | grep '^RESULT')
    d2=$("${envp[@]}" "$build/bin/checks/bench/dsm_mlp" --batch "$db" --steps "${DSM_BIG_STEPS:-500}" --threads 2 | grep '^RESULT')
    line=$(awk -v w1="$(echo "$d1" | field " us_per_step")" -v w2="$(echo "$d2" | field " us_per_step")" \
        -v c1="$(echo "$d1" | field " cpu_us_per_step")" -v m2="$(echo "$d2" | field main_thread_cpu_us_per_step)" \
        -v c2="$(echo "$d2" | field " cpu_us_per_step")" 'BEGIN {
      printf "%.3f %.0f %.0f %.2f %.0f %.0f %.0f", w1 / w2, w1, w2, c1 / m2, c1, m2, c2;
    }')
    read -r ratio w1 w2 cratio c1 m2 c2 <<< "$line"
    ratios+=("$ratio")
    echo "  C ($policy) round $r: 1 thread $w1 us/step, 2 threads $w2 us/step = ${ratio}x (from CPU times ${cratio}x: 1 thread $c1 us, the calling thread $m2 of $c2 us with 2)"
  done
  med=$(printf '%s\n' "${ratios[@]}" | median)
  echo "  threads ($policy): 2 threads ${med}x 1 thread in wall time, the median of $rounds rounds (min $(printf '%s\n' "${ratios[@]}" | sort -g | head -1), max $(printf '%s\n' "${ratios[@]}" | sort -g | tail -1))"
done

# The float32 block Langevin of common/langevin.h (L35 4.4 mixture, eps 0.01) against the same
# loop in numpy (float32, one array of chains); the double path is printed for reference. C and
# numpy alternate, ROUNDS times (the cores of a shared VM change speed between runs), and the
# ratio reported is the median of the rounds' ratios.
lc=${LANGEVIN_CHAINS:-100000}; ls_=${LANGEVIN_STEPS:-1000}; lr=${LANGEVIN_ROUNDS:-3}
echo "benchmark: Langevin on the 2-D mixture (L35 4.4), float32 block path, $lc chains x $ls_ steps, $lr alternating rounds; target >= 90 M chain-steps/s on 2 threads, >= 20x numpy"
have_np=0; "$peer" -c 'import numpy' 2>/dev/null && have_np=1
l_ratios=()
for r in $(seq 1 "$lr"); do
  l_out=$("$build/bin/checks/bench/langevin_f32" --chains "$lc" --steps "$ls_" --max-threads 2 --f64 $([ "$r" = 1 ] && echo 1 || echo 0) | grep '^RESULT')
  echo "$l_out" | sed "s/^/  C ($r)    : /"
  [ "$have_np" = 1 ] || continue
  l_np=$("$peer" checks/bench/langevin_numpy.py "$lc" "$ls_" | grep '^RESULT')
  echo "  numpy ($r): $l_np"
  l_c2=$(echo "$l_out" | grep 'path=f32' | grep 'threads=2' | field chain_steps_per_s)
  l_c1=$(echo "$l_out" | grep 'path=f32' | grep 'threads=1' | field chain_steps_per_s)
  l_n=$(echo "$l_np" | field " chain_steps_per_s")
  l_p1=$(echo "$l_out" | grep 'path=f32' | grep 'threads=1' | field chain_steps_per_cpu_s)
  l_p2=$(echo "$l_out" | grep 'path=f32' | grep 'threads=2' | field chain_steps_per_cpu_s)
  l_pn=$(echo "$l_np" | field chain_steps_per_cpu_s)
  l_bc=$(echo "$l_out" | grep 'path=f32' | grep 'threads=2' | field busy_cores)
  l_ratios+=("$(awk -v c2="$l_c2" -v n="$l_n" 'BEGIN { printf "%.1f", c2 / n }')")
  awk -v r="$r" -v c1="$l_c1" -v c2="$l_c2" -v n="$l_n" -v p1="$l_p1" -v p2="$l_p2" -v pn="$l_pn" -v bc="$l_bc" 'BEGIN {
    printf "  ratio (%s): wall: C %.1f M (1 thread), %.1f M (2 threads) chain-steps/s = %.1fx, %.1fx numpy (%.1f M); per CPU second C %.1f M (1 thread), %.1f M (2 threads) = %.1fx numpy (%.1f M); 2 threads %.2fx 1 thread, %.2f cores busy\n",
      r, c1 / 1e6, c2 / 1e6, c1 / n, c2 / n, n / 1e6, p1 / 1e6, p2 / 1e6, p1 / pn, pn / 1e6, c2 / c1, bc;
  }'
done
if [ "$have_np" = 1 ]; then
  sorted=$(printf '%s\n' "${l_ratios[@]}" | sort -g)
  echo "  ratio    : C on 2 threads $(echo "$sorted" | median)x numpy, the median of $lr rounds (min $(echo "$sorted" | head -1), max $(echo "$sorted" | tail -1))"
else
  echo "  numpy    : not available (Debian python3-numpy); no ratio"
fi

# The float32 GEMM of common/gemm.h against the machine's peak: the issue's formula (cores x 32
# flop/cycle x the /proc/cpuinfo clock) and the FMA throughput the same threads measure.
echo "benchmark: float32 GEMM (common/gemm.h) vs peak; target >= 40 % of peak"
for t in 1 ${GEMM_THREADS:-2}; do
  "$build/bin/checks/bench/gemm_peak" --threads "$t" | grep '^RESULT' | sed 's/^/  /'
done

# One DDPM training step of the Tiny U-Net (L36 4.2.2), batch 128, C vs PyTorch with the same
# thread count. PyTorch needs about 12 s per step on this machine, so few steps are timed.
ut=${UNET_THREADS:-2}; ub=${UNET_BATCH:-128}
echo "benchmark: Tiny U-Net DDPM training step (L36 4.2.2), batch $ub, $ut threads; target >= 10x PyTorch"
u_c=$("$build/bin/checks/bench/tiny_unet" --steps "${UNET_STEPS:-3}" --batch "$ub" --threads "$ut" | grep '^RESULT')
echo "  C        : $u_c"
if "$peer" -c 'import torch' 2>/dev/null; then
  u_t=$("$peer" checks/bench/tiny_unet_torch.py "${UNET_TORCH_STEPS:-2}" "$ub" "$ut" | grep '^RESULT')
  echo "  PyTorch  : $u_t"
  awk -v c="$(echo "$u_c" | field " s_per_step")" -v t="$(echo "$u_t" | field " s_per_step")" \
      -v cc="$(echo "$u_c" | field cpu_s_per_step)" -v tc="$(echo "$u_t" | field cpu_s_per_step)" 'BEGIN {
    printf "  ratio    : C is %.1fx faster than PyTorch in wall time (%.3f vs %.3f s/step), %.1fx in CPU time (%.3f vs %.3f s)\n", t / c, c, t, tc / cc, cc, tc;
  }'
else
  echo "  PyTorch  : not available (Debian python3-torch); no ratio"
fi

# GPU backend (gpu/): Langevin chain-steps per second, CPU twin (1 and 2 threads) vs the Vulkan
# kernels. GPU=auto uses a real GPU only; GPU=on also a CPU Vulkan driver (llvmpipe, slower).
echo "benchmark: Langevin on a 2-D mixture and with an MLP score 2-64-64-2 (L35 4.4, 5.3), CPU vs GPU"
# (the MLP-score runs use at most GPU_MLP_CHAINS chains: 1e6 chains of a 2-64-64-2 network for 100
# steps take over ten minutes on one CPU core)
for n in ${GPU_CHAINS:-10000 1000000}; do
  m=$(( n < ${GPU_MLP_CHAINS:-10000} ? n : ${GPU_MLP_CHAINS:-10000} ))
  "$build/bin/checks/bench/gpu_langevin" --gpu "${GPU:-auto}" --chains "$n" --steps "${GPU_STEPS:-1000}" \
    --mlp-chains "$m" --mlp-steps "${GPU_MLP_STEPS:-100}" | grep -E '^(RESULT|backend)' | sed 's/^/  /'
done

# GPU backend: MLP training steps per second (DSM, 2-64-64-2 tanh, L35 4.2): the reference
# common/ path and the C twin (1 and 2 threads) vs the training kernels (gpu/gpu_train.h).
echo "benchmark: MLP training steps (DSM 2-64-64-2 tanh, Adam; L35 4.2), CPU vs GPU"
for b in ${GPU_TRAIN_BATCH:-128 4096}; do
  g_out=$("$build/bin/checks/bench/gpu_train" --gpu "${GPU:-auto}" --batch "$b" --steps "${GPU_TRAIN_STEPS:-1000}" \
    | grep -E '^(RESULT|backend)')
  echo "$g_out" | sed 's/^/  /'
  t_line=$(echo "$g_out" | grep 'bench=train_dsm_threads')
  if [ -n "$t_line" ]; then
    # The target (>= 1.7x from a second thread) is stated for batch 4096; at batch 128 a step is
    # too small to split (no thread team is entered below the thresholds) and the line is
    # printed for information. The wall-clock ratio measures the other tenants of a shared
    # machine as much as the code; the CPU-time estimate (1-thread CPU per step over the CPU
    # of the thread that runs every serial part, at 2 threads) is what two idle cores would give.
    awk -v n="$b" -v w="$(echo "$t_line" | field wall_speedup)" -v c="$(echo "$t_line" | field " cpu_speedup")" \
        -v d="$(echo "$t_line" | field cpu_speedup_without_draw)" 'BEGIN {
      printf "  threads  : common/ad at batch %d, 2 threads vs 1: %.2fx in wall time, %.2fx from CPU times (%.2fx without the serial batch drawing of gpu/gpu_train.c); %s\n",
             n, w, c, d, "information (the target is the dsm_mlp line above)"; }'
  fi
done

# GPU backend (issue #13): the Tiny U-Net DDPM training step and DDPM/DDIM sampling, the CPU
# (common/ad) vs the device (the same common/ad code recorded and its tape replayed,
# gpu/gpu_ad_replay.h), wall and kernel time side by side (target: wall within 1.5x of kernel
# time). Small by default (d 8, 8x8; llvmpipe is slow); the issue's workload on a real GPU:
#   UNET_GPU_D=64 UNET_GPU_SIZE=28 UNET_GPU_BATCH=128 (or 1024) UNET_GPU_IMAGES=1024 \
#   UNET_GPU_STEPS=20 UNET_GPU_DDPM_STEPS=1000 UNET_GPU_DDIM_STEPS=50 GPU=on make bench
# The CUDA peer (tiny_unet_torch_cuda.py, same network and sizes) runs when python3 has torch
# with CUDA; otherwise it prints "no CUDA" and no ratio is printed.
ud=${UNET_GPU_D:-8}; uh=${UNET_GPU_SIZE:-8}; ugb=${UNET_GPU_BATCH:-4}; ugs=${UNET_GPU_STEPS:-5}
ugi=${UNET_GPU_IMAGES:-4}; ugp=${UNET_GPU_DDPM_STEPS:-5}; ugm=${UNET_GPU_DDIM_STEPS:-5}
echo "benchmark: Tiny U-Net (L36 4.2.2 layout, d $ud, ${uh}x$uh) DDPM training step (batch $ugb) and DDPM/DDIM sampling ($ugi images), CPU vs GPU vs PyTorch CUDA"
u_out=$("$build/bin/checks/bench/gpu_unet" --gpu "${GPU:-auto}" --d-model "$ud" --image-size "$uh" \
  --batch "$ugb" --steps "$ugs" --images "$ugi" --ddpm-steps "$ugp" --ddim-steps "$ugm" \
  | grep -E '^(RESULT|backend)')
echo "$u_out" | sed 's/^/  /'
u_cuda=$("$peer" checks/bench/tiny_unet_torch_cuda.py --d "$ud" --size "$uh" --batch "$ugb" --steps "$ugs" \
  --images "$ugi" --ddpm-steps "$ugp" --ddim-steps "$ugm" 2>&1 | grep -E '^(RESULT|no CUDA)' || true)
echo "$u_cuda" | sed 's/^/  /'
for w in unet_train unet_ddpm unet_ddim; do
  c=$(echo "$u_out" | grep "bench=$w path=cpu" | field images_per_s || true)
  g=$(echo "$u_out" | grep "bench=$w path=gpu" | grep -v failed= | field images_per_s || true)
  k=$(echo "$u_out" | grep "bench=$w path=gpu" | field wall_over_kernel || true)
  t=$(echo "$u_cuda" | grep "bench=$w path=cuda" | field images_per_s || true)
  awk -v w="$w" -v c="$c" -v g="$g" -v k="$k" -v t="$t" 'BEGIN {
    printf "  ratio    : %-10s images/s: CPU %s, GPU %s", w, c == "" ? "-" : c, g == "" ? "- (no device run)" : g;
    if (c != "" && g != "" && c > 0) printf " (GPU/CPU %.2fx; wall/kernel %s, target <= 1.5)", g / c, k;
    if (t != "") printf "; PyTorch CUDA %s (GPU/CUDA %.2fx; target >= 1)", t, (g != "" && t > 0) ? g / t : 0;
    printf "\n";
  }'
done
