"""Checks an export (latentebm export) against `latentebm sample --format npz`
of the same checkpoint. usage: export_check.py PYTHON_DIR EXPORT_DIR SAMPLES.npz"""
import sys

import numpy as np
import torch

python_dir, export_dir, npz_path = sys.argv[1:4]
sys.path.insert(0, python_dir)
import latentebm  # noqa: E402

m = latentebm.load(export_dir)
cfg = m.config
K = cfg["prior"]["stages"]
d = np.load(npz_path)
z = torch.from_numpy(d["z"])
assert z.shape == (d["samples"].shape[0], cfg["generator"]["nz"]), z.shape

# Decoding the same z gives the same images.
images = m.decode(z).numpy()
assert images.shape == d["images"].shape, (images.shape, d["images"].shape)
diff = float(np.abs(images - d["images"]).max())
assert diff < 1e-4, f"decode(z) differs from latentebm sample by {diff} (tolerance 1e-4)"
u8 = np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.int64)
levels = int(np.abs(u8 - d["samples"].astype(np.int64)).max())
assert levels <= 1, f"8-bit samples differ by {levels} levels"

# The same prior: every stage exported, the same log density on the same z.
state = torch.load(f"{export_dir}/prior.pt")
stages = sorted({k.split(".")[0] for k in state})
assert stages == sorted(f"stage_{k}" for k in range(K)), stages
assert K > 0, "the test model should have prior stages"
lp = m.log_prior(z, stages=K).numpy()
scale = max(1.0, float(np.abs(d["log_prior"]).max()))
lp_diff = float(np.abs(lp - d["log_prior"]).max())
assert lp_diff < 1e-5 * scale, f"log prior differs by {lp_diff} (scale {scale})"
# ... and not trivially: the learned ratios contribute to it.
ratio = m.prior.log_ratio_sum(z, K)
assert float(ratio.abs().max()) > 1e-6, "sum of the ratio networks is zero"

# The samplers, against known answers (checked by breaking each: a Langevin
# step with the gradient's sign flipped, a drift of delta^2 instead of
# delta^2 / 2, a step that ignores `stages`, and a SIR that picks uniformly
# instead of by its weights each fail one of the asserts below).
#
# 1. Model.sample("langevin") is the C++ step z + (delta^2 / 2) grad log p(z)
#    + delta w, written out here with the same seed, so the same N(0, I) start
#    and the same noise w, on the exported prior (whose log density matches
#    the C++ one above): equal to float32 rounding, on all the run's stages
#    and on one; the same chain on one stage fewer ends elsewhere (the
#    chain's `stages` matter).
def reference_langevin(prior, stages, n, steps, delta, seed):
    torch.manual_seed(seed)
    z = torch.randn(n, prior.nz)
    for _ in range(steps):
        zz = z.clone().requires_grad_(True)
        grad = torch.autograd.grad(prior.log_density(zz, stages).sum(), zz)[0]
        z = z + 0.5 * delta * delta * grad + delta * torch.randn_like(z)
    return z


nz = cfg["generator"]["nz"]
assert m.stages >= 2, "the test model should use at least 2 stages"
step_diff = 0.0
for stages in (m.stages, 1):  # all the run's stages, and fewer
    torch.manual_seed(5)
    zs = m.sample(64, method="langevin", steps=4, delta=0.5, stages=stages)
    ref = reference_langevin(m.prior, stages, 64, 4, 0.5, 5)
    assert zs.shape == (64, nz) and torch.isfinite(zs).all(), zs.shape
    d = float((zs - ref).abs().max())
    assert d < 1e-5 * (1 + float(ref.abs().max())), f"prior Langevin on {stages} stage(s) differs from the C++ step by {d}"
    step_diff = max(step_diff, d)
    other = float((reference_langevin(m.prior, stages - 1, 64, 4, 0.5, 5) - zs).abs().max())
    assert other > 100 * step_diff + 1e-5, f"the chain on {stages - 1} stage(s) ends only {other} from the one on {stages}"

# 2. Known target: one stage whose ratio is f(z) = a * z_0 exactly (the
#    network's first unit carries z_0 + 100, far inside LeakyReLU's linear
#    part), so p(z) is proportional to exp(a z_0) N(0, I) = N(a e_0, I).
#    Prior Langevin (delta 0.5, 200 steps) from N(0, I) ends with mean a e_0
#    and variance 1 / (1 - delta^2 / 4) per coordinate (the Gaussian's exact
#    stationary law of the discretised chain); SIR with 64 proposals picks by
#    exp(f): mean of z_0 0.96 for 64 proposals at a = 1 (E sum_i w_i z_i /
#    sum_i w_i, w = exp(z), by simulation), where a uniform pick gives 0.
a, dim, n = 1.0, 4, 4000
tilt = latentebm.MultiStagePrior(dim, 1, 8)
with torch.no_grad():
    for p in tilt.parameters():
        p.zero_()
    net = tilt.ratio(0).net
    net[0].weight[0, 0], net[0].bias[0] = 1.0, 100.0
    net[2].weight[0, 0] = 1.0
    net[4].weight[0, 0], net[4].bias[0] = a, -100.0 * a
zt = torch.randn(5, dim)
assert float((tilt.log_ratio_sum(zt, 1) - a * zt[:, 0]).abs().max()) < 1e-4, "the tilt is not a * z_0"
for p in tilt.parameters():
    p.requires_grad_(False)
torch.manual_seed(11)
delta = 0.5
zl = latentebm.prior_langevin(tilt, 1, torch.randn(n, dim), 200, delta)
mean, var = zl.mean(0), zl.var(0)
want_var = 1.0 / (1.0 - delta * delta / 4)
assert abs(float(mean[0]) - a) < 0.1 and float(mean[1:].abs().max()) < 0.1, f"Langevin mean {mean.tolist()}, want ({a}, 0, ...)"
assert float((var - want_var).abs().max()) < 0.15, f"Langevin variance {var.tolist()}, want {want_var:.3f}"
torch.manual_seed(12)
zsir = latentebm.sir_sample(tilt, 1, n, 64)
m0 = float(zsir[:, 0].mean())
assert 0.85 < m0 < 1.05 and float(zsir[:, 1:].mean(0).abs().max()) < 0.1, f"SIR mean {zsir.mean(0).tolist()}"
# ... and Model.sample("sir") is that sampler with the run's proposals.
torch.manual_seed(13)
got = m.sample(8, method="sir")
torch.manual_seed(13)
want = latentebm.sir_sample(m.prior, m.stages, 8, cfg["sample"]["sir_proposals"])
assert torch.equal(got, want) and torch.isfinite(got).all(), "Model.sample('sir')"
x = m.decode(got)
assert x.shape[0] == 8 and float(x.abs().max()) <= 1.0

print(f"ok: {images.shape[0]} images, max |decode(z) - latentebm| = {diff:.2e}, max |log p diff| = {lp_diff:.2e}, "
      f"{K} stages, Langevin step {step_diff:.1e} from the C++ one, N(a e_0, I): Langevin mean {float(mean[0]):.3f} "
      f"var {float(var.mean()):.3f} (want {a} / {want_var:.3f}), SIR mean {m0:.3f}, torch {torch.__version__}")
