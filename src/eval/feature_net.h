#pragma once
// A small CNN classifier that latentebm trains itself on the labelled training
// split of a prepared dataset, used as an offline stand-in for Inception: the
// Frechet distance of generated samples vs training images in the space of
// its penultimate layer ("FD-classifier"). Numbers are comparable only
// between runs that use the same cached classifier (same training data and
// options); they are NOT FID values.
//
// Architecture (input C x H x W in [-1, 1], any H, W >= 4):
//   Conv(C, 32, 3, pad 1) - ReLU - MaxPool 2
//   Conv(32, 64, 3, pad 1) - ReLU - MaxPool 2 - AdaptiveAvgPool 4x4
//   Linear(1024, feature_dim) - ReLU          <- features
//   Linear(feature_dim, num_classes)          <- logits
// Training: Adam (lr 1e-3), cross-entropy, `epochs` passes over the training
// split in latentebm's deterministic epoch order (data::epoch_order) with
// LibTorch seeded from `seed`: the same file, options, LibTorch build and
// thread count give the same classifier.
//
// Cache file (HDF5), default <data>.classifier.h5 next to the dataset:
//   /            attrs: format = "latentebm-feature-classifier", version = 1,
//                key (see classifier_cache_key), num_classes, channels, height,
//                width, feature_dim, test_accuracy, test_images, train_images
//   /params/<name>             float32 parameters
//   /train_stats/mean [d], /train_stats/covariance [d, d]   float32 features
//                              statistics of the training images it saw
// A cache whose key differs (other training data, other options) is
// retrained and replaced. The data enter the key by content (the prepared
// file's content CRC, see data::dataset_fingerprint), not by file name or
// mtime, so a cache copied to another machine beside a re-prepared copy of
// the same data is reused there: FD stays in one feature space across
// machines (training the classifier again elsewhere can give a slightly
// different one: other CPU kernels round differently).
#include <torch/torch.h>

#include <optional>
#include <string>

namespace latentebm {

class Communicator;

struct FeatureNetOptions {
  int64_t feature_dim = 128;
  int64_t epochs = 3;
  int64_t batch_size = 64;
  double lr = 1e-3;
  uint64_t seed = 1234;
  int64_t train_limit = 0;  // >0: train (and take reference statistics) on the first N examples of data::train_order
};

struct FeatureNetImpl : torch::nn::Module {
  FeatureNetImpl(int64_t channels, int64_t num_classes, int64_t feature_dim);
  torch::Tensor features(const torch::Tensor& x);  // [B, feature_dim]
  torch::Tensor forward(const torch::Tensor& x);   // logits [B, num_classes]
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(FeatureNet);

struct FeatureClassifier {
  FeatureNet net{nullptr};
  int64_t channels = 0, height = 0, width = 0, num_classes = 0, feature_dim = 0;
  double test_accuracy = -1;  // -1 when the dataset has no labelled test images
  int64_t test_images = 0, train_images = 0;
  torch::Tensor train_mean, train_covariance;  // float64 [d], [d, d]
  std::string crc32;         // CRC-32 of parameters and statistics as cached (float32): which classifier,
                             // so FD values can be checked to share one feature space (eval.json records it)
  std::string path;          // cache file it was loaded from / saved to
  bool trained_now = false;  // true when this call trained it
};

// The key a cache must carry to be reused: the training data's fingerprint
// (content CRC, counts, shape, limit, example order; for a file without a
// content CRC its name, size and mtime), every option and the architecture
// version.
std::string classifier_cache_key(const std::string& data_path, const FeatureNetOptions& opt);
std::string default_classifier_path(const std::string& data_path);

// Train on the dataset's training split (not collective; single process).
// Throws if the training split has no labels.
FeatureClassifier train_feature_classifier(const std::string& data_path, const FeatureNetOptions& opt);
// Atomic write (temp file + rename).
void save_feature_classifier(const std::string& path, const FeatureClassifier& c, const std::string& key);
// nullopt when the file is missing or its key differs; throws when it is corrupt.
std::optional<FeatureClassifier> load_feature_classifier(const std::string& path, const std::string& key);

// Collective: rank 0 loads the cache at `cache_path` or trains and writes it;
// then every rank loads it. An error on rank 0 is re-thrown on every rank.
FeatureClassifier ensure_feature_classifier(Communicator& comm, const std::string& data_path,
                                            const std::string& cache_path, const FeatureNetOptions& opt);

// Penultimate-layer features of images in [-1, 1], [B, C, H, W] -> [B, d]
// (no gradients), computed in batches of `batch_size` on the images' device.
torch::Tensor classifier_features(FeatureClassifier& c, const torch::Tensor& images, int64_t batch_size = 256);

}  // namespace latentebm
