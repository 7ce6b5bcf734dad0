#include "data/holdout_split.h"
#include "data/mnist_readers.h"
#include "support/bytes.h"
#include "support/errors.h"
#include "support/scratch_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace latentebm::data;
using namespace latentebm::testing;

namespace {

class PrepareTest : public latentebm::testing::ScratchDirTest {};

void put_be32(Bytes& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

Bytes idx_images(uint32_t n, uint32_t rows, uint32_t cols, const Bytes& pixels, uint32_t magic = 0x803) {
  Bytes out;
  put_be32(out, magic);
  put_be32(out, n);
  put_be32(out, rows);
  put_be32(out, cols);
  out.insert(out.end(), pixels.begin(), pixels.end());
  return out;
}

Bytes idx_labels(uint32_t n, const Bytes& labels, uint32_t magic = 0x801) {
  Bytes out;
  put_be32(out, magic);
  put_be32(out, n);
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

void write_raw(const std::string& p, const Bytes& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const std::string& p, const Bytes& bytes) {
  gzFile f = gzopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  if (!bytes.empty()) {
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  }
  ASSERT_EQ(gzclose(f), Z_OK);
}

// 3 images of 2x4 whose pixel k of image i is 40 * i + k (so 0..87), labels 7, 0, 9.
const Bytes kPixels = [] {
  Bytes p;
  for (int i = 0; i < 3; ++i) {
    for (int k = 0; k < 8; ++k) p.push_back(static_cast<uint8_t>(40 * i + k));
  }
  p[0] = 255;  // the full byte range survives
  return p;
}();
const Bytes kLabels = {7, 0, 9};



void expect_known(const ImageSet& set) {
  EXPECT_EQ(set.n, 3);
  EXPECT_EQ(set.c, 1);
  EXPECT_EQ(set.h, 2);
  EXPECT_EQ(set.w, 4);
  EXPECT_EQ(set.pixels, kPixels);
  EXPECT_EQ(set.labels, (std::vector<int64_t>{7, 0, 9}));
}

}  // namespace

// ---------------------------------------------------------------- idx

TEST_F(PrepareTest, ReadsGzipIdx) {
  write_gz(path("img.gz"), idx_images(3, 2, 4, kPixels));
  write_gz(path("lbl.gz"), idx_labels(3, kLabels));
  expect_known(read_idx(path("img.gz"), path("lbl.gz")));
}

TEST_F(PrepareTest, ReadsRawIdx) {
  write_raw(path("img"), idx_images(3, 2, 4, kPixels));
  write_raw(path("lbl"), idx_labels(3, kLabels));
  expect_known(read_idx(path("img"), path("lbl")));
}

TEST_F(PrepareTest, ReadsMixedGzipAndRaw) {
  write_raw(path("img"), idx_images(3, 2, 4, kPixels));
  write_gz(path("lbl.gz"), idx_labels(3, kLabels));
  expect_known(read_idx(path("img"), path("lbl.gz")));
}

TEST_F(PrepareTest, MissingFilesAreNamed) {
  write_gz(path("img.gz"), idx_images(3, 2, 4, kPixels));
  write_gz(path("lbl.gz"), idx_labels(3, kLabels));
  std::string msg = error_of([&] { read_idx(path("nope-images.gz"), path("lbl.gz")); });
  EXPECT_TRUE(contains(msg, "nope-images.gz") && contains(msg, "not found")) << msg;
  msg = error_of([&] { read_idx(path("img.gz"), path("nope-labels.gz")); });
  EXPECT_TRUE(contains(msg, "nope-labels.gz") && contains(msg, "not found")) << msg;
}

TEST_F(PrepareTest, EmptyFilesAreRejected) {
  write_raw(path("empty-img"), {});
  write_gz(path("empty-lbl.gz"), {});
  write_raw(path("lbl"), idx_labels(3, kLabels));
  write_raw(path("img"), idx_images(3, 2, 4, kPixels));
  std::string msg = error_of([&] { read_idx(path("empty-img"), path("lbl")); });
  EXPECT_TRUE(contains(msg, "empty-img") && contains(msg, "empty")) << msg;
  msg = error_of([&] { read_idx(path("img"), path("empty-lbl.gz")); });
  EXPECT_TRUE(contains(msg, "empty-lbl.gz") && contains(msg, "empty")) << msg;
}

TEST_F(PrepareTest, TruncatedImagesAreRejected) {
  Bytes short_pixels(kPixels.begin(), kPixels.end() - 5);
  write_gz(path("img.gz"), idx_images(3, 2, 4, short_pixels));
  write_raw(path("img"), idx_images(3, 2, 4, short_pixels));
  write_raw(path("lbl"), idx_labels(3, kLabels));
  for (const char* name : {"img.gz", "img"}) {
    const std::string msg = error_of([&] { read_idx(path(name), path("lbl")); });
    EXPECT_TRUE(contains(msg, path(name))) << msg;
    EXPECT_TRUE(contains(msg, "truncated: expected 24 bytes of pixel data, got 19")) << msg;
  }
  // Header cut short.
  Bytes header = idx_images(3, 2, 4, {});
  header.resize(10);
  write_raw(path("short-header"), header);
  const std::string msg = error_of([&] { read_idx(path("short-header"), path("lbl")); });
  EXPECT_TRUE(contains(msg, "short-header") && contains(msg, "truncated")) << msg;
}

TEST_F(PrepareTest, TruncatedLabelsAreRejected) {
  write_raw(path("img"), idx_images(3, 2, 4, kPixels));
  write_gz(path("lbl.gz"), idx_labels(3, {7, 0}));
  const std::string msg = error_of([&] { read_idx(path("img"), path("lbl.gz")); });
  EXPECT_TRUE(contains(msg, "lbl.gz")) << msg;
  EXPECT_TRUE(contains(msg, "truncated: expected 3 bytes of label data, got 2")) << msg;
}

TEST_F(PrepareTest, CutGzipStreamIsRejected) {
  // A gzip file cut in the middle (an interrupted download).
  Bytes pixels(50 * 28 * 28);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 2654435761u >> 24);
  const Bytes big = idx_images(50, 28, 28, pixels);
  write_gz(path("full.gz"), big);
  std::ifstream in(path("full.gz"), std::ios::binary);
  Bytes gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  gz.resize(gz.size() / 2);
  write_raw(path("cut.gz"), gz);
  write_raw(path("lbl"), idx_labels(50, Bytes(50, 1)));
  const std::string msg = error_of([&] { read_idx(path("cut.gz"), path("lbl")); });
  EXPECT_TRUE(contains(msg, "cut.gz")) << msg;
}

TEST_F(PrepareTest, WrongMagicIsRejected) {
  write_raw(path("img"), idx_images(3, 2, 4, kPixels));
  write_raw(path("lbl"), idx_labels(3, kLabels));
  write_raw(path("bad-img"), idx_images(3, 2, 4, kPixels, 0x12345678));
  write_raw(path("bad-lbl"), idx_labels(3, kLabels, 0x00000802));
  std::string msg = error_of([&] { read_idx(path("bad-img"), path("lbl")); });
  EXPECT_TRUE(contains(msg, "bad-img") && contains(msg, "0x12345678") && contains(msg, "0x00000803")) << msg;
  msg = error_of([&] { read_idx(path("img"), path("bad-lbl")); });
  EXPECT_TRUE(contains(msg, "bad-lbl") && contains(msg, "0x00000802") && contains(msg, "0x00000801")) << msg;
  // Swapped arguments get a hint.
  msg = error_of([&] { read_idx(path("lbl"), path("img")); });
  EXPECT_TRUE(contains(msg, path("lbl")) && contains(msg, "swapped")) << msg;
}

TEST_F(PrepareTest, CountMismatchNamesBothFiles) {
  write_raw(path("img"), idx_images(3, 2, 4, kPixels));
  write_raw(path("lbl4"), idx_labels(4, {7, 0, 9, 1}));
  const std::string msg = error_of([&] { read_idx(path("img"), path("lbl4")); });
  EXPECT_TRUE(contains(msg, "count mismatch")) << msg;
  EXPECT_TRUE(contains(msg, path("img")) && contains(msg, path("lbl4"))) << msg;
  EXPECT_TRUE(contains(msg, "3 images") && contains(msg, "4 labels")) << msg;
}

TEST_F(PrepareTest, ZeroAndImplausibleDimensionsAreRejected) {
  write_raw(path("lbl"), idx_labels(3, kLabels));
  write_raw(path("zero"), idx_images(3, 0, 4, {}));
  std::string msg = error_of([&] { read_idx(path("zero"), path("lbl")); });
  EXPECT_TRUE(contains(msg, "zero") && contains(msg, "positive")) << msg;
  write_raw(path("huge"), idx_images(3, 1000000, 1000000, {}));
  msg = error_of([&] { read_idx(path("huge"), path("lbl")); });
  EXPECT_TRUE(contains(msg, "huge") && contains(msg, "implausible")) << msg;
}

TEST_F(PrepareTest, TrailingDataIsRejected) {
  Bytes extra = kPixels;
  extra.push_back(1);
  write_raw(path("img"), idx_images(3, 2, 4, extra));
  write_raw(path("lbl"), idx_labels(3, kLabels));
  const std::string msg = error_of([&] { read_idx(path("img"), path("lbl")); });
  EXPECT_TRUE(contains(msg, path("img")) && contains(msg, "unexpected data")) << msg;
}

// docs/DATA.md promises labels 0..9; the reader names the file and the first
// bad record, as the CIFAR-10 reader does for a label byte above 9.
TEST_F(PrepareTest, LabelOutsideZeroToNineIsRejected) {
  write_raw(path("img"), idx_images(3, 2, 4, kPixels));
  write_gz(path("lbl.gz"), idx_labels(3, {7, 200, 10}));
  const std::string msg = error_of([&] { read_idx(path("img"), path("lbl.gz")); });
  EXPECT_TRUE(contains(msg, path("lbl.gz")) && contains(msg, "record 1 has label 200") && contains(msg, "0..9")) << msg;
  write_raw(path("lbl10"), idx_labels(3, {7, 0, 10}));  // the first value past the range
  EXPECT_TRUE(contains(error_of([&] { read_idx(path("img"), path("lbl10")); }), "record 2 has label 10"));
}

TEST(PrepareFashionMnist, ReadsTheDebianTestSplitWhenInstalled) {
  const fs::path dir = kDebianFashionMnistDir;
  const fs::path images = dir / "t10k-images-idx3-ubyte.gz", labels = dir / "t10k-labels-idx1-ubyte.gz";
  if (!fs::exists(images) || !fs::exists(labels)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const ImageSet set = read_idx(images.string(), labels.string());
  EXPECT_EQ(set.n, 10000);
  EXPECT_EQ(set.c, 1);
  EXPECT_EQ(set.h, 28);
  EXPECT_EQ(set.w, 28);
  EXPECT_EQ(set.pixels.size(), 10000u * 784u);
  std::vector<int> per_class(10, 0);
  for (int64_t l : set.labels) {
    ASSERT_GE(l, 0);
    ASSERT_LE(l, 9);
    ++per_class[static_cast<size_t>(l)];
  }
  for (int c : per_class) EXPECT_EQ(c, 1000);  // Fashion-MNIST's test split is balanced
  EXPECT_EQ(set.labels[0], 9);                 // the first test image is an ankle boot
}

// ---------------------------------------------------------------- mnist json

namespace {

// Value of pixel p of image i of digit d, as written to JSON: q / 255 with
// q = (d * 31 + i * 7 + p) % 256, which converts back to exactly q.
uint8_t json_q(int d, int i, int p) { return static_cast<uint8_t>((d * 31 + i * 7 + p) % 256); }

void write_digit(const std::string& file, int d, int count) {
  std::ofstream out(file);
  out << "{\"data\":[";
  for (int i = 0; i < count; ++i) {
    for (int p = 0; p < 784; ++p) {
      if (i + p > 0) out << ",";
      const uint8_t q = json_q(d, i, p);
      if (q == 0) {
        out << "0";
      } else if (q == 255) {
        out << "1";
      } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", q / 255.0);
        out << buf;
      }
    }
  }
  out << "]}";
}

}  // namespace

TEST_F(PrepareTest, ReadsMnistJsonAndSplitsPerDigit) {
  // Digit d has d + 1 images: 80% split gives floor(0.8 * (d + 1)) train images.
  for (int d = 0; d <= 9; ++d) write_digit(path(std::to_string(d) + ".json"), d, d + 1);
  const TrainTest tt = read_mnist_json(dir_.string());

  std::vector<int64_t> expect_train_labels, expect_test_labels;
  std::vector<uint8_t> expect_train, expect_test;
  for (int d = 0; d <= 9; ++d) {
    const int count = d + 1;
    const int n_train = (count * 8) / 10;
    for (int i = 0; i < count; ++i) {
      auto& pixels = i < n_train ? expect_train : expect_test;
      auto& labels = i < n_train ? expect_train_labels : expect_test_labels;
      for (int p = 0; p < 784; ++p) pixels.push_back(json_q(d, i, p));
      labels.push_back(d);
    }
  }
  EXPECT_EQ(tt.train.n, 40);  // sum of floor(0.8 * k) for k = 1..10
  EXPECT_EQ(tt.test.n, 15);
  EXPECT_EQ(tt.train.c, 1);
  EXPECT_EQ(tt.train.h, 28);
  EXPECT_EQ(tt.train.w, 28);
  EXPECT_EQ(tt.test.h, 28);
  EXPECT_EQ(tt.train.labels, expect_train_labels);
  EXPECT_EQ(tt.test.labels, expect_test_labels);
  EXPECT_TRUE(tt.train.pixels == expect_train);
  EXPECT_TRUE(tt.test.pixels == expect_test);

  const TrainTest all = read_mnist_json(dir_.string(), 1.0);
  EXPECT_EQ(all.train.n, 55);
  EXPECT_EQ(all.test.n, 0);
}

TEST_F(PrepareTest, MnistJsonErrorsNameTheFile) {
  for (int d = 0; d <= 9; ++d) write_digit(path(std::to_string(d) + ".json"), d, 1);
  const std::string dir = dir_.string();

  std::string msg = error_of([&] { read_mnist_json(path("no-such-dir")); });
  EXPECT_TRUE(contains(msg, "no-such-dir")) << msg;

  fs::remove(path("7.json"));
  msg = error_of([&] { read_mnist_json(dir); });
  EXPECT_TRUE(contains(msg, path("7.json")) && contains(msg, "not found")) << msg;

  std::ofstream(path("7.json")) << "{\"data\":[0.1, 0.2,";
  msg = error_of([&] { read_mnist_json(dir); });
  EXPECT_TRUE(contains(msg, path("7.json")) && contains(msg, "parse")) << msg;

  std::ofstream(path("7.json")) << "";
  msg = error_of([&] { read_mnist_json(dir); });
  EXPECT_TRUE(contains(msg, path("7.json")) && contains(msg, "parse")) << msg;

  std::ofstream(path("7.json")) << "{\"pixels\":[]}";
  msg = error_of([&] { read_mnist_json(dir); });
  EXPECT_TRUE(contains(msg, path("7.json")) && contains(msg, "\"data\"")) << msg;

  {
    std::ofstream out(path("7.json"));
    out << "{\"data\":[0";
    for (int i = 1; i < 785; ++i) out << ",0";
    out << "]}";
  }
  msg = error_of([&] { read_mnist_json(dir); });
  EXPECT_TRUE(contains(msg, path("7.json")) && contains(msg, "785 values")) << msg;

  {
    std::ofstream out(path("7.json"));
    out << "{\"data\":[1.5";
    for (int i = 1; i < 784; ++i) out << ",0";
    out << "]}";
  }
  msg = error_of([&] { read_mnist_json(dir); });
  EXPECT_TRUE(contains(msg, path("7.json")) && contains(msg, "data[0]") && contains(msg, "outside [0, 1]")) << msg;

  {
    std::ofstream out(path("7.json"));
    out << "{\"data\":[0";
    for (int i = 1; i < 784; ++i) out << (i == 5 ? ",\"x\"" : ",-0.25");
    out << "]}";
  }
  msg = error_of([&] { read_mnist_json(dir); });
  EXPECT_TRUE(contains(msg, path("7.json")) && contains(msg, "data[1]")) << msg;

  EXPECT_THROW(read_mnist_json(dir, 0.0), std::invalid_argument);
  EXPECT_THROW(read_mnist_json(dir, 1.5), std::invalid_argument);
}

// Paper Table 2 protocol: pool, drop the held-out label, 80% of the normal
// images train, the rest of them plus every held-out image test (shuffled).
TEST(HoldoutSplit, FollowsTheAnomalyProtocol) {
  auto make = [](int64_t n, int64_t offset) {
    ImageSet s;
    s.n = n, s.c = 1, s.h = 2, s.w = 2;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t label = (i + offset) % 10;
      s.pixels.push_back(static_cast<uint8_t>(label * 25));  // the first pixel encodes the label
      for (int k = 1; k < 4; ++k) s.pixels.push_back(static_cast<uint8_t>((i + offset) % 251));
      s.labels.push_back(label);
    }
    return s;
  };
  const auto train = make(800, 0), test = make(200, 800);  // 100 images of each digit 0..9
  const auto split = holdout_split(train, test, 4, 1);
  EXPECT_EQ(split.train.n, 720);  // 80% of the 900 normal images
  EXPECT_EQ(split.test.n, 180 + 100);
  for (auto l : split.train.labels) EXPECT_NE(l, 4);
  int64_t held = 0;
  for (auto l : split.test.labels) held += l == 4;
  EXPECT_EQ(held, 100);
  // Pixels travel with their labels.
  for (int64_t i = 0; i < split.test.n; ++i)
    EXPECT_EQ(split.test.pixels[static_cast<size_t>(4 * i)], split.test.labels[static_cast<size_t>(i)] * 25);
  for (int64_t i = 0; i < split.train.n; ++i)
    EXPECT_EQ(split.train.pixels[static_cast<size_t>(4 * i)], split.train.labels[static_cast<size_t>(i)] * 25);
  // Shuffled: the held-out images are not all at the end; deterministic in the seed.
  int64_t held_in_first_half = 0;
  for (int64_t i = 0; i < split.test.n / 2; ++i) held_in_first_half += split.test.labels[static_cast<size_t>(i)] == 4;
  EXPECT_GT(held_in_first_half, 20);
  EXPECT_EQ(holdout_split(train, test, 4, 1).test.labels, split.test.labels);
  EXPECT_NE(holdout_split(train, test, 4, 2).train.labels, split.train.labels);
  EXPECT_THROW(holdout_split(train, test, 11, 1), std::runtime_error);  // no image has label 11
}
