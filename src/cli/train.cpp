// latentebm train: Algorithm 1 on MPI ranks (resumes an existing run directory).
#include <stdexcept>
#include <string>

#include "app/app.h"
#include "cli/commands.h"

namespace latentebm::cli {

namespace {
const char* const kHelp = R"(usage: [mpirun -np N] latentebm train [--config FILE] [--run-dir DIR] [options] [section.key=value ...]

Runs Algorithm 1 data-parallel over the MPI ranks. If DIR already holds a
checkpoint, training resumes from its latest one with DIR/config.yaml (plus
any overrides given here).

options:
  --config FILE          YAML preset (default configs/fashion-mnist-quick.yaml)
  --run-dir DIR          run directory (default runs/<config name>)
  --checkpoint DIR       resume from this checkpoint instead of DIR's latest
  --max-iterations N     stop (with a checkpoint) after N iterations of this invocation
  --no-pictures          skip samples.png / reconstructions.png at the end
  section.key=value      override any config key, e.g. train.batch_size=64 log.log_every=5

The run directory receives config.yaml (resolved), logs/rank-*.log,
metrics.jsonl, checkpoints/, samples.png and reconstructions.png.
Config keys (defaults in src/config.h):
)";
}  // namespace

std::string train_help() { return std::string(kHelp) + app::config_keys_help(); }

int train_command(const Args& a) {
  reject_unknown(a, {"config", "run-dir", "checkpoint", "max-iterations", "no-pictures", "help"}, "train");
  app::TrainOptions o;
  o.config_given = a.has("config");
  o.config_path = a.get("config", o.config_path);
  o.run_dir = a.get_opt("run-dir");
  o.checkpoint = a.get_opt("checkpoint");
  o.max_iterations = a.get_int("max-iterations", 0);
  o.pictures = !a.has("no-pictures");
  o.overrides = a.positional;
  return app::run_training(o);
}

}  // namespace latentebm::cli
