// The training split's example order (data::train_order): a train_limit subset
// and every rank's shard must see each class in proportion even when the file
// is sorted by class (as `prepare mnist-json` writes it), and the order must
// not depend on the rank count, so resume on another rank count and the
// memory matrix (indexed by example) keep meaning the same images. A test
// limit (data::test_subset) must keep each class in proportion too.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace fs = std::filesystem;
using namespace latentebm::data;

namespace {

constexpr int64_t kClasses = 10, kPerClass = 300, kN = kClasses * kPerClass;
constexpr int64_t kC = 1, kH = 2, kW = 3, kBytes = kC * kH * kW;

// kPerClass images of class 0, then of class 1, ...: image i has label
// i / kPerClass and its first two pixels encode i (to find its file row).
ImageSet class_sorted_set() {
  ImageSet s;
  s.n = kN, s.c = kC, s.h = kH, s.w = kW;
  for (int64_t i = 0; i < kN; ++i) {
    const int64_t label = i / kPerClass;
    s.pixels.push_back(static_cast<uint8_t>(i & 0xff));
    s.pixels.push_back(static_cast<uint8_t>(i >> 8));
    for (int64_t k = 2; k < kBytes; ++k) s.pixels.push_back(static_cast<uint8_t>(label));
    s.labels.push_back(label);
  }
  return s;
}

int64_t encoded_row(const uint8_t* img) { return int64_t{img[0]} | (int64_t{img[1]} << 8); }

class TrainOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("latentebm_order_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "sorted.h5").string();
    write_dataset(path_, "class-sorted", "test", class_sorted_set(), class_sorted_set());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Examples of each class among the shard's examples.
  static std::vector<int64_t> class_counts(const ShardData& d) {
    std::vector<int64_t> counts(kClasses, 0);
    for (int64_t i = d.shard().begin; i < d.shard().end; ++i) ++counts[static_cast<size_t>(d.label(i))];
    return counts;
  }

  // Each class's count within 4 standard deviations of a uniform random
  // sample of `size` examples (hypergeometric, drawn from kN). In file order a
  // subset or shard of a class-sorted file has whole classes missing, which is
  // far outside this band for every size checked below.
  static void expect_proportional(const std::vector<int64_t>& counts, int64_t size, const std::string& what) {
    const double p = 1.0 / kClasses, expected = size * p;
    const double sd = std::sqrt(size * p * (1 - p) * double(kN - size) / double(kN - 1));
    const double band = 4 * sd + 1;
    for (int64_t c = 0; c < kClasses; ++c) {
      EXPECT_NEAR(double(counts[size_t(c)]), expected, band) << what << ": class " << c << " of " << size << " examples";
      EXPECT_GT(counts[size_t(c)], 0) << what << ": class " << c << " missing";
    }
  }

  fs::path dir_;
  std::string path_;
};

}  // namespace

TEST(TrainOrder, IsAFixedPermutation) {
  const std::vector<int64_t> a = train_order(1000);
  std::vector<int64_t> sorted = a, iota(1000);
  std::sort(sorted.begin(), sorted.end());
  std::iota(iota.begin(), iota.end(), 0);
  EXPECT_EQ(sorted, iota);
  EXPECT_NE(a, iota);
  EXPECT_EQ(a, train_order(1000));
  EXPECT_TRUE(train_order(0).empty());
  EXPECT_EQ(train_order(1), (std::vector<int64_t>{0}));
  EXPECT_THROW(train_order(-1), std::invalid_argument);
  // Pinned: a change here changes which examples every train_limit keeps and
  // which images existing checkpoints' memory matrices belong to. Change it
  // only together with kTrainOrderName.
  EXPECT_EQ(train_order(10), (std::vector<int64_t>{4, 7, 2, 3, 0, 9, 1, 8, 6, 5}));
  EXPECT_STREQ(kTrainOrderName, "seeded-permutation-1");
}

TEST_F(TrainOrderTest, TrainLimitKeepsEveryClassInProportion) {
  for (int64_t limit : {50, 100, 500, 1000, 2000}) {
    const ShardData d(path_, "train", 0, 1, limit);
    ASSERT_EQ(d.split_size(), limit);
    expect_proportional(class_counts(d), limit, "train_limit=" + std::to_string(limit));
    // The limited split is the first `limit` examples of the one order.
    const std::vector<int64_t> order = train_order(kN);
    for (int64_t i = 0; i < limit; ++i) {
      ASSERT_EQ(d.file_row(i), order[size_t(i)]);
      ASSERT_EQ(encoded_row(d.image(i)), order[size_t(i)]) << "pixels of example " << i;
      ASSERT_EQ(d.label(i), order[size_t(i)] / kPerClass);
    }
  }
}

TEST_F(TrainOrderTest, EveryRankShardKeepsEveryClassInProportion) {
  for (int64_t limit : {int64_t{0}, int64_t{1200}}) {
    for (int world : {2, 3, 4, 8}) {
      int64_t total = 0;
      for (int rank = 0; rank < world; ++rank) {
        const ShardData d(path_, "train", rank, world, limit);
        expect_proportional(class_counts(d), d.shard().size(),
                            "limit " + std::to_string(limit) + ", rank " + std::to_string(rank) + " of " +
                                std::to_string(world));
        total += d.shard().size();
      }
      EXPECT_EQ(total, limit > 0 ? limit : kN);
    }
  }
}

