#include "data/dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "data/dataset_writer.h"
#include "io/h5.h"

namespace latentebm::data {
namespace {

constexpr const char* kFormat = "latentebm-dataset";
constexpr int64_t kVersion = 1;

std::string dims_string(int64_t c, int64_t h, int64_t w) {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

void validate_set(const ImageSet& set, const std::string& split, const std::string& path) {
  const std::string where = "cannot write dataset '" + path + "': " + split + " split ";
  if (set.n < 0) throw std::invalid_argument(where + "has a negative example count");
  if (set.c <= 0 || set.h <= 0 || set.w <= 0) {
    throw std::invalid_argument(where + "has image dimensions " + dims_string(set.c, set.h, set.w) +
                                "; every dimension must be positive");
  }
  if (static_cast<int64_t>(set.pixels.size()) != set.n * set.image_bytes()) {
    throw std::invalid_argument(where + "holds " + std::to_string(set.pixels.size()) + " pixel bytes, expected " +
                                std::to_string(set.n) + " x " + dims_string(set.c, set.h, set.w));
  }
  if (static_cast<int64_t>(set.labels.size()) != set.n) {
    throw std::invalid_argument(where + "has " + std::to_string(set.labels.size()) + " labels for " +
                                std::to_string(set.n) + " images");
  }
}

struct SplitShape {
  int64_t n = 0, c = 0, h = 0, w = 0;
};

SplitShape inspect_split(const h5::File& file, const std::string& split) {
  const std::string images = "/" + split + "/images", labels = "/" + split + "/labels";
  const std::string& path = file.path();
  const std::string redo = "; re-run `latentebm prepare` to rebuild it";
  for (const std::string& name : {images, labels}) {
    if (!file.has(name)) throw std::runtime_error("dataset file '" + path + "' has no '" + name + "'" + redo);
  }
  const std::vector<int64_t> ishape = file.shape(images);
  if (ishape.size() != 4) {
    throw std::runtime_error("dataset file '" + path + "': '" + images + "' has " + std::to_string(ishape.size()) +
                             " dimensions, expected 4 (N, C, H, W)" + redo);
  }
  SplitShape s{ishape[0], ishape[1], ishape[2], ishape[3]};
  if (s.c <= 0 || s.h <= 0 || s.w <= 0) {
    throw std::runtime_error("dataset file '" + path + "': '" + images + "' has empty images (" +
                             dims_string(s.c, s.h, s.w) + ")" + redo);
  }
  const std::vector<int64_t> lshape = file.shape(labels);
  if (lshape.size() != 1 || lshape[0] != s.n) {
    throw std::runtime_error("dataset file '" + path + "': '" + labels + "' does not hold one label per image (" +
                             std::to_string(s.n) + " images)" + redo);
  }
  // Element types: reading an empty row range checks the type without
  // touching any data (a wrong type throws a message naming the dataset).
  file.read_u8_rows(images, 0, 0);
  file.read_i64_rows(labels, 0, 0);
  return s;
}

}  // namespace

void write_dataset(const std::string& path, const std::string& name, const std::string& source,
                   const ImageSet& train, const ImageSet& test, int64_t anomaly_label) {
  validate_set(train, "train", path);
  // An empty test split may leave its dimensions unset; it takes train's.
  ImageSet empty_test;
  const ImageSet* test_set = &test;
  if (test.n == 0 && test.pixels.empty() && test.labels.empty()) {
    empty_test.c = train.c;
    empty_test.h = train.h;
    empty_test.w = train.w;
    test_set = &empty_test;
  }
  validate_set(*test_set, "test", path);
  if (train.c != test_set->c || train.h != test_set->h || train.w != test_set->w) {
    throw std::invalid_argument("cannot write dataset '" + path + "': train images are " +
                                dims_string(train.c, train.h, train.w) + " but test images are " +
                                dims_string(test_set->c, test_set->h, test_set->w));
  }

  // Readers must never see a half-written file: the writer builds it beside
  // the target and renames it over the target once complete.
  DatasetWriter writer(path, name, source, train.n, test_set->n, train.c, train.h, train.w);
  writer.write("train", 0, train.pixels.data(), train.labels.data(), train.n);
  writer.write("test", 0, test_set->pixels.data(), test_set->labels.data(), test_set->n);
  if (anomaly_label >= 0) writer.set_attr("anomaly_label", anomaly_label);
  writer.commit();
}

DatasetInfo inspect_dataset(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw std::runtime_error("dataset file '" + path + "' not found; run `latentebm prepare ...` first");
  }
  h5::File file(path, h5::Mode::Read);

