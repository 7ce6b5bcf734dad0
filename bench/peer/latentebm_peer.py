#!/usr/bin/env python3
"""latentebm's training iteration written as a plain PyTorch 2.x script: the peer.

What a competent PyTorch user would write for the same method (adaptive
multi-stage NCE for a latent EBM prior, docs/DESIGN.md), with the same shapes,
chain lengths, Langevin step rule, losses and optimizer as latentebm's
Trainer (src/train/trainer.cpp) on one process. The timed iteration is the
one bench/bench_iteration.cpp times: stage 1 of K = 4, so posterior Langevin
targets p_1 (the frozen ratio network f_0 on N(0, I)) and NCE trains f_1.

One iteration:
  1. a batch x of images in [-1, 1] (uint8 data on the device, as a user with
     a dataset that fits would keep it);
  2. posterior Langevin, L steps from z0 ~ N(0, I):
       z <- z + delta^2/2 grad_z [-|x - g(z)|^2 / (2 sigma^2) + f_0(z) - |z|^2/2] + delta w
     gradients w.r.t. z only (the weights' requires_grad is off meanwhile);
  3. noise samples of p_1: `langevin` (quick preset: 60 prior Langevin steps at
     delta 0.4 on f_0(z) - |z|^2/2 from N(0, I)) or `persistent` (svhn,
     celebahq128: rows drawn uniformly from the memory-bank snapshot);
  4. the memory bank keeps each example's latest posterior sample;
  5. gen = sum |x - g(z_post)|^2 / (2 sigma^2) / B;
     nce = -(sum log sigmoid f_1(z_post) + sum log sigmoid -f_1(z_noise)) / B;
     (gen + nce).backward(); Adam on the generator and on f_1 (betas 0.5, 0.999).
What latentebm does besides, and this script does not: the gradient
all-reduce (a world of one here), the divergence guard (a masked step), the
deferred read of the loss terms, checkpoints and logging.

Execution modes (--mode):
  eager      plain eager PyTorch (the default; what the CPU comparison runs)
  compile    torch.compile (inductor, default mode) on the generator and the
             ratio networks; the Langevin loop, autograd.grad and Adam stay
             eager Python
  cudagraph  CUDA only: the whole iteration (both chains, losses, backward,
             capturable Adam) captured once with torch.cuda.graph and replayed
             (PyTorch's "whole network capture" recipe)

Output: one machine-readable line, the last one printed:
  PEER_RESULT {"ms_per_iteration": ..., "preset": ..., ...}
ms_per_iteration is wall time over --iterations iterations back to back after
--warmup iterations (the device synchronised before and after, not between);
cpu_ms_per_iteration the process's CPU time (all threads) over the same.

--check REF.npz (from bench/bench_peer_reference) runs one iteration from
latentebm's initial weights, data, memory bank and random draws instead, and
compares every term with latentebm's; exit 1 when one is off by more than the
stated tolerance.
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# The presets, as configs/*.yaml and the defaults of src/config.h set them
# (--check compares each value with the config latentebm ran).
PRESETS = {
    "quick": dict(generator="mnist28", channels=1, nz=32, ngf=16, batch=64, L=20, delta=0.1, sigma=0.3,
                  hidden=200, stages=4, g_lr=5e-4, e_lr=5e-4, noise="langevin", prior_steps=60, prior_delta=0.4),
    "svhn": dict(generator="svhn32", channels=3, nz=100, ngf=64, batch=100, L=30, delta=0.1, sigma=0.3,
                 hidden=200, stages=4, g_lr=1e-4, e_lr=5e-5, noise="persistent", prior_steps=60, prior_delta=0.4),
    "celebahq128": dict(generator="celebahq128", channels=3, nz=100, ngf=64, batch=64, L=30, delta=0.1, sigma=0.3,
                        hidden=200, stages=4, g_lr=1e-4, e_lr=5e-5, noise="persistent", prior_steps=60,
                        prior_delta=0.4),
}
BETAS = (0.5, 0.999)
IMAGE_SIZE = {"mnist28": 28, "svhn32": 32, "celebahq128": 128}


def conv_t(cin, cout, k, s, p):
    return nn.ConvTranspose2d(cin, cout, k, s, p)


class Generator(nn.Module):
    """The generators of src/generator_kind.cpp (DCGAN-like, LeakyReLU 0.2, Tanh)."""

    def __init__(self, arch, nz, ngf, channels):
        super().__init__()
        a = lambda: nn.LeakyReLU(0.2)
        if arch == "mnist28":
            layers = [conv_t(nz, ngf * 4, 7, 1, 0), a(), conv_t(ngf * 4, ngf * 2, 4, 2, 1), a(),
                      conv_t(ngf * 2, channels, 4, 2, 1)]
        elif arch == "svhn32":
            layers = [conv_t(nz, ngf * 8, 4, 1, 0), a(), conv_t(ngf * 8, ngf * 4, 4, 2, 1), a(),
                      conv_t(ngf * 4, ngf * 2, 4, 2, 1), a(), conv_t(ngf * 2, channels, 4, 2, 1)]
        elif arch == "celebahq128":
            layers = [conv_t(nz, ngf * 16, 4, 1, 0), a()]
            for cin, cout in [(16, 8), (8, 4), (4, 2), (2, 1)]:
                layers += [conv_t(ngf * cin, ngf * cout, 4, 2, 1), a()]
            layers += [conv_t(ngf, channels, 4, 2, 1)]
        else:
            raise ValueError(f"unknown generator {arch!r}")
        self.net = nn.Sequential(*layers, nn.Tanh())
        self.nz = nz
        xavier(self)

    def forward(self, z):
        return self.net(z.view(z.size(0), self.nz, 1, 1))


class RatioNet(nn.Module):
    """f_i of src/model/prior.cpp: Linear - LeakyReLU(0.1) - Linear - LeakyReLU(0.1) - Linear."""

    def __init__(self, nz, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(nz, hidden), nn.LeakyReLU(0.1), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.1), nn.Linear(hidden, 1))
        xavier(self)

    def forward(self, z):
        return self.net(z).squeeze(-1)


def xavier(module):
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("weight") and p.dim() >= 2:
                nn.init.xavier_normal_(p)
            else:
                p.zero_()


class Draws:
    """Where the random numbers come from: torch's generator, or latentebm's recorded draws (--check)."""

    def __init__(self, recorded=None):
        self.recorded = list(recorded) if recorded is not None else None

    def randn(self, shape, like):
        if self.recorded is None:
            return torch.randn(shape, device=like.device, dtype=like.dtype)
        t = self.recorded.pop(0)
        assert tuple(t.shape) == tuple(shape), f"recorded draw of shape {tuple(t.shape)}, wanted {tuple(shape)}"
        return t.to(like.device, like.dtype)

    def randint(self, high, shape, device):
        if self.recorded is None:
            return torch.randint(0, high, shape, device=device)
        t = self.recorded.pop(0)
        return t.to(device=device, dtype=torch.long)


class Peer:
    def __init__(self, p, device, precision, mode, bank_rows):
        self.p, self.device, self.precision, self.mode = p, device, precision, mode
        self.g = Generator(p["generator"], p["nz"], p["ngf"], p["channels"]).to(device)
        self.ratios = nn.ModuleList([RatioNet(p["nz"], p["hidden"]) for _ in range(p["stages"])]).to(device)
        self.frozen, self.active = self.ratios[0], self.ratios[1]  # stage 1: f_0 frozen, f_1 learnt
        for q in self.frozen.parameters():
            q.requires_grad_(False)
        capturable = mode == "cudagraph"
        self.g_opt = torch.optim.Adam(self.g.parameters(), lr=p["g_lr"], betas=BETAS, eps=1e-8, capturable=capturable)
        self.e_opt = torch.optim.Adam(self.active.parameters(), lr=p["e_lr"], betas=BETAS, eps=1e-8,
                                      capturable=capturable)
        self.bank = torch.randn(bank_rows, p["nz"], device=device)
        self.snapshot = self.bank.clone()
        self.g_fwd, self.f0_fwd, self.f1_fwd = self.g, self.frozen, self.active
        if mode == "compile":
            self.g_fwd = torch.compile(self.g)
            self.f0_fwd = torch.compile(self.frozen)
            self.f1_fwd = torch.compile(self.active)
        self.generator_forwards = 0  # per iteration, counted (the FLOP-dominant work)
        self.generator_backwards = 0

    def generate(self, z):
        self.generator_forwards += 1
        if self.precision == "bf16":
            # (no autocast weight cache under CUDA-graph capture: PyTorch's AMP + graphs recipe)
            with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16,
                                cache_enabled=self.mode != "cudagraph"):
                return self.g_fwd(z).float()
        return self.g_fwd(z)

    def log_prior(self, z):  # log p_1(z) = f_0(z) - |z|^2 / 2
        return self.f0_fwd(z) - 0.5 * z.pow(2).sum(1)

    def posterior(self, x, draws):
        p = self.p
        drift, delta, inv = 0.5 * p["delta"] ** 2, p["delta"], 1.0 / (2 * p["sigma"] ** 2)
        z = draws.randn((x.size(0), p["nz"]), x)
        norm = torch.zeros((), device=x.device)
        for q in self.g.parameters():
            q.requires_grad_(False)
        for _ in range(p["L"]):
            z = z.detach().requires_grad_(True)
            log_joint = -(x - self.generate(z)).pow(2).flatten(1).sum(1) * inv + self.log_prior(z)
            grad = torch.autograd.grad(log_joint.sum(), z)[0]
            self.generator_backwards += 1
            with torch.no_grad():
                norm += grad.norm(dim=1).mean()
                z = z + drift * grad + delta * draws.randn(z.shape, z)
        for q in self.g.parameters():
            q.requires_grad_(True)
        return z.detach(), norm / p["L"]

    def noise(self, count, like, draws):
        p = self.p
        if p["noise"] == "persistent":
            return self.snapshot[draws.randint(self.snapshot.size(0), (count,), like.device)]
        drift, delta = 0.5 * p["prior_delta"] ** 2, p["prior_delta"]
        z = draws.randn((count, p["nz"]), like)
        for _ in range(p["prior_steps"]):
            z = z.detach().requires_grad_(True)
            grad = torch.autograd.grad(self.log_prior(z).sum(), z)[0]
            with torch.no_grad():
                z = z + drift * grad + delta * draws.randn(z.shape, z)
        return z.detach()

    def losses(self, x, z_post, z_noise):
        p, B = self.p, x.size(0)
        gen = (x - self.generate(z_post)).pow(2).sum() / (2 * p["sigma"] ** 2) / B
        f_post, f_noise = self.f1_fwd(z_post), self.f1_fwd(z_noise)
        nce = -(F.logsigmoid(f_post).sum() + F.logsigmoid(-f_noise).sum()) / B
        acc = ((f_post > 0).sum() + (f_noise < 0).sum()).float() / (2 * B)
        return gen, nce, acc

    def step(self, x, idx, draws):
        """One training iteration; returns the loss terms as device tensors (no host read)."""
        z_post, grad_norm = self.posterior(x, draws)
        z_noise = self.noise(x.size(0), x, draws)
        out = self.update(x, idx, z_post, z_noise)
        out["grad_norm"] = grad_norm
        return out

    def update(self, x, idx, z_post, z_noise):
        """The memory-bank write, the losses and both Adam steps, from the iteration's samples."""
        with torch.no_grad():
            self.bank.index_copy_(0, idx, z_post)
        gen, nce, acc = self.losses(x, z_post, z_noise)
        self.g_opt.zero_grad(set_to_none=self.mode != "cudagraph")
        self.e_opt.zero_grad(set_to_none=self.mode != "cudagraph")
        (gen + nce).backward()
        self.generator_backwards += 1
        self.g_opt.step()
        self.e_opt.step()
        return dict(gen=gen.detach(), nce=nce.detach(), acc=acc, z_post=z_post, z_noise=z_noise)


