// latentebm export: a trained model as PyTorch state dicts plus config.json.
#include <string>

#include "app/app.h"
#include "cli/commands.h"

namespace latentebm::cli {

namespace {
const char* const kHelp = R"(usage: latentebm export --run-dir DIR --out OUT [options]

Writes the model of a checkpoint (DIR's latest by default) where PyTorch
loads it, into the folder OUT:
  generator.pt   the generator's state dict   (torch.load gives {name: tensor};
  prior.pt       every stage of the prior      the names are PyTorch's
                                               state_dict keys)
  config.json    architecture, latent size, sigma, stages and sampler settings
The module python/latentebm.py of this repository rebuilds the same networks:
  import sys; sys.path.insert(0, "python")   # from the repository root
  import latentebm
  m = latentebm.load("OUT"); images = m.decode(m.sample(16))
m.sample(n) draws latents from the learned prior (prior Langevin or SIR, as
the run's sample.method), m.decode(z) gives images in [-1, 1], m.log_prior(z)
the unnormalised log density. Needs PyTorch (Debian: python3-torch).

options:
  --checkpoint DIR   a checkpoint directory (default: DIR's latest)
  --stages K         prior stages sample() uses (default: all K of a finished
                     run, else the stages an unfinished run has finished;
                     lebm: its energy as learnt so far)
)";
}  // namespace

std::string export_help() { return std::string(kHelp); }

int export_command(const Args& a) {
  reject_unknown(a, {"run-dir", "checkpoint", "out", "stages", "help"}, "export");
  app::ExportOptions o;
  o.model = {a.get_opt("run-dir"), a.get_opt("checkpoint")};
  o.out = a.get("out", "");
  o.stages = a.get_int_opt("stages");
  return app::run_export(o);
}

}  // namespace latentebm::cli
