// latentebm sample: images from a trained model's prior (PNG grid, .npz, Langevin strip).
#include <stdexcept>
#include <string>

#include "app/app.h"
#include "cli/commands.h"

namespace latentebm::cli {

namespace {
const char* const kHelp = R"(usage: latentebm sample --run-dir DIR [options]

options:
  --checkpoint DIR   a checkpoint directory (default: DIR's latest)
  --count N          number of images (default 64; 8 chains with --strip)
  --method M         langevin | sir (default: the run's sample.method)
  --steps N          prior Langevin steps (default: the run's sample.steps)
  --delta D          their step size (default: the run's sample.delta)
  --sir-proposals N  SIR proposals per sample (default: the run's sample.sir_proposals)
  --stages K         prior stages to use (default: all K of a finished run, the
                     stages already learned for an unfinished one or that an
                     adaptive schedule trained; lebm: its energy as learnt
                     so far)
  --seed S           random seed (default 1)
  --format F         png (a grid) | npz (numpy archive: `samples` uint8 N x C x H x W,
                     `z` float32 N x nz, `images` float32 N x C x H x W in [-1, 1]
                     (= g(z)), `log_prior` float32 N (unnormalised log p_K(z) =
                     sum_k f_k(z) - |z|^2/2); numpy.load reads it) (default png)
  --columns N        grid columns (default 8)
  --out FILE         output (default DIR/samples-<method>.<format>)
  --strip FILE.png   instead: the Langevin transition strip of paper Fig. 3. Each row
                     is a chain started from N(0, I) running prior Langevin on the
                     learned prior (step size --delta); columns are the
                     decoded z every --strip-every steps (first column: step 0)
  --strip-steps N    Langevin steps of the strip (default 200)
  --strip-every N    steps between columns (default 20)
)";
}  // namespace

std::string sample_help() { return std::string(kHelp); }

int sample_command(const Args& a) {
  reject_unknown(a, {"run-dir", "checkpoint", "count", "method", "steps", "delta", "sir-proposals", "stages", "seed", "columns",
                     "out", "format", "strip", "strip-steps", "strip-every", "help"},
                 "sample");
  app::SampleOptions o;
  o.model = {a.get_opt("run-dir"), a.get_opt("checkpoint")};
  o.format = a.get("format", "png");
  if (o.format != "png" && o.format != "npz") throw std::runtime_error("--format must be png or npz");
  if (a.has("strip") && (a.has("format") || a.has("out") || a.has("method")))
    throw std::runtime_error("--strip writes only the strip PNG; it does not combine with --format, --out or --method");
  o.count = a.get_int_opt("count");
  o.sampler = {a.get_opt("method"), a.get_int_opt("steps"), a.get_int_opt("sir-proposals"), a.get_double_opt("delta")};
  o.stages = a.get_int_opt("stages");
  o.seed = static_cast<uint64_t>(a.get_int("seed", 1));
  o.columns = a.get_int("columns", 8);
  o.out = a.get_opt("out");
  o.strip = a.get_opt("strip");
  o.strip_steps = a.get_int("strip-steps", 200);
  o.strip_every = a.get_int("strip-every", 20);
  return app::run_sample(o);
}

}  // namespace latentebm::cli