  const std::string redo = "; re-run `latentebm prepare` to rebuild it";
  if (!file.has_attr("/", "format")) {
    throw std::runtime_error("'" + path + "' is an HDF5 file but not a latentebm dataset (no 'format' attribute)" +
                             redo);
  }
  const std::string format = file.attr_str("/", "format");
  if (format != kFormat) {
    throw std::runtime_error("'" + path + "' is not a latentebm dataset (format is '" + format + "', expected '" +
                             kFormat + "')" + redo);
  }
  const int64_t version = file.has_attr("/", "version") ? file.attr_i64("/", "version") : -1;
  if (version != kVersion) {
    throw std::runtime_error("dataset file '" + path + "' has format version " + std::to_string(version) +
                             ", this build reads version " + std::to_string(kVersion) + redo);
  }

  DatasetInfo info;
  info.path = path;
  info.name = file.has_attr("/", "name") ? file.attr_str("/", "name") : "";
  info.source = file.has_attr("/", "source") ? file.attr_str("/", "source") : "";
  info.content_crc32 = file.has_attr("/", "content_crc32") ? file.attr_str("/", "content_crc32") : "";
  info.anomaly_label = file.has_attr("/", "anomaly_label") ? file.attr_i64("/", "anomaly_label") : -1;

  const SplitShape train = inspect_split(file, "train");
  const SplitShape test = inspect_split(file, "test");
  if (train.c != test.c || train.h != test.h || train.w != test.w) {
    throw std::runtime_error("dataset file '" + path + "': train images are " + dims_string(train.c, train.h, train.w) +
                             " but test images are " + dims_string(test.c, test.h, test.w) + redo);
  }
  if (train.n == 0) throw std::runtime_error("dataset file '" + path + "' has no training examples" + redo);
  info.n_train = train.n;
  info.n_test = test.n;
  info.c = train.c;
  info.h = train.h;
  info.w = train.w;
  return info;
}

Shard shard_range(int64_t n, int rank, int world) {
  if (world < 1) throw std::invalid_argument("shard_range: world size must be at least 1, got " + std::to_string(world));
  if (rank < 0 || rank >= world) {
    throw std::invalid_argument("shard_range: rank " + std::to_string(rank) + " is outside [0, " +
                                std::to_string(world) + ")");
  }
  if (n < 0) throw std::invalid_argument("shard_range: negative example count " + std::to_string(n));
  if (n < world) {
    throw std::invalid_argument("dataset has fewer examples than ranks (" + std::to_string(n) + " examples, " +
                                std::to_string(world) + " ranks); use fewer ranks or a larger limit");
  }
  const int64_t base = n / world, extra = n % world;
  Shard s;
  s.begin = rank * base + std::min<int64_t>(rank, extra);
  s.end = s.begin + base + (rank < extra ? 1 : 0);
  return s;
}

namespace {

// Largest hyperslab read while loading a shard, and the largest gap of unwanted
// rows read through rather than starting a new read. The gap is small: a
// rank's examples are a uniform random 1/W of the file's rows, so with a
// large gap every rank of a large job would read through nearly the whole
// file (and the job W times the dataset). 4 KiB gaps are read through (a
// few small images), anything larger costs a separate read of just the rows
// wanted (h5.cpp opens datasets without a chunk cache, so a read of a few
// rows fetches those rows, not their whole chunk).
constexpr int64_t kReadBlockBytes = 16 << 20, kReadGapBytes = 4 << 10;

}  // namespace

// Memory stays at the result plus one block.
ImageSet read_file_rows(const h5::File& file, const DatasetInfo& info, const std::string& split,
                        const std::vector<int64_t>& rows) {
  ImageSet out;
  out.c = info.c;
  out.h = info.h;
  out.w = info.w;
  const int64_t bytes = out.image_bytes();
  out.n = static_cast<int64_t>(rows.size());
  out.pixels.assign(static_cast<size_t>(out.n * bytes), 0);
  out.labels.assign(rows.size(), -1);
  std::vector<size_t> by_row(rows.size());
  std::iota(by_row.begin(), by_row.end(), size_t{0});
  std::sort(by_row.begin(), by_row.end(), [&](size_t a, size_t b) { return rows[a] < rows[b]; });
  const int64_t max_span = std::max<int64_t>(1, kReadBlockBytes / bytes);
  const int64_t max_gap = std::max<int64_t>(1, kReadGapBytes / bytes);
  for (size_t a = 0; a < by_row.size();) {
    const int64_t first = rows[by_row[a]];
    size_t b = a + 1;
    while (b < by_row.size() && rows[by_row[b]] - rows[by_row[b - 1]] <= max_gap && rows[by_row[b]] - first < max_span)
      ++b;
    const int64_t end = rows[by_row[b - 1]] + 1;
    const std::vector<uint8_t> px = file.read_u8_rows("/" + split + "/images", first, end);
    const std::vector<int64_t> labels = file.read_i64_rows("/" + split + "/labels", first, end);
    for (size_t k = a; k < b; ++k) {
      const int64_t r = rows[by_row[k]] - first;
      std::memcpy(out.pixels.data() + static_cast<int64_t>(by_row[k]) * bytes, px.data() + r * bytes,
                  static_cast<size_t>(bytes));
      const int64_t label = labels[static_cast<size_t>(r)];
      // docs/DATA.md: -1 (none) or a class index >= 0. `prepare` never writes
      // another; a damaged or foreign file may hold one (found by fuzz/fuzz_dataset.cpp).
      if (label < -1)
        throw std::runtime_error("dataset file '" + file.path() + "': " + split + " record " +
                                 std::to_string(rows[by_row[k]]) + " has label " + std::to_string(label) +
                                 "; labels are -1 (none) or a class index >= 0 (damaged file? prepare it again)");
      out.labels[by_row[k]] = label;
    }
    a = b;
  }
  return out;
}

ShardData::ShardData(const std::string& path, const std::string& split, int rank, int world, int64_t limit) {
  if (split != "train" && split != "test") {
    throw std::invalid_argument("unknown split '" + split + "' (expected 'train' or 'test')");
  }
  if (limit < 0) throw std::invalid_argument("negative example limit " + std::to_string(limit));
  info_ = inspect_dataset(path);
  const std::vector<int64_t> rows = split_rows(info_, split, limit);
  split_size_ = static_cast<int64_t>(rows.size());
  try {
    shard_ = shard_range(split_size_, rank, world);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("'" + path + "' " + split + " split: " + e.what());
  }
  // The file rows of this rank's examples.
  file_rows_.assign(rows.begin() + shard_.begin, rows.begin() + shard_.end);
  // Only those rows are read and held.
  h5::File file(path, h5::Mode::Read);
  local_ = read_file_rows(file, info_, split, file_rows_);
}

void ShardData::check_in_shard(int64_t global_index) const {
  if (!shard_.contains(global_index)) {
    throw std::out_of_range("example " + std::to_string(global_index) + " is not in this rank's shard [" +
                            std::to_string(shard_.begin) + ", " + std::to_string(shard_.end) + ")");
  }
}

const uint8_t* ShardData::image(int64_t global_index) const {
  check_in_shard(global_index);
  return local_.pixels.data() + (global_index - shard_.begin) * local_.image_bytes();
}

int64_t ShardData::label(int64_t global_index) const {
  check_in_shard(global_index);
  return local_.labels[static_cast<size_t>(global_index - shard_.begin)];
}

int64_t ShardData::file_row(int64_t global_index) const {
  check_in_shard(global_index);
  return file_rows_[static_cast<size_t>(global_index - shard_.begin)];
}

namespace {

// splitmix64 (Steele, Lea, Flood 2014): tiny, fully specified, and its output
// is the same everywhere, unlike the standard library's distributions.
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Uniform in [0, bound) without modulo bias: reject the top partial block.
uint64_t bounded(uint64_t& state, uint64_t bound) {
  const uint64_t threshold = (0 - bound) % bound;  // == 2^64 mod bound
  for (;;) {
    const uint64_t r = splitmix64(state);
    if (r >= threshold) return r % bound;
  }
}

// Fisher–Yates over [0, n) driven by `state`.
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t state) {
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), int64_t{0});
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(bounded(state, static_cast<uint64_t>(i) + 1));
    std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
  }
  return perm;
}

}  // namespace

