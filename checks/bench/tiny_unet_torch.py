#!/usr/bin/python3
"""The peer of tiny_unet.c: one DDPM training step of the Tiny U-Net of L36 4.2.2 in PyTorch.

Same network (time MLP 128-256-256 with SiLU; conv 3x3 1-64, SiLU, GroupNorm(8) plus the first 64
time outputs as a per-channel bias; conv 3x3 64-128 stride 2; conv 3x3 128-128; concat -> 256;
ConvTranspose 4x4 256-64 stride 2 pad 1; conv 3x3 64-1), same batch, one t per image, loss
mean (eps_pred - eps)^2, Adam(lr 2e-4). Usage: tiny_unet_torch.py STEPS BATCH THREADS.
Prints one RESULT line (wall and process CPU seconds per step, after one warm-up step).
"""
import sys
import time

import torch

from tiny_unet_model import TinyUNet, ddpm_train_step

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 2
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 128
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)


net = TinyUNet()
nparams = sum(p.numel() for p in net.parameters())
opt = torch.optim.Adam(net.parameters(), lr=2e-4)
betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
abar = torch.cumprod(1 - betas, 0).float()


def step():
    return ddpm_train_step(net, opt, abar, batch, 28).item()


step()  # warm-up
w0, c0 = time.perf_counter(), time.process_time()
for _ in range(steps):
    loss = step()
wall, cpu = (time.perf_counter() - w0) / steps, (time.process_time() - c0) / steps
print(f"RESULT peer=pytorch-{torch.__version__} params={nparams} batch={batch} threads={threads} "
      f"steps={steps} s_per_step={wall:.4f} cpu_s_per_step={cpu:.4f} "
      f"images_per_s={batch / wall:.1f} last_loss={loss:.4f}")
