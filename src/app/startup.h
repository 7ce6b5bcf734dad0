#pragma once
// The start-up protocol of `latentebm train`, run once, on every rank,
// before any work:
//   1. rank 0 removes what an interrupted checkpoint save left behind;
//   2. rank 0 alone resolves the checkpoint to resume from (--checkpoint or
//      `latest`) and reads its manifest; every rank receives its answer;
//   3. the config: the resumed checkpoint's (plus overrides) or the preset's;
//      the method's defaults resolved; train.batch_per_rank resolved for this
//      rank count; every value validated;
//   4. the dataset inspected and checked against the config and rank count;
//   5. on resume, the checkpoint checked for compatibility (structure, data
//      fingerprint) and, on rank 0, verified against its manifest;
//   6. on GPUs, no node runs more ranks than it has GPUs (runtime.share_gpus);
//   after each step the outcome is agreed over the ranks: if any rank failed,
//   the first failing rank's message is broadcast, rank 0 prints it and every
//   rank returns the same error (no rank is left waiting).
#include <optional>
#include <string>

#include "app/options.h"
#include "config.h"
#include "data/dataset.h"

namespace latentebm {
class Communicator;
}

namespace latentebm::app {

struct TrainingSetup {
  Config cfg;
  std::string run_dir;
  std::optional<std::string> resume;  // checkpoint to resume from
  data::DatasetInfo dataset;
};

struct StartupResult {
  std::optional<TrainingSetup> setup;  // set when every rank passed
  std::string error;                   // otherwise: the first failing rank's message (same on every rank)
  int failed_rank = -1;
};

// Collective.
StartupResult run_startup_checks(Communicator& comm, const TrainOptions& opt);

}  // namespace latentebm::app
