#!/usr/bin/python3
"""The peer of dsm_mlp.c: the same DSM training loop in PyTorch (one thread).

L35 section 4.2: MLP 2-64-64-2 with tanh, Glorot-uniform weights and zero biases, Adam (lr 1e-3),
batch 128 of fresh samples from p(x) = 0.5 N((-2,0), I) + 0.5 N((2,0), I) each step, noise level
sigma = 0.5, loss mean_i || s(x_i + sigma eps_i) + eps_i / sigma ||^2. Prints one RESULT line.
"""
import sys
import time

import torch

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
torch.set_num_threads(1)
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64),
                          torch.nn.Tanh(), torch.nn.Linear(64, 2))
for m in net:
    if isinstance(m, torch.nn.Linear):
        torch.nn.init.xavier_uniform_(m.weight)
        torch.nn.init.zeros_(m.bias)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
centres = torch.tensor([[-2.0, 0.0], [2.0, 0.0]])
sigma = 0.5
batch = 128


def step():
    c = (torch.rand(batch) < 0.5).long()
    x = centres[c] + torch.randn(batch, 2)
    eps = torch.randn(batch, 2)
    s = net(x + sigma * eps)
    loss = ((s + eps / sigma) ** 2).sum(1).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


t0, c0 = time.perf_counter(), time.process_time()
losses = [step() for _ in range(steps)]
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
tail = losses[-100:]
print(f"RESULT peer=pytorch-{torch.__version__} steps={steps} seconds={seconds:.4f} "
      f"us_per_step={1e6 * seconds / steps:.1f} cpu_us_per_step={1e6 * cpu / steps:.1f} "
      f"final_loss={sum(tail) / len(tail):.4f}")
