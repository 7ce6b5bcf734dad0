#include "eval/feature_net.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "data/dataset.h"
#include "distributed/communicator.h"
#include "eval/metrics.h"
#include "io/atomic_file.h"
#include "io/h5.h"
#include "model/inference.h"

namespace fs = std::filesystem;

namespace latentebm {

namespace {

constexpr const char* kFormat = "latentebm-feature-classifier";
constexpr const char* kArch = "conv32-conv64-pool4-fc";  // bump when the architecture or training changes

double accuracy(FeatureNet& net, const data::ImageSet& s, int64_t batch) {
  torch::NoGradGuard no_grad;
  int64_t right = 0;
  for (int64_t i = 0; i < s.n; i += batch) {
    const int64_t b = std::min(batch, s.n - i);
    auto pred = net->forward(model_images(s, i, b)).argmax(1);
    auto truth = torch::from_blob(const_cast<int64_t*>(s.labels.data() + i), {b}, torch::kInt64);
    right += pred.eq(truth).sum().item<int64_t>();
  }
  return s.n > 0 ? static_cast<double>(right) / static_cast<double>(s.n) : -1.0;
}

// CRC-32 of the classifier as its cache stores it: the float32 parameters in
// named_parameters order, then the training statistics as float32.
std::string classifier_crc32(FeatureClassifier& c) {
  data::Crc32 crc;
  auto add = [&crc](const torch::Tensor& t) {
    auto f = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    crc.update(f.data_ptr<float>(), static_cast<size_t>(f.numel()) * sizeof(float));
  };
  for (const auto& p : c.net->named_parameters(true)) add(p.value());
  add(c.train_mean);
  add(c.train_covariance);
  return crc.hex();
}

}  // namespace

FeatureNetImpl::FeatureNetImpl(int64_t channels, int64_t num_classes, int64_t feature_dim) {
  conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 32, 3).padding(1)));
  conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3).padding(1)));
  fc1 = register_module("fc1", torch::nn::Linear(64 * 4 * 4, feature_dim));
  fc2 = register_module("fc2", torch::nn::Linear(feature_dim, num_classes));
}

torch::Tensor FeatureNetImpl::features(const torch::Tensor& x) {
  auto h = torch::max_pool2d(torch::relu(conv1->forward(x)), 2);
  h = torch::max_pool2d(torch::relu(conv2->forward(h)), 2);
  h = torch::adaptive_avg_pool2d(h, {4, 4}).flatten(1);
  return torch::relu(fc1->forward(h));
}

torch::Tensor FeatureNetImpl::forward(const torch::Tensor& x) { return fc2->forward(features(x)); }

std::string classifier_cache_key(const std::string& data_path, const FeatureNetOptions& opt) {
  const auto info = data::inspect_dataset(data_path);  // throws, naming the file, when it is missing or not a dataset
  std::ostringstream k;
  k << kArch << " v1 dim=" << opt.feature_dim << " epochs=" << opt.epochs << " batch=" << opt.batch_size
    << " lr=" << opt.lr << " seed=" << opt.seed << " limit=" << opt.train_limit << " order=" << data::kTrainOrderName;
  if (!info.content_crc32.empty()) {
    // The data by content: a copied, renamed or re-prepared file with the same
    // images and labels keeps its classifier (and so its FD feature space).
    k << " data=" << data::dataset_fingerprint(info, opt.train_limit);
    return k.str();
  }
  // A file that predates the content CRC: known only by name, size and mtime.
  struct stat st {};
  if (::stat(data_path.c_str(), &st) != 0) throw std::runtime_error("dataset '" + data_path + "' not found");
  k << " data=" << fs::path(data_path).filename().string() << " size=" << st.st_size << " mtime=" << st.st_mtim.tv_sec
    << "." << st.st_mtim.tv_nsec;
  return k.str();
}

std::string default_classifier_path(const std::string& data_path) { return data_path + ".classifier.h5"; }

