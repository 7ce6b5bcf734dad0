// Run under `mpirun -np 2`: every rank opens the same prepared file and must
// end up holding exactly its own rows, and the ranks' epoch orders together
// must be the one global permutation.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include <stb_image_write.h>

#include <fstream>
#include <sstream>

#include "data/dataset.h"
#include "data/dataset_writer.h"
#include "data/image_folder.h"

namespace fs = std::filesystem;
using namespace latentebm::data;

namespace {

constexpr int64_t kC = 2, kH = 3, kW = 4, kImage = kC * kH * kW;

// Pixel k of image i encodes the index: bytes 0..3 are i in little-endian
// order, the rest are (i + k) % 256. Label of image i is 1000 + i.
uint8_t pixel(int64_t i, int64_t k) {
  if (k < 4) return static_cast<uint8_t>((i >> (8 * k)) & 0xff);
  return static_cast<uint8_t>((i + k) % 256);
}

ImageSet encoded_set(int64_t n) {
  ImageSet s;
  s.n = n;
  s.c = kC;
  s.h = kH;
  s.w = kW;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < kImage; ++k) s.pixels.push_back(pixel(i, k));
    s.labels.push_back(1000 + i);
  }
  return s;
}

int64_t decode_index(const uint8_t* img) {
  return int64_t{img[0]} | (int64_t{img[1]} << 8) | (int64_t{img[2]} << 16) | (int64_t{img[3]} << 24);
}

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int world_size() {
  int w = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &w);
  return w;
}

// Concatenation over ranks (in rank order) of each rank's `mine`.
std::vector<int64_t> allgather(const std::vector<int64_t>& mine) {
  const int world = world_size();
  const int count = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<size_t>(world)), displs(static_cast<size_t>(world), 0);
  MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  std::partial_sum(counts.begin(), counts.end() - 1, displs.begin() + 1);
  std::vector<int64_t> all(static_cast<size_t>(displs.back() + counts.back()));
  MPI_Allgatherv(mine.data(), count, MPI_INT64_T, all.data(), counts.data(), displs.data(), MPI_INT64_T,
                 MPI_COMM_WORLD);
  return all;
}

// One file for all ranks: rank 0 picks the directory (its pid) and writes.
class ShardMpiTest : public ::testing::Test {
 protected:
  static constexpr int64_t kTrain = 301, kTest = 40;

