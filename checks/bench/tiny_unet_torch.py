#!/usr/bin/python3
"""The peer of tiny_unet.c: one DDPM training step of the Tiny U-Net of L36 4.2.2 in PyTorch.

Same network (time MLP 128-256-256 with SiLU; conv 3x3 1-64, SiLU, GroupNorm(8) plus the first 64
time outputs as a per-channel bias; conv 3x3 64-128 stride 2; conv 3x3 128-128; concat -> 256;
ConvTranspose 4x4 256-64 stride 2 pad 1; conv 3x3 64-1), same batch, one t per image, loss
mean (eps_pred - eps)^2, Adam(lr 2e-4). Usage: tiny_unet_torch.py STEPS BATCH THREADS.
Prints one RESULT line (wall and process CPU seconds per step, after one warm-up step).
"""
import math
import sys
import time

import torch
import torch.nn as nn

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 2
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 128
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)


def time_embedding(t, dim=128):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    a = t[:, None].float() * freqs[None, :]
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


class TinyUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.time = nn.Sequential(nn.Linear(128, 256), nn.SiLU(), nn.Linear(256, 256))
        self.enc1 = nn.Conv2d(1, 64, 3, padding=1)
        self.gn1 = nn.GroupNorm(8, 64)
        self.enc2 = nn.Conv2d(64, 128, 3, stride=2, padding=1)
        self.gn2 = nn.GroupNorm(8, 128)
        self.mid = nn.Conv2d(128, 128, 3, padding=1)
        self.gnm = nn.GroupNorm(8, 128)
        self.dec1 = nn.ConvTranspose2d(256, 64, 4, stride=2, padding=1)
        self.gnd = nn.GroupNorm(8, 64)
        self.out = nn.Conv2d(64, 1, 3, padding=1)
        self.act = nn.SiLU()

    def forward(self, x, t):
        temb = self.time(time_embedding(t))
        h1 = self.gn1(self.act(self.enc1(x))) + temb[:, :64, None, None]
        h2 = self.gn2(self.act(self.enc2(h1)))
        h = self.gnm(self.act(self.mid(h2)))
        h = self.gnd(self.act(self.dec1(torch.cat([h, h2], dim=1))))
        return self.out(h)


net = TinyUNet()
nparams = sum(p.numel() for p in net.parameters())
opt = torch.optim.Adam(net.parameters(), lr=2e-4)
betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
abar = torch.cumprod(1 - betas, 0).float()


def step():
    x0 = torch.rand(batch, 1, 28, 28) * 2 - 1
    t = torch.randint(0, 1000, (batch,))
    eps = torch.randn(batch, 1, 28, 28)
    a = abar[t][:, None, None, None]
    xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
    loss = ((net(xt, t + 1) - eps) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


step()  # warm-up
w0, c0 = time.perf_counter(), time.process_time()
for _ in range(steps):
    loss = step()
wall, cpu = (time.perf_counter() - w0) / steps, (time.process_time() - c0) / steps
print(f"RESULT peer=pytorch-{torch.__version__} params={nparams} batch={batch} threads={threads} "
      f"steps={steps} s_per_step={wall:.4f} cpu_s_per_step={cpu:.4f} "
      f"images_per_s={batch / wall:.1f} last_loss={loss:.4f}")
