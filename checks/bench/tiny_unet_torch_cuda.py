#!/usr/bin/python3
"""The CUDA peer of gpu_unet.c (issue #13): the Tiny U-Net of L36 4.2.2 in PyTorch on a CUDA GPU,
eager, float32 (TF32 off unless --tf32): one DDPM training step (images/s) and DDPM / DDIM
sampling steps (one network forward on all images per step; images/s for the full 1000- and
50-step plans, extrapolated from the timed steps as gpu_unet.c does).

The network is gpu_unet.c's: the lecture's layout with d channels at HxW (d 64, 28x28: the
lecture's net, time MLP 128-256-256; other d: time MLP 2d-4d-4d, as gpu_unet.c), GroupNorm(8)
(or 1 group when 8 does not divide d), the first d time outputs as enc1's per-channel bias.

Usage: tiny_unet_torch_cuda.py [--d D] [--size H] [--batch B] [--steps N] [--images M]
                               [--ddpm-steps K] [--ddim-steps K] [--tf32]
Prints "no CUDA" (and exits 0) when torch.cuda.is_available() is false; otherwise RESULT lines in
gpu_unet.c's format with path=cuda. Times use torch.cuda.synchronize() around the loops.
"""
import argparse
import math
import sys
import time

try:
    import torch
    from tiny_unet_model import TinyUNet, ddpm_train_step
except ImportError:
    print("no CUDA (torch is not installed)")
    sys.exit(0)

ap = argparse.ArgumentParser()
ap.add_argument("--d", type=int, default=8)
ap.add_argument("--size", type=int, default=8)
ap.add_argument("--batch", type=int, default=4)
ap.add_argument("--steps", type=int, default=5)
ap.add_argument("--images", type=int, default=4)
ap.add_argument("--ddpm-steps", type=int, default=5)
ap.add_argument("--ddim-steps", type=int, default=5)
ap.add_argument("--tf32", action="store_true")
args = ap.parse_args()

if not torch.cuda.is_available():
    print("no CUDA (torch.cuda.is_available() is false)")
    sys.exit(0)

dev = torch.device("cuda")
torch.backends.cuda.matmul.allow_tf32 = args.tf32
torch.backends.cudnn.allow_tf32 = args.tf32
torch.manual_seed(0)
d, H = args.d, args.size
e, m = (128, 256) if d == 64 else (2 * d, 4 * d)
groups = 8 if d % 8 == 0 else 1
T = 1000


net = TinyUNet(d, e, m, groups).to(dev)
opt = torch.optim.Adam(net.parameters(), lr=2e-4)
betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
abar64 = torch.cumprod(1 - betas, 0)
abar = abar64.float().to(dev)
name = torch.cuda.get_device_name(0)


def train_step(B):
    return ddpm_train_step(net, opt, abar, B, H, dev)


train_step(args.batch)  # warm-up
torch.cuda.synchronize()
w0 = time.perf_counter()
for _ in range(args.steps):
    loss = train_step(args.batch)
torch.cuda.synchronize()
s = (time.perf_counter() - w0) / args.steps
print(f"RESULT bench=unet_train path=cuda device=\"{name}\" torch={torch.__version__} tf32={int(args.tf32)} "
      f"d={d} H={H} batch={args.batch} steps={args.steps} s_per_step={s:.6f} "
      f"images_per_s={args.batch / s:.2f} last_loss={loss.item():.4f}")


@torch.no_grad()
def sample(what, ts, full, timed):
    """ts: the plan's times, first to last; DDPM: t -> t-1 with sigma^2 = beta_t; DDIM eta 0."""
    n = args.images
    x = torch.randn(n, 1, H, H, device=dev)
    ab = abar64.tolist()

    def one(k):
        nonlocal x
        t = ts[k]
        tt = torch.full((n,), t, device=dev, dtype=torch.long)
        eps = net(x, tt)
        at = ab[t - 1]
        if what == "unet_ddpm":
            beta = 1 - at / (ab[t - 2] if t > 1 else 1.0)
            x = (x - beta / math.sqrt(1 - at) * eps) / math.sqrt(1 - beta)
            if t > 1:
                x = x + math.sqrt(beta) * torch.randn_like(x)
        else:
            s_ = ts[k + 1] if k + 1 < len(ts) else 0
            as_ = ab[s_ - 1] if s_ > 0 else 1.0
            x0 = (x - math.sqrt(1 - at) * eps) / math.sqrt(at)
            x = math.sqrt(as_) * x0 + math.sqrt(1 - as_) * eps

    one(0)  # warm-up
    torch.cuda.synchronize()
    w0 = time.perf_counter()
    timed = min(timed, full)
    for k in range(timed):
        one(k)
    torch.cuda.synchronize()
    sps = (time.perf_counter() - w0) / timed
    print(f"RESULT bench={what} path=cuda d={d} H={H} images={n} timed_steps={timed} full_steps={full} "
          f"s_per_step={sps:.6f} images_per_s={n / (sps * full):.3f} extrapolated={int(timed < full)}")


sample("unet_ddpm", list(range(T, 0, -1)), T, args.ddpm_steps)
tau = [round(1 + i * (T - 1) / 49) for i in range(50)]
sample("unet_ddim", tau[::-1], 50, args.ddim_steps)
