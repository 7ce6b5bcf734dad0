#pragma once
// The start-up protocol of `latentebm train`, run once, on every rank,
// before any work:
//   1. rank 0 removes what an interrupted checkpoint save left behind;
//   2. the config: the resumed checkpoint's (plus overrides) or the preset's;
//      the method's defaults resolved; every value validated;
//   3. the dataset inspected and checked against the config and rank count;
//   4. on resume, the checkpoint checked for compatibility (structure, data
//      fingerprint) and, on rank 0, verified against its manifest;
//   5. the outcome agreed over the ranks: if any rank failed, the first
//      failing rank's message is broadcast, rank 0 prints it and every rank
//      returns the same error (no rank is left waiting).
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
