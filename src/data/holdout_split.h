#pragma once
// The anomaly-detection split of `latentebm prepare --holdout-label`.
#include <cstdint>

#include "data/dataset.h"

namespace latentebm::data {

// The anomaly-detection protocol of paper Table 2 (docs/DESIGN.md section 4):
// pool train and test, drop every image labelled `holdout`, shuffle the
// normal ones with a fixed seed, train on the first `train_fraction` of them;
// the test split is the other normal images plus every held-out image,
// shuffled together (same seed), so a test_limit keeps both kinds. Labels are
// kept; anomalies are the test images labelled `holdout`.
TrainTest holdout_split(const ImageSet& train, const ImageSet& test, int64_t holdout, uint64_t seed = 1,
                        double train_fraction = 0.8);

}  // namespace latentebm::data
