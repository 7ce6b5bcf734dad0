// latentebm reconstruct: test images through posterior Langevin, with their MSE.
#include <memory>

#include "app/app.h"
#include "cli/command_line.h"
#include "cli/commands.h"

namespace latentebm::cli {

Runner declare_reconstruct(CLI::App& cmd) {
  auto o = std::make_shared<app::ReconstructOptions>();
  cmd.description(R"(Posterior Langevin (training settings, noise-initialised, under the final
prior) on N test images (all, or a fixed uniform random N in file order, the
subset `eval --test-limit N` takes); writes a grid whose rows alternate test
images and reconstructions, and prints the per-pixel MSE on [-1, 1].
)");
  add_model_source(cmd, o->model);
  cmd.add_option("--count", o->count, "number of test images")->capture_default_str()->type_name("N")
      ->check(positive_integer());
  add_sampling_group(cmd, o->sampling, {});
  cmd.add_option("--out", o->out, "PNG grid (default DIR/reconstructions-cli.png)")->type_name("FILE");
  return [o] { return app::run_reconstruct(*o); };
}

}  // namespace latentebm::cli
