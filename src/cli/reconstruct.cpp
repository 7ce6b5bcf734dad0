// latentebm reconstruct: test images through posterior Langevin, with their MSE.
#include <stdexcept>
#include <string>

#include "app/app.h"
#include "cli/commands.h"

namespace latentebm::cli {

namespace {
const char* const kHelp = R"(usage: latentebm reconstruct --run-dir DIR [options]

Posterior Langevin (training settings, noise-initialised, under the final
prior) on N test images (all, or a fixed uniform random N in file order, the
subset `eval --test-limit N` takes); writes a grid whose rows alternate test
images and reconstructions, and prints the per-pixel MSE on [-1, 1].

options:
  --checkpoint DIR   a checkpoint directory (default: DIR's latest)
  --count N          number of test images (default 64)
  --stages K         prior stages (default: all K of a finished run, the stages
                     already learned for an unfinished one or that an adaptive
                     schedule trained; lebm: its energy as learnt so far);
                     methods whose posterior uses N(0, I)
                     ignore it
  --seed S           random seed (default 1)
  --out FILE         PNG grid (default DIR/reconstructions-cli.png)
)";
}  // namespace

std::string reconstruct_help() { return std::string(kHelp); }

int reconstruct_command(const Args& a) {
  reject_unknown(a, {"run-dir", "checkpoint", "count", "stages", "seed", "out", "help"}, "reconstruct");
  app::ReconstructOptions o;
  o.model = {a.get_opt("run-dir"), a.get_opt("checkpoint")};
  o.stages = a.get_int_opt("stages");
  o.count = a.get_int("count", 64);
  o.seed = static_cast<uint64_t>(a.get_int("seed", 1));
  o.out = a.get_opt("out");
  return app::run_reconstruct(o);
}

}  // namespace latentebm::cli