  void SetUp() override {
    long pid = getpid();
    MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    dir_ = fs::temp_directory_path() / ("latentebm_mpi_shard_" + std::to_string(pid));
    path_ = (dir_ / "encoded.h5").string();
    if (world_rank() == 0) {
      fs::remove_all(dir_);
      fs::create_directories(dir_);
      write_dataset(path_, "encoded", "mpi test", encoded_set(kTrain), encoded_set(kTest));
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
  void TearDown() override {
    MPI_Barrier(MPI_COMM_WORLD);
    if (world_rank() == 0) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  fs::path dir_;
  std::string path_;
};

}  // namespace

TEST_F(ShardMpiTest, EachRankHoldsExactlyItsRows) {
  const int rank = world_rank(), world = world_size();
  for (const std::string split : {"train", "test"}) {
    const int64_t n = split == "train" ? kTrain : kTest;
    const ShardData data(path_, split, rank, world);
    const Shard expected = shard_range(n, rank, world);
    ASSERT_EQ(data.shard().begin, expected.begin);
    ASSERT_EQ(data.shard().end, expected.end);
    EXPECT_EQ(data.split_size(), n);

    // Only the shard is in memory...
    const ImageSet& local = data.images();
    ASSERT_EQ(local.n, expected.size());
    ASSERT_EQ(local.pixels.size(), static_cast<size_t>(expected.size() * kImage));
    ASSERT_EQ(local.labels.size(), static_cast<size_t>(expected.size()));
    // ...and row j of it is example begin + j, pixel for pixel: file row
    // train_order(n)[begin + j] for training, file row begin + j for test.
    const std::vector<int64_t> order = train_order(n);
    std::vector<int64_t> held;
    for (int64_t j = 0; j < local.n; ++j) {
      const uint8_t* img = local.pixels.data() + j * kImage;
      const int64_t example = expected.begin + j;
      const int64_t row = decode_index(img);
      EXPECT_EQ(row, split == "train" ? order[static_cast<size_t>(example)] : example);
      EXPECT_EQ(data.file_row(example), row);
      EXPECT_EQ(data.image(example), img);
      EXPECT_EQ(data.label(example), 1000 + row);
      for (int64_t k = 0; k < kImage; ++k) ASSERT_EQ(img[k], pixel(row, k)) << "row " << row << " pixel " << k;
      held.push_back(row);
    }

    // Together the ranks hold every file row exactly once.
    std::vector<int64_t> all = allgather(held);
    std::sort(all.begin(), all.end());
    std::vector<int64_t> every(static_cast<size_t>(n));
    std::iota(every.begin(), every.end(), 0);
    EXPECT_EQ(all, every) << split;
  }
}

TEST_F(ShardMpiTest, LimitIsAppliedBeforeSharding) {
  const int rank = world_rank(), world = world_size();
  const int64_t limit = 77;
  const ShardData data(path_, "train", rank, world, limit);
  EXPECT_EQ(data.split_size(), limit);
  std::vector<int64_t> held;
  for (int64_t j = 0; j < data.images().n; ++j) held.push_back(decode_index(data.images().pixels.data() + j * kImage));
  std::vector<int64_t> all = allgather(held);
  const std::vector<int64_t> order = train_order(kTrain);
  // The first `limit` examples of the training order, rank after rank:
  // shards are contiguous ranges of examples.
  EXPECT_EQ(all, std::vector<int64_t>(order.begin(), order.begin() + limit));
}

TEST_F(ShardMpiTest, EpochOrdersTogetherFormTheGlobalPermutation) {
  const int rank = world_rank(), world = world_size();
  const ShardData data(path_, "train", rank, world);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    const std::vector<int64_t> mine = epoch_order(kTrain, data.shard(), 2024, epoch);

    // Every rank computes the same global permutation (compare with rank 0's).
    std::vector<int64_t> global = epoch_order(kTrain, Shard{0, kTrain}, 2024, epoch);
    std::vector<int64_t> root = global;
    MPI_Bcast(root.data(), static_cast<int>(root.size()), MPI_INT64_T, 0, MPI_COMM_WORLD);
    EXPECT_EQ(global, root) << "epoch " << epoch;

    // Each rank's order is the global permutation filtered to its shard...
    std::vector<int64_t> filtered;
    for (int64_t i : global) {
      if (data.shard().contains(i)) filtered.push_back(i);
    }
    EXPECT_EQ(mine, filtered) << "epoch " << epoch;

    // ...and the union over ranks, re-ordered by global position, is the
    // global permutation itself.
    const std::vector<int64_t> all = allgather(mine);
    std::vector<int64_t> position(static_cast<size_t>(kTrain));
    for (size_t p = 0; p < global.size(); ++p) position[static_cast<size_t>(global[p])] = static_cast<int64_t>(p);
    std::vector<int64_t> merged = all;
    std::sort(merged.begin(), merged.end(),
              [&](int64_t a, int64_t b) { return position[static_cast<size_t>(a)] < position[static_cast<size_t>(b)]; });
    EXPECT_EQ(merged, global) << "epoch " << epoch;
    std::vector<int64_t> sorted = all;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_TRUE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()) << "duplicate index";
  }
}

// ---- files written by the streaming writer (DatasetWriter / convert_images)

// Bytes this process has read through read()/pread() so far (/proc/self/io).
int64_t bytes_read_so_far() {
  std::ifstream in("/proc/self/io");
  std::string key;
  int64_t value = 0;
  while (in >> key >> value) {
    if (key == "rchar:") return value;
  }
  return -1;
}

class StreamedShardMpiTest : public ShardMpiTest {};

TEST_F(StreamedShardMpiTest, EachRankReadsItsRowsInOnePass) {
  // 4001 images of 3x32x32 (12.3 MB), written by rank 0 in blocks of 97 rows
  // (not aligned with the 341-row HDF5 chunks).
  constexpr int64_t kN = 4001, kBytes = 3 * 32 * 32, kBlock = 97;
  const std::string big = (dir_ / "streamed.h5").string();
  if (world_rank() == 0) {
    DatasetWriter writer(big, "streamed", "mpi test", kN, 0, 3, 32, 32);
    std::vector<uint8_t> px;
    std::vector<int64_t> labels;
    for (int64_t first = 0; first < kN; first += kBlock) {
      const int64_t rows = std::min(kBlock, kN - first);
      px.assign(static_cast<size_t>(rows * kBytes), 0);
      labels.clear();
      for (int64_t j = 0; j < rows; ++j) {
        for (int64_t k = 0; k < kBytes; ++k) px[static_cast<size_t>(j * kBytes + k)] = pixel(first + j, k);
        labels.push_back(1000 + first + j);
      }
      writer.write("train", first, px.data(), labels.data(), rows);
    }
    writer.commit();
  }
  MPI_Barrier(MPI_COMM_WORLD);

  const int rank = world_rank(), world = world_size();
  const std::vector<int64_t> order = train_order(kN);
  const int64_t before = bytes_read_so_far();
  const ShardData data(big, "train", rank, world);
  const int64_t read = bytes_read_so_far() - before;
  const Shard expected = shard_range(kN, rank, world);
  ASSERT_EQ(data.images().n, expected.size());
  for (int64_t j = 0; j < data.images().n; ++j) {
    const uint8_t* img = data.images().pixels.data() + j * kBytes;
    const int64_t row = order[static_cast<size_t>(expected.begin + j)];
    ASSERT_EQ(decode_index(img), row);
    for (int64_t k = 0; k < kBytes; ++k) ASSERT_EQ(img[k], pixel(row, k));
    ASSERT_EQ(data.label(expected.begin + j), 1000 + row);
  }
  // The shard's rows are spread over the whole file (the training order is a
  // random permutation), so a rank reads through the file once, in blocks:
  // never more than one pass plus labels and metadata.
  const int64_t shard_bytes = expected.size() * kBytes, file_bytes = kN * kBytes;
  if (before >= 0) {
    EXPECT_GE(read, shard_bytes);
    EXPECT_LE(read, file_bytes + (512 << 10)) << "rank " << rank << " read " << read << " bytes";
  }

  // A small train_limit: its few rows, far apart, are read run by run.
  const ShardData few(big, "train", rank, world, 40);
  ASSERT_EQ(few.images().n, 20);
  for (int64_t i = few.shard().begin; i < few.shard().end; ++i) {
    ASSERT_EQ(decode_index(few.image(i)), order[size_t(i)]);
    ASSERT_EQ(few.label(i), 1000 + order[size_t(i)]);
  }
}

