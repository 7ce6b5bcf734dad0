#pragma once
// The one on-disk layout every data source is converted into, and the
// per-rank view of it used by training.
//
// Prepared dataset file (HDF5), written by `latentebm prepare`:
//   /            attrs: format = "latentebm-dataset", version = 1,
//                       name (e.g. "fashion-mnist"), source (free text),
//                       content_crc32 (hex CRC-32 of train pixels, train
//                       labels, test pixels, test labels, in that order),
//                       anomaly_label (optional: the held-out class of an
//                       anomaly-detection split)
//   /train/images  uint8  [N_train, C, H, W]   chunked by rows
//   /train/labels  int64  [N_train]            (-1 where the source has none)
//   /test/images   uint8  [N_test, C, H, W]
//   /test/labels   int64  [N_test]
// Pixels are stored as 0..255; training scales them to [-1, 1].
//
// Example order: training indexes the train split through train_order(N), a
// fixed seeded pseudo-random permutation of its file rows: example i of the
// split is file row train_order(N)[i]. data.train_limit = L keeps examples
// [0, L), and the shards partition those, so a subset and every rank's shard
// are uniform random samples of the split whatever order the file was written
// in (e.g. sorted by class). The permutation depends on N only (not on the
// rank count, the limit or any run setting), so it is the same on every rank,
// in every run and on resume with another rank count. The whole test split
// keeps file order (example i is file row i), so scores and pictures of it
// follow the file; a test limit L < N keeps a uniform random L of its rows,
// still in file order (test_subset), not the first L: the first rows of a
// class-sorted file would hold a few classes only.
//
// Sharding: example i of a split belongs to exactly one rank; rank r of W owns
// the contiguous example range shard_range(N, r, W). A rank reads only the
// file rows of its examples (in runs of nearby rows, a bounded block at a
// time) and holds only those in memory.
#include <cstdint>
#include <string>
#include <vector>

namespace latentebm::h5 {
class File;
}

namespace latentebm::data {

// A block of images in memory, row-major N x C x H x W.
struct ImageSet {
  int64_t n = 0, c = 0, h = 0, w = 0;
  std::vector<uint8_t> pixels;  // n*c*h*w
  std::vector<int64_t> labels;  // n (or -1 entries)
  int64_t image_bytes() const { return c * h * w; }
};

// A source's two splits, as its reader returns them.
struct TrainTest {
  ImageSet train, test;
};

struct DatasetInfo {
  std::string path, name, source;
  std::string content_crc32;  // empty when the file predates the attribute
  int64_t n_train = 0, n_test = 0, c = 0, h = 0, w = 0;
  int64_t anomaly_label = -1;  // held-out class of an anomaly-detection split, -1 if none
};

// Write train + test into a new file (atomically: temp file then rename).
// anomaly_label >= 0 marks an anomaly-detection split (see holdout_split):
// test images with that label are the anomalies.
void write_dataset(const std::string& path, const std::string& name, const std::string& source,
                   const ImageSet& train, const ImageSet& test, int64_t anomaly_label = -1);

// Open and validate a prepared file; throws with a message naming the file and
// what is wrong (not HDF5, not a latentebm dataset, inconsistent shapes...).
DatasetInfo inspect_dataset(const std::string& path);

// Identifies the data a run trains on (name, sizes, image shape, content
// CRC and the train_limit in use); checkpoints record it so a resume on
// different data is refused.
// It also names the training order (kTrainOrderName), so a checkpoint written
// under another example order is refused too.
std::string dataset_fingerprint(const DatasetInfo& info, int64_t train_limit);

// Incremental CRC-32 (zlib) as 8 hex digits.
class Crc32 {
 public:
  void update(const void* data, size_t bytes);
  std::string hex() const;
  uint32_t value() const { return value_; }
 private:
  uint32_t value_ = 0;
};

// The contiguous range of example indices owned by `rank` of `world`.
// Sizes differ by at most one; earlier ranks get the extra examples.
struct Shard {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
  bool contains(int64_t i) const { return i >= begin && i < end; }
};
Shard shard_range(int64_t n, int rank, int world);

// The training split's example order: a permutation of the file rows [0, n)
// drawn with kTrainOrderSeed (the same generator as epoch_order). Changing the
// seed or the generator changes which examples a train_limit keeps: give the
// new order a new kTrainOrderName so old checkpoints are refused.
constexpr uint64_t kTrainOrderSeed = 0x7261696e6f726431ULL;  // "trainord1"
constexpr const char* kTrainOrderName = "seeded-permutation-1";
std::vector<int64_t> train_order(int64_t n);

// The file rows a test limit keeps: every row [0, n) when limit <= 0 or
// limit >= n; otherwise the first `limit` entries of a fixed permutation
// drawn with kTestSubsetSeed, sorted into file order. A uniform random subset
// of any file, the same in every run, nested (a smaller limit keeps a subset
// of a larger one's rows), depending on n and limit only. `score --limit`
// (either split) and the image-folder source's test split take it too.
constexpr uint64_t kTestSubsetSeed = 0x7465737473756231ULL;  // "testsub1"
std::vector<int64_t> test_subset(int64_t n, int64_t limit);

// The file rows of a split's examples in example order, after a limit
// (<= 0: none): the first `limit` of train_order for "train", test_subset for
// "test". ShardData and every evaluation over a split index it this way.
std::vector<int64_t> split_rows(const DatasetInfo& info, const std::string& split, int64_t limit);

// The images and labels of the given file rows of `split` in an open dataset
// file (any order, no duplicates): row k of the result is file row rows[k].
// Rows are read in ascending runs of nearby rows, at most 16 MiB of pixels
// per read. ShardData reads this way; so does anything else that needs a
// range of training examples (rows = a slice of train_order(N)).
ImageSet read_file_rows(const h5::File& file, const DatasetInfo& info, const std::string& split,
                        const std::vector<int64_t>& rows);

// One rank's shard of one split ("train" or "test"), in example order (see the
// top of this file). `limit` > 0 restricts the split to `limit` examples
// (split_rows) before sharding.
class ShardData {
 public:
  ShardData(const std::string& path, const std::string& split, int rank, int world, int64_t limit = 0);
  const DatasetInfo& info() const { return info_; }
  int64_t split_size() const { return split_size_; }  // N of the (limited) split
  const Shard& shard() const { return shard_; }
  // Pixels of global example index i (must be in this shard).
  const uint8_t* image(int64_t global_index) const;
  int64_t label(int64_t global_index) const;
  // The row of the dataset file that holds example i (must be in this shard).
  int64_t file_row(int64_t global_index) const;
  // This shard's examples, row j = example shard().begin + j.
  const ImageSet& images() const { return local_; }

 private:
  void check_in_shard(int64_t global_index) const;

  DatasetInfo info_;
  int64_t split_size_ = 0;
  Shard shard_;
  ImageSet local_;
  std::vector<int64_t> file_rows_;  // file row of each local example
};

// Deterministic epoch order: a permutation of [0, n) drawn from (seed, epoch)
// with a fixed 64-bit generator, identical on every rank and every platform,
// then filtered to the indices inside `shard` (order preserved).
std::vector<int64_t> epoch_order(int64_t n, const Shard& shard, uint64_t seed, int64_t epoch);

}  // namespace latentebm::data