def set_precision(precision, device):
    tf32 = precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes, as latentebm's apply_runtime


class Timed:
    """Runs the peer's iteration over synthetic data, eagerly or replayed from one CUDA graph."""

    def __init__(self, peer, data, batch):
        self.peer, self.data, self.batch = peer, data, batch
        self.n = data.size(0)
        self.graph = None
        self.draws = Draws()

    def batch_at(self, t):
        lo = (t * self.batch) % self.n
        idx = torch.arange(lo, lo + self.batch, device=self.data.device)
        return self.data[idx].float().div(127.5).sub(1.0), idx

    def run(self, t):
        x, idx = self.batch_at(t)
        if self.peer.mode != "cudagraph":
            return self.peer.step(x, idx, self.draws)
        if self.graph is None:
            self.static_x, self.static_idx = x.clone(), idx.clone()
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):  # warm-up before capture, as the recipe asks
                for _ in range(3):
                    self.peer.step(self.static_x, self.static_idx, self.draws)
            torch.cuda.current_stream().wait_stream(side)
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self.static_out = self.peer.step(self.static_x, self.static_idx, self.draws)
        self.static_x.copy_(x)
        self.static_idx.copy_(idx)
        self.graph.replay()
        return self.static_out


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_benchmark(args, p):
    device = torch.device(args.device)
    set_precision(args.precision, device)
    torch.manual_seed(args.seed)
    side = IMAGE_SIZE[p["generator"]]
    # Synthetic images of the preset's shape, 4 batches' worth (as bench_iteration's).
    data = torch.randint(0, 256, (4 * p["batch"], p["channels"], side, side), dtype=torch.uint8, device=device)
    peer = Peer(p, device, args.precision, args.mode, data.size(0))
    timed = Timed(peer, data, p["batch"])
    for t in range(args.warmup):
        out = timed.run(t)
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    fwd0, bwd0 = peer.generator_forwards, peer.generator_backwards
    t0, c0 = time.perf_counter(), time.process_time()
    for t in range(args.iterations):
        out = timed.run(args.warmup + t)
    sync(device)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    per_it = lambda c: (c / args.iterations) if args.mode != "cudagraph" else None  # (a replay runs no Python)
    result = dict(
        ms_per_iteration=1e3 * elapsed / args.iterations, cpu_ms_per_iteration=1e3 * cpu / args.iterations,
        preset=args.preset, device=str(device),
        precision=args.precision, mode=args.mode, batch=p["batch"], L=p["L"], noise=p["noise"],
        iterations=args.iterations, warmup=args.warmup, threads=torch.get_num_threads(),
        torch=torch.__version__, gen_loss=float(out["gen"]), nce_loss=float(out["nce"]),
        generator_forwards_per_iteration=per_it(peer.generator_forwards - fwd0),
        generator_backwards_per_iteration=per_it(peer.generator_backwards - bwd0))
    if device.type == "cuda":
        result["peak_memory_mib"] = torch.cuda.max_memory_allocated() / 2**20
        result["gpu"] = torch.cuda.get_device_name(device)
    return result


