"""Peer of checks/bench/langevin_f32.c: ULA on the 2-D mixture of L35 4.4 in numpy, the loop a
learner would write (all chains as one array, float32, eps = 0.01, T = 1, chains started at 0):
    x <- x + eps * s(x) + sqrt(2 eps) z,   s(x) = (-x1 + 2 tanh 2 x1, -x2).
Usage: langevin_numpy.py CHAINS STEPS. Prints one RESULT line like the C program."""
import sys
import time

import numpy as np


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    eps = np.float32(0.01)
    noise = np.float32(np.sqrt(2 * 0.01))
    rng = np.random.default_rng(1)
    x = np.zeros((n, 2), dtype=np.float32)
    s = np.empty_like(x)
    z = np.empty_like(x)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        s[:, 0] = -x[:, 0] + 2 * np.tanh(2 * x[:, 0])
        s[:, 1] = -x[:, 1]
        rng.standard_normal(out=z, dtype=np.float32)
        x += eps * s + noise * z
    t, cpu = time.perf_counter() - t0, time.process_time() - c0
    print("RESULT peer=numpy path=f32 threads=1 chains=%d steps=%d seconds=%.3f chain_steps_per_s=%.4e "
          "cpu_seconds=%.3f chain_steps_per_cpu_s=%.4e mean_x1_sq=%.3f"
          % (n, steps, t, n * steps / t, cpu, n * steps / cpu,
             float(np.mean(x[:, 0].astype(np.float64) ** 2))))


if __name__ == "__main__":
    main()