FeatureClassifier train_feature_classifier(const std::string& data_path, const FeatureNetOptions& opt) {
  if (opt.epochs < 1 || opt.batch_size < 1 || opt.feature_dim < 1)
    throw std::invalid_argument("feature classifier: epochs, batch size and feature dim must be >= 1");
  data::ShardData train(data_path, "train", 0, 1, opt.train_limit);
  const auto& tr = train.images();
  if (tr.n < 2) throw std::runtime_error("feature classifier: '" + data_path + "' has fewer than 2 training images");
  const int64_t max_label = *std::max_element(tr.labels.begin(), tr.labels.end());
  const int64_t min_label = *std::min_element(tr.labels.begin(), tr.labels.end());
  if (min_label < 0)
    throw std::runtime_error("feature classifier: '" + data_path +
                             "' has unlabelled training images (label -1); FD-classifier needs a labelled training split");
  FeatureClassifier c;
  c.channels = tr.c;
  c.height = tr.h;
  c.width = tr.w;
  c.num_classes = std::max<int64_t>(max_label + 1, 2);
  c.feature_dim = opt.feature_dim;
  c.train_images = tr.n;

  torch::manual_seed(opt.seed);
  c.net = FeatureNet(c.channels, c.num_classes, c.feature_dim);
  torch::optim::Adam adam(c.net->parameters(), torch::optim::AdamOptions(opt.lr));
  const auto labels = torch::from_blob(const_cast<int64_t*>(tr.labels.data()), {tr.n}, torch::kInt64);
  const data::Shard all{0, tr.n};
  const auto all_u8 = torch::from_blob(const_cast<uint8_t*>(tr.pixels.data()), {tr.n, tr.c, tr.h, tr.w}, torch::kUInt8);
  spdlog::info("training the feature classifier on {} images of '{}' ({} classes, {} epochs)", tr.n, data_path,
               c.num_classes, opt.epochs);
  for (int64_t epoch = 0; epoch < opt.epochs; ++epoch) {
    const auto order = data::epoch_order(tr.n, all, opt.seed, epoch);
    double loss_sum = 0;
    int64_t batches = 0;
    for (size_t i = 0; i < order.size(); i += static_cast<size_t>(opt.batch_size)) {
      const int64_t b = std::min<int64_t>(opt.batch_size, static_cast<int64_t>(order.size() - i));
      auto idx = torch::from_blob(const_cast<int64_t*>(order.data() + i), {b}, torch::kInt64);
      auto x = to_unit_range(all_u8.index_select(0, idx));
      auto loss = torch::nn::functional::cross_entropy(c.net->forward(x), labels.index_select(0, idx));
      adam.zero_grad();
      loss.backward();
      adam.step();
      loss_sum += loss.item<double>();
      ++batches;
    }
    spdlog::info("feature classifier epoch {}/{}: mean cross-entropy {:.4f}", epoch + 1, opt.epochs,
                 loss_sum / static_cast<double>(std::max<int64_t>(batches, 1)));
  }
  c.net->eval();

  // Reference statistics of the training images in feature space.
  GaussianStats stats(c.feature_dim);
  {
    torch::NoGradGuard no_grad;
    for (int64_t i = 0; i < tr.n; i += 256) stats.add(c.net->features(model_images(tr, i, std::min<int64_t>(256, tr.n - i))));
  }
  c.train_mean = stats.mean();
  c.train_covariance = stats.covariance();

  const auto info = data::inspect_dataset(data_path);
  if (info.n_test > 0) {
    data::ShardData test(data_path, "test", 0, 1);
    const auto& te = test.images();
    if (*std::min_element(te.labels.begin(), te.labels.end()) >= 0) {
      c.test_accuracy = accuracy(c.net, te, 256);
      c.test_images = te.n;
    }
  }
  c.trained_now = true;
  c.crc32 = classifier_crc32(c);
  spdlog::info("feature classifier: test accuracy {:.4f} on {} images", c.test_accuracy, c.test_images);
  return c;
}

void save_feature_classifier(const std::string& path, const FeatureClassifier& c, const std::string& key) {
  io::AtomicFile file(path);
  {
    h5::File f(file.temp_path(), h5::Mode::Truncate);
    f.set_attr("/", "format", std::string(kFormat));
    f.set_attr("/", "version", int64_t{1});
    f.set_attr("/", "key", key);
    f.set_attr("/", "num_classes", c.num_classes);
    f.set_attr("/", "channels", c.channels);
    f.set_attr("/", "height", c.height);
    f.set_attr("/", "width", c.width);
    f.set_attr("/", "feature_dim", c.feature_dim);
    f.set_attr("/", "test_accuracy", c.test_accuracy);
    f.set_attr("/", "test_images", c.test_images);
    f.set_attr("/", "train_images", c.train_images);
    for (const auto& p : c.net->named_parameters(true)) {
      auto t = p.value().detach().to(torch::kCPU, torch::kFloat32).contiguous();
      f.write_f32("/params/" + p.key(), t.data_ptr<float>(), t.sizes().vec());
    }
    auto mean = c.train_mean.to(torch::kFloat32).contiguous(), cov = c.train_covariance.to(torch::kFloat32).contiguous();
    f.write_f32("/train_stats/mean", mean.data_ptr<float>(), mean.sizes().vec());
    f.write_f32("/train_stats/covariance", cov.data_ptr<float>(), cov.sizes().vec());
    f.flush();
  }
  file.commit();
}