# ---------------------------------------------------------------------------
# --check: one iteration from latentebm's state and draws


def load_reference(path):
    """The .npz bench_peer_reference writes (float32 .npy members, C order), read without numpy."""
    import ast
    import struct
    import zipfile

    out = {}
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            raw = z.read(member)
            if raw[:6] != b"\x93NUMPY":
                raise SystemExit(f"{path}: {member} is not a .npy array")
            major = raw[6]
            (hlen,), start = (struct.unpack("<H", raw[8:10]), 10) if major == 1 else (struct.unpack("<I", raw[8:12]), 12)
            header = ast.literal_eval(raw[start:start + hlen].decode("latin1"))
            if header["descr"] != "<f4" or header["fortran_order"]:
                raise SystemExit(f"{path}: {member} is {header['descr']}, expected little-endian float32 in C order")
            data = bytearray(raw[start + hlen:])
            t = torch.frombuffer(data, dtype=torch.float32) if data else torch.empty(0)
            out[member[:-4] if member.endswith(".npy") else member] = t.reshape(header["shape"]).clone()
    return out


def check(args, p):
    ref = load_reference(args.check)
    scalar = lambda k: float(ref["setting." + k])
    # The preset must be the config latentebm ran (batch aside, which the check shrinks).
    for key in ["nz", "ngf", "L", "delta", "sigma", "hidden", "stages", "g_lr", "e_lr", "prior_steps",
                "prior_delta", "channels"]:
        if not math.isclose(scalar(key), p[key], rel_tol=1e-6):
            raise SystemExit(f"peer preset {args.preset}: {key} = {p[key]}, latentebm's config has {scalar(key):g}; "
                             f"update PRESETS in {__file__}")
    noise = "persistent" if scalar("noise_persistent") > 0.5 else "langevin"
    if noise != p["noise"]:
        raise SystemExit(f"peer preset {args.preset}: noise {p['noise']}, latentebm's config has {noise}")
    if int(scalar("batch")) != p["batch"]:
        raise SystemExit(f"the reference has batch {int(scalar('batch'))}: run the check with --batch {int(scalar('batch'))}")

    device = torch.device("cpu")
    torch.set_num_threads(1)
    set_precision("fp32", device)
    peer = Peer(p, device, "fp32", "eager", ref["bank.snapshot"].size(0))
    with torch.no_grad():
        for name, q in peer.g.named_parameters():
            q.copy_(ref["init.generator." + name])
        for name, q in peer.ratios.named_parameters():
            q.copy_(ref["init.prior.stage_" + name])
        peer.snapshot.copy_(ref["bank.snapshot"])
        peer.bank.copy_(ref["bank.snapshot"])
    count = int(scalar("draws"))
    draws = Draws([ref[f"draw.{i:03d}"] for i in range(count)])
    before = {("generator", n): q.detach().clone() for n, q in peer.g.named_parameters()}
    before.update({("active", n): q.detach().clone() for n, q in peer.active.named_parameters()})
    # The chains from latentebm's state and draws; then the update from
    # latentebm's samples, so that each part is compared on the same inputs:
    # the weight gradients are piecewise smooth in z (LeakyReLU), and the
    # chains' float32 differences (1e-7 - 1e-4 of z after 20-30 steps,
    # amplified by the chain) flip a few units' slopes, which moves the
    # early layers' gradients by percents though both are right.
    x = ref["x"]
    z_post, grad_norm = peer.posterior(x, draws)
    z_noise = peer.noise(x.size(0), x, draws)
    if draws.recorded:
        raise SystemExit(f"the peer used {count - len(draws.recorded)} of latentebm's {count} recorded draws")
    out = peer.update(x, ref["indices"].long(), ref["out.z_post"], ref["out.z_noise"])
    out.update(z_post=z_post, z_noise=z_noise, grad_norm=grad_norm)

    rows = []

    def compare(what, mine, theirs, tol):
        mine, theirs = mine.detach().double(), theirs.detach().double()
        scale = max(theirs.abs().max().item(), 1e-12)
        err = (mine - theirs).abs().max().item() / scale
        rows.append((what, err, tol))

    # Each error is relative to the largest magnitude of latentebm's value.
    # Float32 chains of 20-30 steps under LibTorch 1.13 (OpenBLAS) and PyTorch
    # 2.11 (MKL / oneDNN) agreed to 1e-7 - 3e-5 when this was written (quick
    # and svhn, CPU); 1e-4 (Adam's step: 1e-3 of the learning rate) leaves room
    # and still catches any change of rule: a missing 1/2, a wrong sign or a
    # missing prior term moves them by 1e-2 or more.
    compare("z_post (posterior Langevin)", out["z_post"], ref["out.z_post"], 1e-4)
    compare("z_noise (noise samples)", out["z_noise"], ref["out.z_noise"], 1e-4)
    compare("gen loss", out["gen"], ref["out.gen_loss"], 1e-4)
    compare("nce loss", out["nce"], ref["out.nce_loss"], 1e-4)
    compare("nce accuracy", out["acc"], ref["out.nce_acc"], 1e-6)
    compare("mean |grad z|", out["grad_norm"], ref["out.grad_norm"], 1e-4)
    for name, q in peer.g.named_parameters():
        compare(f"generator grad {name}", q.grad, ref["grad.generator." + name], 1e-4)
    for name, q in peer.active.named_parameters():
        compare(f"ratio f_1 grad {name}", q.grad, ref["grad.active." + name], 1e-4)
    # Adam's first step is lr * g / (|g| + eps) per element: compare it where
    # the gradient is clearly away from 0 (elsewhere a 1e-6 gradient
    # difference may flip it).
    for prefix, named, lr in [("generator", peer.g.named_parameters(), p["g_lr"]),
                              ("active", peer.active.named_parameters(), p["e_lr"])]:
        for name, q in named:
            g = ref[f"grad.{prefix}.{name}"].double()
            sure = g.abs() > 1e-3 * g.abs().max()
            mine = (q.detach().double() - before[(prefix, name)].double())[sure]
            theirs = (ref[f"after.{prefix}.{name}"].double() - ref[f"init.{prefix}.{name}" if prefix == "generator"
                      else f"init.prior.stage_1.{name}"].double())[sure]
            err = (mine - theirs).abs().max().item() / lr if mine.numel() else 0.0
            rows.append((f"Adam step {prefix} {name} (in units of lr)", err, 1e-3))
    bad = [r for r in rows if not r[1] <= r[2]]
    width = max(len(r[0]) for r in rows)
    for what, err, tol in rows:
        print(f"{what:<{width}}  relative error {err:.2e}  tolerance {tol:.0e}  {'ok' if err <= tol else 'OFF'}")
    print(f"generator forward passes {peer.generator_forwards}, backward passes {peer.generator_backwards} "
          f"(L + 1 = {p['L'] + 1} each)")
    if bad:
        print(f"peer check: {len(bad)} of {len(rows)} terms differ from latentebm's beyond tolerance", file=sys.stderr)
        return 1
    print(f"peer check: all {len(rows)} terms match latentebm's iteration")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="quick")
    ap.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    ap.add_argument("--precision", choices=["fp32", "tf32", "bf16"], default="fp32")
    ap.add_argument("--mode", choices=["eager", "compile", "cudagraph"], default="eager")
    ap.add_argument("--iterations", type=int, default=10, help="timed iterations, back to back")
    ap.add_argument("--warmup", type=int, default=2, help="untimed iterations first (and the capture / compile)")
    ap.add_argument("--batch", type=int, default=0, help="override the preset's batch (0: the preset's)")
    ap.add_argument("--langevin-steps", type=int, default=0, help="override the preset's L (0: the preset's)")
    ap.add_argument("--prior-steps", type=int, default=0,
                    help="override the noise chains' prior Langevin steps (0: the preset's)")
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: torch's default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", metavar="REF.npz", help="compare one iteration with latentebm's (bench_peer_reference)")
    args = ap.parse_args(argv)
    major = int(torch.__version__.split(".")[0])
    if major < 2:
        raise SystemExit(f"the peer is a PyTorch 2.x script; this is torch {torch.__version__}")
    p = dict(PRESETS[args.preset])
    if args.batch > 0:
        p["batch"] = args.batch
    if args.langevin_steps > 0:
        p["L"] = args.langevin_steps
    if args.prior_steps > 0:
        p["prior_steps"] = args.prior_steps
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.check:
        return check(args, p)
    if args.iterations < 1 or args.warmup < 0:
        raise SystemExit("--iterations must be >= 1 and --warmup >= 0")
    if args.mode == "cudagraph" and not args.device.startswith("cuda"):
        raise SystemExit("--mode cudagraph needs --device cuda")
    if args.mode == "cudagraph" and args.warmup < 1:
        raise SystemExit("--mode cudagraph needs --warmup >= 1 (the first iteration captures)")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("--device cuda but torch sees no CUDA device")
    result = run_benchmark(args, p)
    print("PEER_RESULT " + json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
