// latentebm export: a trained model as PyTorch state dicts plus config.json.
#include <memory>

#include "app/app.h"
#include "cli/command_line.h"
#include "cli/commands.h"

namespace latentebm::cli {

Runner declare_export(CLI::App& cmd) {
  auto o = std::make_shared<app::ExportOptions>();
  cmd.description(R"(Writes the model of a checkpoint (DIR's latest by default) where PyTorch
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
)");
  add_model_source(cmd, o->model);
  cmd.add_option("--out", o->out, "the folder to write (created)")->required()->type_name("OUT");
  add_stages(cmd, o->stages);
  return [o] { return app::run_export(*o); };
}

}  // namespace latentebm::cli
