// latentebm score: anomaly scores -log p(x, z) of prepared images (any rank count).
#include <memory>

#include "app/app.h"
#include "cli/command_line.h"
#include "cli/commands.h"

namespace latentebm::cli {

namespace {
const char* const kDescription = R"(Anomaly scores of prepared images (latentebm prepare) under a trained model
([mpirun -np N] latentebm score ...): z by posterior Langevin (training
settings, noise-initialised) under the prior, then
score = ||x - g(z)||^2 / (2 sigma^2) - sum_i f_i(z) + ||z||^2 / 2,
i.e. -log p(x, z) without the constant D/2 log(2 pi sigma^2) + log Z (the same
for every image). Higher = more anomalous. Writes CSV lines
index,label,score,reconstruction,prior (index: the image's row in the split,
ascending): the score and its two terms,
||x - g(z)||^2 / (2 sigma^2) and the prior's energy -log p~(z).
)";
}  // namespace

Runner declare_score(CLI::App& cmd) {
  auto o = std::make_shared<app::ScoreCommandOptions>();
  cmd.description(kDescription);
  add_model_source(cmd, o->model);
  cmd.add_option("--data", o->data, "a prepared dataset")->required()->type_name("FILE.h5");
  cmd.add_option("--out", o->out, "the scores")->required()->type_name("FILE.csv");
  cmd.add_option("--split", o->split, "which split to score")
      ->capture_default_str()
      ->type_name("train|test")
      ->check(one_of({"train", "test"}));
  cmd.add_option("--limit", o->limit,
                 "N images of the split (default all): a fixed uniform random subset, in file order (for test the "
                 "images eval --test-limit N takes)")
      ->type_name("N")
      ->check(non_negative_integer());
  cmd.add_option("--anomaly-label", o->anomaly_label,
                 "also print AUPRC and AUROC with label D as the anomaly class (a line \"auprc A auroc B ...\"), and "
                 "of each term ranked alone")
      ->type_name("D");
  add_sampling_group(cmd, o->sampling, {/*batch_size=*/true, /*prior_sampler=*/false});
  return [o] { return app::run_score(*o); };
}

}  // namespace latentebm::cli
