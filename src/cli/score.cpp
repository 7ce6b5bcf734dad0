// latentebm score: anomaly scores -log p(x, z) of prepared images (any rank count).
#include <stdexcept>
#include <string>

#include "app/app.h"
#include "cli/commands.h"

namespace latentebm::cli {

namespace {
const char* const kHelp = R"(usage: [mpirun -np N] latentebm score --run-dir DIR --data FILE.h5 --out scores.csv [options]

Anomaly scores of prepared images (latentebm prepare) under a trained model:
z by posterior Langevin (training settings, noise-initialised) under the
prior, then score = ||x - g(z)||^2 / (2 sigma^2) - sum_i f_i(z) + ||z||^2 / 2,
i.e. -log p(x, z) without the constant D/2 log(2 pi sigma^2) + log Z (the same
for every image). Higher = more anomalous. Writes CSV lines
index,label,score,reconstruction,prior (index: the image's row in the split,
ascending): the score and its two terms,
||x - g(z)||^2 / (2 sigma^2) and the prior's energy -log p~(z).

options:
  --checkpoint DIR   a checkpoint directory (default: DIR's latest)
  --split S          train | test (default test)
  --limit N          N images of the split (default all): a fixed uniform random
                     subset, in file order (for test the images eval --test-limit N
                     takes)
  --anomaly-label D  also print AUPRC and AUROC with label D as the anomaly class
                     (a line "auprc A auroc B ..."), and of each term ranked alone
  --stages K         prior stages (default: as in `eval`)
  --batch-size N     images per batch (default 100)
  --seed S           random seed (default 1)
)";
}  // namespace

std::string score_help() { return std::string(kHelp); }

int score_command(const Args& a) {
  reject_unknown(a, {"run-dir", "checkpoint", "data", "split", "limit", "out", "anomaly-label", "stages", "batch-size",
                     "seed", "help"},
                 "score");
  if (!a.has("data")) throw std::runtime_error("score needs --data FILE.h5 (a prepared dataset)");
  if (!a.has("out")) throw std::runtime_error("score needs --out FILE.csv");
  app::ScoreCommandOptions o;
  o.model = {a.get_opt("run-dir"), a.get_opt("checkpoint")};
  o.data = a.get("data");
  o.out = a.get("out");
  o.split = a.get("split", "test");
  o.limit = a.get_int_opt("limit");
  o.anomaly_label = a.get_int_opt("anomaly-label");
  o.stages = a.get_int_opt("stages");
  o.batch_size = a.get_int("batch-size", 100);
  o.seed = static_cast<uint64_t>(a.get_int("seed", 1));
  return app::run_score(o);
}

}  // namespace latentebm::cli