std::vector<int64_t> epoch_order(int64_t n, const Shard& shard, uint64_t seed, int64_t epoch) {
  if (n < 0) throw std::invalid_argument("epoch_order: negative example count " + std::to_string(n));
  if (shard.begin < 0 || shard.begin > shard.end || shard.end > n) {
    throw std::invalid_argument("epoch_order: shard [" + std::to_string(shard.begin) + ", " +
                                std::to_string(shard.end) + ") is not inside [0, " + std::to_string(n) + ")");
  }
  // Hash seed and epoch together so neighbouring (seed, epoch) pairs give
  // unrelated streams.
  uint64_t epoch_state = static_cast<uint64_t>(epoch);
  uint64_t state = seed ^ splitmix64(epoch_state);
  state = splitmix64(state);

  // Every rank draws the full permutation, then keeps its own.
  const std::vector<int64_t> perm = seeded_permutation(n, state);
  std::vector<int64_t> mine;
  mine.reserve(static_cast<size_t>(shard.size()));
  for (int64_t i : perm) {
    if (shard.contains(i)) mine.push_back(i);
  }
  return mine;
}

std::vector<int64_t> train_order(int64_t n) {
  if (n < 0) throw std::invalid_argument("train_order: negative example count " + std::to_string(n));
  uint64_t state = kTrainOrderSeed;
  return seeded_permutation(n, splitmix64(state));
}

