// latentebm sample: images from a trained model's prior (PNG grid, .npz, Langevin strip).
#include <memory>
#include <string>

#include "app/app.h"
#include "cli/command_line.h"
#include "cli/commands.h"

namespace latentebm::cli {

Runner declare_sample(CLI::App& cmd) {
  using app::SampleOptions;
  auto o = std::make_shared<SampleOptions>();
  cmd.description("Draws images from a trained model's learned prior: a PNG grid, a numpy archive, or the Langevin\n"
                  "transition strip of paper Fig. 3.\n");
  add_model_source(cmd, o->model);
  cmd.add_option("--count", o->count,
                 "number of images (default " + std::to_string(SampleOptions::kDefaultCount) + "; " +
                     std::to_string(SampleOptions::kDefaultStripChains) + " chains with --strip)")
      ->type_name("N")
      ->check(positive_integer());
  add_sampling_group(cmd, o->sampling, {/*batch_size=*/false, /*prior_sampler=*/true});
  CLI::Option* format =
      cmd.add_option("--format", o->format,
                     "png (a grid) | npz (numpy archive: `samples` uint8 N x C x H x W, `z` float32 N x nz, `images` "
                     "float32 N x C x H x W in [-1, 1] (= g(z)), `log_prior` float32 N (unnormalised log p_K(z) = "
                     "sum_k f_k(z) - |z|^2/2); numpy.load reads it)")
          ->capture_default_str()
          ->type_name("png|npz")
          ->check(one_of({"png", "npz"}));
  cmd.add_option("--columns", o->columns, "grid columns")->capture_default_str()->type_name("N")->check(positive_integer());
  CLI::Option* out = cmd.add_option("--out", o->out, "output (default DIR/samples-<method>.<format>)")->type_name("FILE");
  CLI::Option* strip =
      cmd.add_option("--strip", o->strip,
                     "instead: the Langevin transition strip of paper Fig. 3. Each row is a chain started from N(0, I) "
                     "running prior Langevin on the learned prior (step size --sample-delta); columns are the decoded z "
                     "every --strip-every steps (first column: step 0)")
          ->type_name("FILE.png");
  cmd.add_option("--strip-steps", o->strip_steps, "Langevin steps of the strip")
      ->capture_default_str()
      ->type_name("N")
      ->check(positive_integer());
  cmd.add_option("--strip-every", o->strip_every, "steps between columns")
      ->capture_default_str()
      ->type_name("N")
      ->check(positive_integer());
  // --strip writes only the strip PNG.
  strip->excludes(format)->excludes(out)->excludes(cmd.get_option("--sample-method"));
  return [o] { return app::run_sample(*o); };
}

}  // namespace latentebm::cli