TEST_F(StreamedShardMpiTest, ConvertedImageFolderShardsByIndex) {
  // 50 PNGs whose first two pixels encode their index; one unreadable file
  // in the middle is skipped, so rows after it shift down by one.
  constexpr int kImages = 50, kSide = 4;
  const fs::path in = dir_ / "png";
  const std::string out = (dir_ / "folder.h5").string();
  if (world_rank() == 0) {
    fs::create_directories(in);
    for (int i = 0; i < kImages; ++i) {
      std::vector<uint8_t> px(kSide * kSide * 3, static_cast<uint8_t>(i * 5));
      px[0] = static_cast<uint8_t>(i);
      std::ostringstream name;
      name << "img" << (i < 10 ? "0" : "") << i << ".png";
      EXPECT_NE(stbi_write_png((in / name.str()).c_str(), kSide, kSide, 3, px.data(), kSide * 3), 0);
    }
    std::ofstream((in / "img25b.png").string()) << "not a png";
    ImageConvertOptions o;
    o.size = kSide;
    o.chunk_images = 7;
    o.num_workers = 2;
    const ConvertSummary s = convert_images(list_folder(in.string(), 0.2), out, "folder", "mpi test", o);
    EXPECT_EQ(s.skipped.size(), 1u);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  // 51 files in sorted order: img00..img25, img25b, img26..img49. The test
  // split is the floor(0.2 * 51) = 10 of them test_subset(51, 10) picks, the
  // rest train less the unreadable img25b: the image index of each file row.
  std::vector<int> by_position;  // -1: img25b
  for (int i = 0; i < kImages; ++i) {
    by_position.push_back(i);
    if (i == 25) by_position.push_back(-1);
  }
  const std::vector<int64_t> test_rows = test_subset(51, 10);
  std::vector<int64_t> train_index, test_index;
  for (int64_t p = 0; p < 51; ++p) {
    if (by_position[size_t(p)] < 0) continue;
    (std::binary_search(test_rows.begin(), test_rows.end(), p) ? test_index : train_index).push_back(by_position[size_t(p)]);
  }
  ASSERT_EQ(train_index.size(), 40u);  // img25b fell in the training part and was skipped there
  ASSERT_EQ(test_index.size(), 10u);
  const int rank = world_rank(), world = world_size();
  const ShardData train(out, "train", rank, world);
  ASSERT_EQ(train.split_size(), 40);
  const Shard sh = shard_range(40, rank, world);
  const std::vector<int64_t> order = train_order(40);
  std::vector<int64_t> held;
  for (int64_t j = 0; j < train.images().n; ++j) {
    const uint8_t* img = train.images().pixels.data() + j * (3 * kSide * kSide);
    // red channel, pixel (0, 0): the image index of file row order[example]
    EXPECT_EQ(img[0], train_index[size_t(order[size_t(sh.begin + j)])]);
    EXPECT_EQ(train.label(sh.begin + j), -1);
    held.push_back(img[0]);
  }
  std::vector<int64_t> all = allgather(held);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, train_index);
  const ShardData test(out, "test", rank, world);
  ASSERT_EQ(test.split_size(), 10);
  for (int64_t i = test.shard().begin; i < test.shard().end; ++i) EXPECT_EQ(test.image(i)[0], test_index[size_t(i)]);
}

TEST(ShardMpi, RunsOnTwoRanks) {
  // The file is registered with ctest as `mpirun -np 2`; one rank would not
  // exercise the split at all.
  EXPECT_EQ(world_size(), 2);
}