std::optional<FeatureClassifier> load_feature_classifier(const std::string& path, const std::string& key) {
  if (!fs::exists(path)) return std::nullopt;
  h5::File f(path, h5::Mode::Read);
  if (!f.has_attr("/", "format") || f.attr_str("/", "format") != kFormat)
    throw std::runtime_error("'" + path + "' is not a latentebm feature-classifier file; delete it or pass another path");
  if (f.attr_str("/", "key") != key) return std::nullopt;
  FeatureClassifier c;
  c.path = path;
  c.num_classes = f.attr_i64("/", "num_classes");
  c.channels = f.attr_i64("/", "channels");
  c.height = f.attr_i64("/", "height");
  c.width = f.attr_i64("/", "width");
  c.feature_dim = f.attr_i64("/", "feature_dim");
  c.test_accuracy = f.attr_f64("/", "test_accuracy");
  c.test_images = f.attr_i64("/", "test_images");
  c.train_images = f.attr_i64("/", "train_images");
  c.net = FeatureNet(c.channels, c.num_classes, c.feature_dim);
  torch::NoGradGuard no_grad;
  for (auto& p : c.net->named_parameters(true)) {
    const std::string name = "/params/" + p.key();
    if (!f.has(name)) throw std::runtime_error("'" + path + "' lacks " + name + "; delete it to retrain");
    auto v = f.read_f32(name);
    if (static_cast<int64_t>(v.size()) != p.value().numel())
      throw std::runtime_error("'" + path + "': " + name + " has the wrong size; delete it to retrain");
    p.value().copy_(torch::from_blob(v.data(), p.value().sizes(), torch::kFloat32));
  }
  c.net->eval();
  auto mean = f.read_f32("/train_stats/mean"), cov = f.read_f32("/train_stats/covariance");
  c.train_mean = torch::from_blob(mean.data(), {c.feature_dim}, torch::kFloat32).to(torch::kFloat64);
  c.train_covariance = torch::from_blob(cov.data(), {c.feature_dim, c.feature_dim}, torch::kFloat32).to(torch::kFloat64);
  c.crc32 = classifier_crc32(c);
  return c;
}

FeatureClassifier ensure_feature_classifier(Communicator& comm, const std::string& data_path,
                                            const std::string& cache_path, const FeatureNetOptions& opt) {
  std::string error;
  std::optional<FeatureClassifier> mine;
  bool trained = false;
  if (comm.is_root()) {
    try {
      const auto key = classifier_cache_key(data_path, opt);
      mine = load_feature_classifier(cache_path, key);
      if (!mine) {
        auto c = train_feature_classifier(data_path, opt);
        if (cache_path.empty()) throw std::runtime_error("no cache path for the feature classifier");
        save_feature_classifier(cache_path, c, key);
        c.path = cache_path;
        mine = std::move(c);
        trained = true;
        spdlog::info("feature classifier cached in {}", cache_path);
      } else {
        spdlog::info("feature classifier loaded from {} (test accuracy {:.4f})", cache_path, mine->test_accuracy);
      }
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "unknown error";
    }
  }
  error = comm.broadcast_string(error, 0, "feature classifier ready");
  if (!error.empty()) throw std::runtime_error("feature classifier (rank 0): " + error);
  if (!comm.is_root()) {
    mine = load_feature_classifier(cache_path, classifier_cache_key(data_path, opt));
    if (!mine)
      throw std::runtime_error("rank " + std::to_string(comm.rank()) + " cannot find the feature classifier rank 0 wrote at '" +
                               cache_path + "' (ranks must share that file system)");
  }
  mine->trained_now = trained;
  return std::move(*mine);
}

torch::Tensor classifier_features(FeatureClassifier& c, const torch::Tensor& images, int64_t batch_size) {
  if (images.dim() != 4 || images.size(1) != c.channels)
    throw std::invalid_argument("classifier_features: expected images [B, " + std::to_string(c.channels) +
                                ", H, W] like the classifier's training data");
  torch::NoGradGuard no_grad;
  c.net->to(images.device());
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < images.size(0); i += batch_size)
    out.push_back(c.net->features(images.narrow(0, i, std::min(batch_size, images.size(0) - i))));
  if (out.empty()) return torch::zeros({0, c.feature_dim}, images.options());
  return torch::cat(out);
}

}  // namespace latentebm
