// latentebm eval: reconstruction MSE, FD-classifier, FID, parameter counts (any rank count).
#include <memory>

#include "app/app.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "eval/fid.h"

namespace latentebm::cli {

namespace {
const char* const kDescription = R"(Evaluates a trained model (docs/DESIGN.md section 4; any rank count:
[mpirun -np N] latentebm eval ...) and writes DIR/eval.json:
  reconstruction_mse  test split: z by posterior Langevin (training settings,
                      noise-initialised) under the prior; per-pixel mean of
                      (g(z) - x)^2 on [-1, 1], averaged over images
  fd_classifier       Frechet distance of --samples prior samples vs the training
                      split in the 128-d feature space of a small CNN classifier that
                      latentebm trains on the labelled training split (fixed seed;
                      cached as <data>.classifier.h5, its test accuracy reported).
                      Not FID: compare it only between runs on the same dataset file
  fd_classifier_reconstructions, fd_classifier_test_images
                      the same distance for the reconstructions behind
                      reconstruction_mse (what prior samples would reach if the
                      prior matched these images' aggregate posterior) and for
                      the test images themselves (the floor of that many images)
  fid                 with --fid-model: FID of the samples vs the training split in
                      the feature space of a TorchScript Inception module
  parameters          parameter counts of the generator and the prior (paper 5.6)
Any rank count works: each rank takes whole batches of the test set and of the
samples, seeded per batch, and sums are reduced, so the numbers do not depend on
the rank count (up to summation order). eval.json names the sampler used.
)";
}  // namespace

Runner declare_eval(CLI::App& cmd) {
  auto o = std::make_shared<app::EvalCommandOptions>();
  cmd.description(kDescription);
  add_model_source(cmd, o->model);
  cmd.add_option("--samples", o->samples,
                 "prior samples for FD-classifier / FID (the paper's FID uses 50000; fewer than 2: FD and FID are skipped)")
      ->capture_default_str()
      ->type_name("N")
      ->check(non_negative_integer());
  add_sampling_group(cmd, o->sampling, {/*batch_size=*/true, /*prior_sampler=*/true});
  cmd.add_option("--fid-model", o->fid_model, "TorchScript feature extractor for FID (see below)")->type_name("FILE.pt");
  cmd.add_option("--fid-reference-limit", o->fid_reference_limit,
                 "FID reference statistics from the first N training images of the seeded training order (a uniform "
                 "random subset); 0: the whole training split")
      ->capture_default_str()
      ->type_name("N")
      ->check(non_negative_integer());
  cmd.add_option("--out", o->out, "output (default DIR/eval.json)")->type_name("FILE.json");
  cmd.add_option("--test-limit", o->test_limit,
                 "N test images, a fixed uniform random subset (the same in every run; 0: all) (default: the run's "
                 "data.test_limit)")
      ->type_name("N")
      ->check(non_negative_integer());
  cmd.add_option("--classifier", o->classifier,
                 "feature-classifier cache (default <data>.classifier.h5, or DIR/feature-classifier.h5 when the data "
                 "folder is read-only)")
      ->type_name("FILE");
  cmd.add_option("--classifier-epochs", o->classifier_epochs, "epochs of classifier training")
      ->capture_default_str()
      ->type_name("N")
      ->check(non_negative_integer());
  cmd.footer(kFidExportHelp);
  return [o] { return app::run_eval(*o); };
}

}  // namespace latentebm::cli
