"""A model exported by `latentebm export --run-dir RUN --out DIR`, in PyTorch.

    import sys; sys.path.insert(0, "python")   # from the repository root
    import latentebm
    m = latentebm.load("DIR"); images = m.decode(m.sample(16))

The modules rebuild the C++ ones exactly (src/generator_kind.cpp's layers as
src/model/generator.cpp builds them, src/model/prior.cpp), so the state
dicts the export wrote load by name:

  generator  mnist28 / svhn32 / cifar32 / celeba64 / celebahq128: transposed
             convolutions with LeakyReLU(0.2) between them and Tanh at the end;
             z [B, nz] is viewed as [B, nz, 1, 1]; images in [-1, 1]
  prior      log p_K(z) = sum_{k<K} f_k(z) - |z|^2 / 2 + const, each f_k the MLP
             Linear(nz, h) - LeakyReLU(0.1) - Linear(h, h) - LeakyReLU(0.1) - Linear(h, 1)
  sampling   prior Langevin from N(0, I) with the C++ step
             z <- z + (delta^2 / 2) grad log p_K(z) + delta * w  (src/model/sampler.cpp),
             or sampling-importance-resampling from N(0, I) proposals weighted by
             exp(sum_k f_k(z))

Needs only PyTorch (Debian's python3-torch 1.13, or PyPI's torch).
"""
import json
import os

import torch
from torch import nn

__all__ = ["Generator", "RatioNet", "MultiStagePrior", "Model", "load", "prior_langevin", "sir_sample"]

# (out channels as a multiple of ngf or None for the image channels, kernel, stride, padding) per layer.
_ARCHS = {
    "mnist28": [(4, 7, 1, 0), (2, 4, 2, 1), (None, 4, 2, 1)],
    "svhn32": [(8, 4, 1, 0), (4, 4, 2, 1), (2, 4, 2, 1), (None, 4, 2, 1)],
    "cifar32": [(8, 8, 1, 0), (4, 4, 2, 1), (2, 4, 2, 1), (None, 3, 1, 1)],
    "celeba64": [(8, 4, 1, 0), (4, 4, 2, 1), (2, 4, 2, 1), (1, 4, 2, 1), (None, 4, 2, 1)],
    "celebahq128": [(16, 4, 1, 0), (8, 4, 2, 1), (4, 4, 2, 1), (2, 4, 2, 1), (1, 4, 2, 1), (None, 4, 2, 1)],
}


class Generator(nn.Module):
    def __init__(self, arch, nz, ngf, channels):
        super().__init__()
        if arch not in _ARCHS:
            raise ValueError(f"unknown generator '{arch}' ({', '.join(_ARCHS)})")
        self.arch, self.nz, self.channels = arch, nz, channels
        layers, cin = [], nz
        for i, (mult, k, stride, pad) in enumerate(_ARCHS[arch]):
            cout = channels if mult is None else ngf * mult
            layers.append(nn.ConvTranspose2d(cin, cout, k, stride=stride, padding=pad))
            if i + 1 < len(_ARCHS[arch]):
                layers.append(nn.LeakyReLU(0.2))
            cin = cout
        layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z.view(z.shape[0], self.nz, 1, 1))


class RatioNet(nn.Module):
    def __init__(self, nz, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(nz, hidden), nn.LeakyReLU(0.1), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.1), nn.Linear(hidden, 1))

    def forward(self, z):
        return self.net(z).squeeze(-1)


class MultiStagePrior(nn.Module):
    def __init__(self, nz, stages, hidden):
        super().__init__()
        self.nz, self.num_stages = nz, stages
        for k in range(stages):
            self.add_module(f"stage_{k}", RatioNet(nz, hidden))

    def ratio(self, k):
        return getattr(self, f"stage_{k}")

    def log_ratio_sum(self, z, upto):
        total = torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
        for k in range(min(upto, self.num_stages)):
            total = total + self.ratio(k)(z)
        return total

    def log_density(self, z, upto):
        """Unnormalised log p_upto(z) = sum_{k<upto} f_k(z) - |z|^2 / 2."""
        return self.log_ratio_sum(z, upto) - 0.5 * z.pow(2).sum(1)


def prior_langevin(prior, stages, z, steps, delta):
    """Langevin on log p_stages(z), the step of src/model/sampler.cpp."""
    z = z.detach()
    for _ in range(steps):
        z.requires_grad_(True)
        grad = torch.autograd.grad(prior.log_density(z, stages).sum(), z)[0]
        z = (z.detach() + 0.5 * delta * delta * grad + delta * torch.randn_like(z)).detach()
    return z


@torch.no_grad()
def sir_sample(prior, stages, n, proposals, device="cpu"):
    """Sampling-importance-resampling: one of `proposals` N(0, I) draws per
    output, picked with probability proportional to exp(sum_k f_k(z))."""
    z = torch.randn(n * proposals, prior.nz, device=device)
    logw = prior.log_ratio_sum(z, stages).view(n, proposals)
    pick = torch.multinomial(torch.softmax(logw, 1), 1).squeeze(1)
    return z[torch.arange(n, device=device) * proposals + pick]


class Model:
    """The generator and the prior of an export, with its sampler settings."""

    def __init__(self, generator, prior, config):
        self.generator, self.prior, self.config = generator, prior, config
        self.stages = config["prior"]["use_stages"]
        self.device = next(generator.parameters()).device

    def sample(self, n, method=None, steps=None, delta=None, stages=None):
        """n latents [n, nz] from the learned prior p_stages: prior Langevin
        from N(0, I) ("langevin") or SIR ("sir"); defaults from the run's
        sample.* settings."""
        s = self.config["sample"]
        method = method or s["method"]
        stages = self.stages if stages is None else stages
        if method == "sir":
            return sir_sample(self.prior, stages, n, s["sir_proposals"], self.device)
        if method != "langevin":
            raise ValueError(f"method must be langevin or sir, not {method!r}")
        z0 = torch.randn(n, self.prior.nz, device=self.device)
        return prior_langevin(self.prior, stages, z0, s["steps"] if steps is None else steps,
                              s["delta"] if delta is None else delta)

    @torch.no_grad()
    def decode(self, z):
        """Images g(z) in [-1, 1], [n, C, H, W]."""
        return self.generator(z.to(self.device, torch.float32))

    @torch.no_grad()
    def log_prior(self, z, stages=None):
        """Unnormalised log p(z) = sum_k f_k(z) - |z|^2 / 2 (the prior energy is its negative)."""
        return self.prior.log_density(z.to(self.device, torch.float32), self.stages if stages is None else stages)


def load(directory, device="cpu"):
    """The model `latentebm export` wrote into `directory`."""
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    if config.get("format") != "latentebm-export":
        raise ValueError(f"{directory}/config.json is not a latentebm export")
    g, p = config["generator"], config["prior"]
    generator = Generator(g["arch"], g["nz"], g["ngf"], g["channels"])
    prior = MultiStagePrior(p["nz"], p["stages"], p["hidden"])
    for module, name in ((generator, "generator.pt"), (prior, "prior.pt")):
        state = torch.load(os.path.join(directory, name), map_location="cpu")
        module.load_state_dict(dict(state), strict=True)
        module.to(device).eval()
        for param in module.parameters():
            param.requires_grad_(False)
    return Model(generator, prior, config)