TEST_F(TrainOrderTest, ExampleIndexMeansTheSameImageOnEveryRankCount) {
  // What resume on another rank count relies on: example i (the memory
  // matrix row, the epoch-order entry) is the same file row whether 1, 3 or
  // 4 ranks hold the split, with and without a limit.
  for (int64_t limit : {int64_t{0}, int64_t{700}}) {
    const ShardData one(path_, "train", 0, 1, limit);
    for (int world : {3, 4}) {
      for (int rank = 0; rank < world; ++rank) {
        const ShardData d(path_, "train", rank, world, limit);
        for (int64_t i = d.shard().begin; i < d.shard().end; ++i) {
          ASSERT_EQ(d.file_row(i), one.file_row(i)) << "example " << i << ", rank " << rank << " of " << world;
          ASSERT_TRUE(std::equal(d.image(i), d.image(i) + kBytes, one.image(i)));
        }
      }
    }
  }
}

TEST_F(TrainOrderTest, WholeTestSplitKeepsFileOrder) {
  for (int64_t limit : {int64_t{0}, kN, kN + 5}) {
    const ShardData d(path_, "test", 1, 2, limit);
    EXPECT_EQ(d.split_size(), kN);
    EXPECT_EQ(d.shard().begin, kN / 2);
    for (int64_t i = d.shard().begin; i < d.shard().end; ++i) {
      ASSERT_EQ(d.file_row(i), i);
      ASSERT_EQ(encoded_row(d.image(i)), i);
    }
  }
}

TEST(TestSubset, IsAFixedNestedSubsetInFileOrder) {
  std::vector<int64_t> all(1000);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(test_subset(1000, 0), all);
  EXPECT_EQ(test_subset(1000, 1000), all);
  EXPECT_EQ(test_subset(1000, 5000), all);
  EXPECT_TRUE(test_subset(0, 10).empty());
  EXPECT_THROW(test_subset(-1, 10), std::invalid_argument);
  const std::vector<int64_t> small = test_subset(1000, 100), big = test_subset(1000, 400);
  ASSERT_EQ(small.size(), 100u);
  ASSERT_EQ(big.size(), 400u);
  EXPECT_TRUE(std::is_sorted(big.begin(), big.end()));
  EXPECT_TRUE(std::adjacent_find(big.begin(), big.end()) == big.end()) << "a row twice";
  EXPECT_GE(big.front(), 0);
  EXPECT_LT(big.back(), 1000);
  EXPECT_TRUE(std::includes(big.begin(), big.end(), small.begin(), small.end())) << "a smaller limit keeps a subset";
  EXPECT_EQ(small, test_subset(1000, 100));
  EXPECT_NE(small, std::vector<int64_t>(all.begin(), all.begin() + 100)) << "not the first rows";
  // Pinned: a change here changes which test images every limited
  // evaluation uses, so numbers stop being comparable with earlier runs'.
  EXPECT_EQ(test_subset(10, 4), (std::vector<int64_t>{0, 1, 4, 8}));
}

TEST_F(TrainOrderTest, TestLimitKeepsEveryClassInProportion) {
  // The file's first 1,000 test rows hold classes 0-3 only; a limit keeps a
  // uniform subset instead, in file order, on every rank count.
  for (int64_t limit : {100, 500, 1000, 2000}) {
    const ShardData one(path_, "test", 0, 1, limit);
    ASSERT_EQ(one.split_size(), limit);
    expect_proportional(class_counts(one), limit, "test limit " + std::to_string(limit));
    const std::vector<int64_t> rows = test_subset(kN, limit);
    for (int64_t i = 0; i < limit; ++i) {
      ASSERT_EQ(one.file_row(i), rows[size_t(i)]);
      ASSERT_EQ(encoded_row(one.image(i)), rows[size_t(i)]) << "pixels of example " << i;
      ASSERT_EQ(one.label(i), rows[size_t(i)] / kPerClass);
    }
    for (int world : {2, 3}) {
      for (int rank = 0; rank < world; ++rank) {
        const ShardData d(path_, "test", rank, world, limit);
        for (int64_t i = d.shard().begin; i < d.shard().end; ++i) ASSERT_EQ(d.file_row(i), rows[size_t(i)]);
      }
    }
  }
}

TEST_F(TrainOrderTest, SplitRowsIsWhatShardDataReads) {
  const DatasetInfo info = inspect_dataset(path_);
  const std::vector<int64_t> order = train_order(kN);
  EXPECT_EQ(split_rows(info, "train", 0), order);
  EXPECT_EQ(split_rows(info, "train", 70), std::vector<int64_t>(order.begin(), order.begin() + 70));
  EXPECT_EQ(split_rows(info, "train", kN + 1), order);
  EXPECT_EQ(split_rows(info, "test", 70), test_subset(kN, 70));
  EXPECT_THROW(split_rows(info, "valid", 0), std::invalid_argument);
}

TEST_F(TrainOrderTest, FingerprintNamesTheOrder) {
  const DatasetInfo info = inspect_dataset(path_);
  const std::string fp = dataset_fingerprint(info, 0);
  EXPECT_NE(fp.find(std::string(";train_order=") + kTrainOrderName), std::string::npos) << fp;
}
