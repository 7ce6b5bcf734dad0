#pragma once
// `latentebm score`: anomaly scores (eval/anomaly.h) of every image of a
// prepared dataset split, data-parallel over ranks. Each rank reads and scores
// whole global batches of the split (distributed/gather.h), reseeded per
// batch, so the scores do not depend on the rank count.
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eval/anomaly.h"
#include "model/generator.h"
#include "model/prior.h"
#include "model/sampler.h"

namespace latentebm {

class Communicator;

struct ScoreOptions {
  std::string data_path;
  std::string split = "test";  // train | test
  std::optional<int64_t> limit;  // N images of the split (data::test_subset, in file order); none: all
  int64_t batch_size = 100;
  uint64_t seed = 1;
  int64_t stages = 0;          // prior stages
  double sigma = 0.3;
  LangevinOptions langevin;
};

// Per image: the score and its two terms (eval/anomaly.h), and the label.
struct DatasetScores : ImageScores {
  std::vector<int64_t> labels;  // the file's labels (-1 where it has none)
  std::vector<int64_t> rows;    // the images' rows in the split, ascending
};

// Collective: scores and labels of images [0, n) of the split, in index
// order, on every rank. Throws (on every rank alike) when the images do not
// match the generator's shape or the split is empty.
DatasetScores score_dataset(Communicator& comm, Generator& g, MultiStagePrior& prior, const ScoreOptions& opt,
                            torch::Device device);

}  // namespace latentebm