std::vector<int64_t> test_subset(int64_t n, int64_t limit) {
  if (n < 0) throw std::invalid_argument("test_subset: negative example count " + std::to_string(n));
  std::vector<int64_t> rows;
  if (limit <= 0 || limit >= n) {
    rows.resize(static_cast<size_t>(n));
    std::iota(rows.begin(), rows.end(), int64_t{0});
    return rows;
  }
  uint64_t state = kTestSubsetSeed;
  rows = seeded_permutation(n, splitmix64(state));
  rows.resize(static_cast<size_t>(limit));
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::vector<int64_t> split_rows(const DatasetInfo& info, const std::string& split, int64_t limit) {
  if (split == "test") return test_subset(info.n_test, limit);
  if (split != "train") throw std::invalid_argument("unknown split '" + split + "' (expected 'train' or 'test')");
  std::vector<int64_t> rows = train_order(info.n_train);
  if (limit > 0 && limit < info.n_train) rows.resize(static_cast<size_t>(limit));
  return rows;
}

}  // namespace latentebm::data

namespace latentebm::data {

void Crc32::update(const void* data, size_t bytes) {
  const auto* p = static_cast<const Bytef*>(data);
  while (bytes > 0) {
    const auto n = static_cast<uInt>(std::min<size_t>(bytes, size_t(1) << 30));
    value_ = static_cast<uint32_t>(::crc32(value_, p, n));
    p += n;
    bytes -= n;
  }
}

std::string Crc32::hex() const {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", value_);
  return buf;
}

std::string dataset_fingerprint(const DatasetInfo& info, int64_t train_limit) {
  return "name=" + info.name + ";train=" + std::to_string(info.n_train) + ";test=" + std::to_string(info.n_test) +
         ";shape=" + std::to_string(info.c) + "x" + std::to_string(info.h) + "x" + std::to_string(info.w) +
         ";content_crc32=" + (info.content_crc32.empty() ? std::string("unrecorded") : info.content_crc32) +
         ";train_limit=" + std::to_string(train_limit) + ";train_order=" + kTrainOrderName;
}

}  // namespace latentebm::data
