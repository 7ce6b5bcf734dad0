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

# Both samplers run and give finite latents of the right shape.
torch.manual_seed(0)
for method in ("langevin", "sir"):
    zs = m.sample(8, method=method)
    assert zs.shape == (8, cfg["generator"]["nz"]) and torch.isfinite(zs).all(), (method, zs.shape)
    x = m.decode(zs)
    assert x.shape[0] == 8 and float(x.abs().max()) <= 1.0

print(f"ok: {images.shape[0]} images, max |decode(z) - latentebm| = {diff:.2e}, max |log p diff| = {lp_diff:.2e}, "
      f"{K} stages, torch {torch.__version__}")
