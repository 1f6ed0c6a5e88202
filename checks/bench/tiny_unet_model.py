"""The Tiny U-Net of L36 4.2.2 in PyTorch, shared by the CPU peer (tiny_unet_torch.py) and the
CUDA peer (tiny_unet_torch_cuda.py) of the C benchmarks. Width d (the lecture: 64), time
embedding e and time MLP width m (the lecture: 128, 256), GroupNorm groups.

Time MLP e-m-m with SiLU; conv 3x3 1-d, SiLU, GroupNorm plus the first d time outputs as a
per-channel bias; conv 3x3 d-2d stride 2; conv 3x3 2d-2d; concat -> 4d; ConvTranspose 4x4 4d-d
stride 2 pad 1; conv 3x3 d-1.
"""
import math

import torch
import torch.nn as nn


def time_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    a = t[:, None].float() * freqs[None, :]
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


class TinyUNet(nn.Module):
    def __init__(self, d=64, e=128, m=256, groups=8):
        super().__init__()
        self.d, self.e = d, e
        self.time = nn.Sequential(nn.Linear(e, m), nn.SiLU(), nn.Linear(m, m))
        self.enc1 = nn.Conv2d(1, d, 3, padding=1)
        self.gn1 = nn.GroupNorm(groups, d)
        self.enc2 = nn.Conv2d(d, 2 * d, 3, stride=2, padding=1)
        self.gn2 = nn.GroupNorm(groups, 2 * d)
        self.mid = nn.Conv2d(2 * d, 2 * d, 3, padding=1)
        self.gnm = nn.GroupNorm(groups, 2 * d)
        self.dec1 = nn.ConvTranspose2d(4 * d, d, 4, stride=2, padding=1)
        self.gnd = nn.GroupNorm(groups, d)
        self.out = nn.Conv2d(d, 1, 3, padding=1)
        self.act = nn.SiLU()

    def forward(self, x, t):
        temb = self.time(time_embedding(t, self.e))
        h1 = self.gn1(self.act(self.enc1(x))) + temb[:, :self.d, None, None]
        h2 = self.gn2(self.act(self.enc2(h1)))
        h = self.gnm(self.act(self.mid(h2)))
        h = self.gnd(self.act(self.dec1(torch.cat([h, h2], dim=1))))
        return self.out(h)


def ddpm_train_step(net, opt, abar, batch, side, dev=None):
    """One DDPM training step on uniform-noise images in [-1, 1] (the benchmarks time the
    arithmetic, not the data): t ~ U{0..T-1}, x_t = sqrt(abar) x0 + sqrt(1 - abar) eps, the mean
    squared error of the predicted noise, Adam. Returns the loss tensor."""
    T = abar.shape[0]
    x0 = torch.rand(batch, 1, side, side, device=dev) * 2 - 1
    t = torch.randint(0, T, (batch,), device=dev)
    eps = torch.randn(batch, 1, side, side, device=dev)
    a = abar[t][:, None, None, None]
    xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
    loss = ((net(xt, t + 1) - eps) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss
