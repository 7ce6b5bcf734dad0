// latentebm eval: reconstruction MSE, FD-classifier, FID, parameter counts (any rank count).
#include <stdexcept>
#include <string>

#include "app/app.h"
#include "cli/commands.h"
#include "eval/fid.h"

namespace latentebm::cli {

namespace {
const char* const kHelp = R"(usage: [mpirun -np N] latentebm eval --run-dir DIR [options]

Evaluates a trained model (docs/DESIGN.md section 4) and writes DIR/eval.json:
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
the rank count (up to summation order).

options:
  --checkpoint DIR      a checkpoint directory (default: DIR's latest)
  --samples N           prior samples for FD-classifier / FID (default 1000; the
                        paper's FID uses 50000)
  --fid-model FILE.pt   TorchScript feature extractor for FID (see below)
  --fid-reference-limit N  FID reference statistics from the first N training images of
                        the seeded training order (a uniform random subset)
                        (default: the whole training split)
  --out FILE.json       output (default DIR/eval.json)
  --stages K            prior stages to use (default: all K of a finished run, the
                        stages already learned for an unfinished one; lebm: its
                        energy as learnt so far)
  --sample-method M     the prior sampler of the FD / FID samples: langevin | sir
                        (default: the run's sample.method)
  --sample-steps N      its prior Langevin steps (default: the run's sample.steps)
  --sample-delta D      their step size (default: the run's sample.delta; LEBM
                        trains with its train.prior_langevin_delta)
  --sir-proposals N     its SIR proposals per sample (default: the run's
                        sample.sir_proposals); eval.json names the sampler used
  --batch-size N        images per batch (default 100)
  --seed S              random seed (default 1)
  --test-limit N        N test images, a fixed uniform random subset (the same in
                        every run; 0: all) (default: the run's data.test_limit)
  --classifier FILE     feature-classifier cache (default <data>.classifier.h5, or
                        DIR/feature-classifier.h5 when the data folder is read-only)
  --classifier-epochs N epochs of classifier training (default 3)

)";
}  // namespace

std::string eval_help() { return std::string(kHelp) + kFidExportHelp; }

int eval_command(const Args& a) {
  reject_unknown(a, {"run-dir", "checkpoint", "samples", "fid-model", "fid-reference-limit", "out", "stages",
                     "batch-size", "seed", "test-limit", "classifier", "classifier-epochs", "sample-method",
                     "sample-steps", "sample-delta", "sir-proposals", "help"},
                 "eval");
  app::EvalCommandOptions o;
  o.model = {a.get_opt("run-dir"), a.get_opt("checkpoint")};
  o.samples = a.get_int("samples", 1000);
  o.batch_size = a.get_int("batch-size", 100);
  o.seed = static_cast<uint64_t>(a.get_int("seed", 1));
  o.test_limit = a.get_int("test-limit", -1);
  o.fid_model = a.get("fid-model");
  o.fid_reference_limit = a.get_int("fid-reference-limit", 0);
  o.classifier_epochs = a.get_int_opt("classifier-epochs");
  o.classifier = a.get_opt("classifier");
  o.stages = a.get_int_opt("stages");
  o.sampler = {a.get_opt("sample-method"), a.get_int_opt("sample-steps"), a.get_int_opt("sir-proposals"),
               a.get_double_opt("sample-delta")};
  o.out = a.get_opt("out");
  return app::run_eval(o);
}

}  // namespace latentebm::cli
