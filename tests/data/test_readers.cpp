// SVHN (.mat written through matio) and CIFAR-10 (binary records) readers:
// pixels and labels come out exactly as written, and broken inputs give a
// std::runtime_error naming the file.
#include "data/readers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <matio.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/h5.h"
#include "support/bytes.h"
#include "support/errors.h"
#include "support/scratch_dir.h"

namespace fs = std::filesystem;
using namespace latentebm::data;
using ::testing::HasSubstr;
using namespace latentebm::testing;

namespace {

class ReadersTest : public latentebm::testing::ScratchDirTest {};




// ---- CIFAR-10

// Pixel (channel, row, col) of record i: channel planes differ in range so a
// channel mix-up cannot go unnoticed.
uint8_t cifar_pixel(int64_t i, int64_t ch, int64_t r, int64_t c) {
  return static_cast<uint8_t>(ch * 80 + ((r * 7 + c * 3 + i * 11) % 80));
}

Bytes cifar_records(int64_t n, int64_t first_label = 0) {
  Bytes out;
  for (int64_t i = 0; i < n; ++i) {
    out.push_back(static_cast<uint8_t>((first_label + i) % 10));
    for (int64_t ch = 0; ch < 3; ++ch)
      for (int64_t r = 0; r < 32; ++r)
        for (int64_t c = 0; c < 32; ++c) out.push_back(cifar_pixel(i, ch, r, c));
  }
  return out;
}

void expect_cifar(const ImageSet& set, int64_t offset, int64_t n, int64_t first_label) {
  ASSERT_EQ(set.c, 3);
  ASSERT_EQ(set.h, 32);
  ASSERT_EQ(set.w, 32);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = offset + i;
    EXPECT_EQ(set.labels[static_cast<size_t>(row)], (first_label + i) % 10);
    const uint8_t* img = set.pixels.data() + row * 3072;
    for (int64_t ch = 0; ch < 3; ++ch)
      for (int64_t r = 0; r < 32; ++r)
        for (int64_t c = 0; c < 32; ++c)
          ASSERT_EQ(img[ch * 1024 + r * 32 + c], cifar_pixel(i, ch, r, c)) << "record " << i << " ch " << ch;
  }
}

TEST_F(ReadersTest, CifarBatchPixelsAndLabelsAsWritten) {
  write_bytes(path("data_batch_1.bin"), cifar_records(12, 3));
  const ImageSet set = read_cifar10_batch(path("data_batch_1.bin"));
  ASSERT_EQ(set.n, 12);
  expect_cifar(set, 0, 12, 3);
  // Red plane first: record 0's pixel (0, 0) of channel 0 is cifar_pixel(0, 0, 0, 0).
  EXPECT_LT(set.pixels[0], 80);
  EXPECT_GE(set.pixels[1024], 80);
  EXPECT_GE(set.pixels[2048], 160);
}

TEST_F(ReadersTest, CifarDirectoryConcatenatesBatchesInOrder) {
  for (int b = 1; b <= 5; ++b) write_bytes(path("data_batch_" + std::to_string(b) + ".bin"), cifar_records(2, b));
  write_bytes(path("test_batch.bin"), cifar_records(3, 7));
  const TrainTest tt = read_cifar10(dir_.string());
  ASSERT_EQ(tt.train.n, 10);
  ASSERT_EQ(tt.test.n, 3);
  for (int b = 1; b <= 5; ++b) expect_cifar(tt.train, (b - 1) * 2, 2, b);
  expect_cifar(tt.test, 0, 3, 7);
}

TEST_F(ReadersTest, CifarBrokenInputsNameTheFile) {
  const Bytes good = cifar_records(2);
  write_bytes(path("empty.bin"), {});
  EXPECT_THAT(runtime_error_of([&] { read_cifar10_batch(path("empty.bin")); }),
              AllOf(HasSubstr(path("empty.bin")), HasSubstr("empty")));

  write_bytes(path("truncated.bin"), Bytes(good.begin(), good.end() - 100));
  EXPECT_THAT(runtime_error_of([&] { read_cifar10_batch(path("truncated.bin")); }),
              AllOf(HasSubstr(path("truncated.bin")), HasSubstr("not a whole number")));

  Bytes bad_label = good;
  bad_label[3073] = 42;  // record 1's label byte
  write_bytes(path("label.bin"), bad_label);
  EXPECT_THAT(runtime_error_of([&] { read_cifar10_batch(path("label.bin")); }),
              AllOf(HasSubstr(path("label.bin")), HasSubstr("record 1 has label 42")));

  // CIFAR-100 records are 3074 bytes: rejected by size.
  write_bytes(path("cifar100.bin"), Bytes(3074 * 3, 1));
  EXPECT_THAT(runtime_error_of([&] { read_cifar10_batch(path("cifar100.bin")); }), HasSubstr(path("cifar100.bin")));

  EXPECT_THAT(runtime_error_of([&] { read_cifar10_batch(path("missing.bin")); }),
              AllOf(HasSubstr(path("missing.bin")), HasSubstr("not found")));
  EXPECT_THAT(runtime_error_of([&] { read_cifar10_batch(dir_.string()); }), HasSubstr("is a directory"));

  // A directory missing one batch names that batch.
  for (int b = 1; b <= 4; ++b) write_bytes(path("data_batch_" + std::to_string(b) + ".bin"), good);
  EXPECT_THAT(runtime_error_of([&] { read_cifar10(dir_.string()); }), HasSubstr(path("data_batch_5.bin")));
}

// ---- SVHN

struct SvhnSpec {
  int64_t h = 32, w = 32, c = 3, n = 5;
  bool compressed = false;
  std::vector<double> y;  // default: 1..n mapped into 1..10
};

// X(r, col, ch, i) in MATLAB order (column-major): value encodes everything.
uint8_t svhn_pixel(int64_t r, int64_t col, int64_t ch, int64_t i) {
  return static_cast<uint8_t>((r * 5 + col * 3 + ch * 71 + i * 13) % 256);
}

void write_svhn(const std::string& path, const SvhnSpec& spec, bool with_y = true) {
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT5);
  ASSERT_NE(mat, nullptr);
  std::vector<uint8_t> x(static_cast<size_t>(spec.h * spec.w * spec.c * spec.n));
  for (int64_t i = 0; i < spec.n; ++i)
    for (int64_t ch = 0; ch < spec.c; ++ch)
      for (int64_t col = 0; col < spec.w; ++col)
        for (int64_t r = 0; r < spec.h; ++r)
          x[static_cast<size_t>(r + spec.h * (col + spec.w * (ch + spec.c * i)))] = svhn_pixel(r, col, ch, i);
  size_t xdims[4] = {static_cast<size_t>(spec.h), static_cast<size_t>(spec.w), static_cast<size_t>(spec.c),
                     static_cast<size_t>(spec.n)};
  matvar_t* xv = Mat_VarCreate("X", MAT_C_UINT8, MAT_T_UINT8, 4, xdims, x.data(), 0);
  ASSERT_NE(xv, nullptr);
  const matio_compression comp = spec.compressed ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE;
  ASSERT_EQ(Mat_VarWrite(mat, xv, comp), 0);
  Mat_VarFree(xv);
  if (with_y) {
    std::vector<double> y = spec.y;
    if (y.empty())
      for (int64_t i = 0; i < spec.n; ++i) y.push_back(static_cast<double>(i % 10 + 1));
    size_t ydims[2] = {y.size(), 1};
    matvar_t* yv = Mat_VarCreate("y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, ydims, y.data(), 0);
    ASSERT_NE(yv, nullptr);
    ASSERT_EQ(Mat_VarWrite(mat, yv, comp), 0);
    Mat_VarFree(yv);
  }
  Mat_Close(mat);
}

void expect_svhn(const ImageSet& set, const SvhnSpec& spec) {
  ASSERT_EQ(set.n, spec.n);
  ASSERT_EQ(set.c, 3);
  ASSERT_EQ(set.h, spec.h);
  ASSERT_EQ(set.w, spec.w);
  for (int64_t i = 0; i < spec.n; ++i) {
    const int64_t label = i % 10 + 1;
    EXPECT_EQ(set.labels[static_cast<size_t>(i)], label == 10 ? 0 : label) << "image " << i;
    for (int64_t ch = 0; ch < 3; ++ch)
      for (int64_t r = 0; r < spec.h; ++r)
        for (int64_t col = 0; col < spec.w; ++col)
          ASSERT_EQ(set.pixels[static_cast<size_t>(((i * 3 + ch) * spec.h + r) * spec.w + col)],
                    svhn_pixel(r, col, ch, i))
              << "image " << i << " ch " << ch << " row " << r << " col " << col;
  }
}

TEST_F(ReadersTest, SvhnMatPixelsAndLabelsAsWritten) {
  SvhnSpec spec;
  spec.n = 12;  // labels 1..10, 1, 2: covers 10 -> digit 0
  write_svhn(path("train_32x32.mat"), spec);
  expect_svhn(read_svhn_mat(path("train_32x32.mat")), spec);
}

TEST_F(ReadersTest, SvhnCompressedAndNonSquareFiles) {
  SvhnSpec spec;
  spec.compressed = true;
  spec.n = 11;
  write_svhn(path("compressed.mat"), spec);
  expect_svhn(read_svhn_mat(path("compressed.mat")), spec);

  // One image saved the way MATLAB does it: X 32x32x3 (trailing 1 dropped).
  {
    mat_t* mat = Mat_CreateVer(path("one.mat").c_str(), nullptr, MAT_FT_MAT5);
    std::vector<uint8_t> x(32 * 32 * 3);
    for (int64_t ch = 0; ch < 3; ++ch)
      for (int64_t col = 0; col < 32; ++col)
        for (int64_t r = 0; r < 32; ++r) x[static_cast<size_t>(r + 32 * (col + 32 * ch))] = svhn_pixel(r, col, ch, 0);
    size_t xdims[3] = {32, 32, 3};
    matvar_t* xv = Mat_VarCreate("X", MAT_C_UINT8, MAT_T_UINT8, 3, xdims, x.data(), 0);
    Mat_VarWrite(mat, xv, MAT_COMPRESSION_NONE);
    Mat_VarFree(xv);
    double y = 1;
    size_t ydims[2] = {1, 1};
    matvar_t* yv = Mat_VarCreate("y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, ydims, &y, 0);
    Mat_VarWrite(mat, yv, MAT_COMPRESSION_NONE);
    Mat_VarFree(yv);
    Mat_Close(mat);
    SvhnSpec one;
    one.n = 1;
    expect_svhn(read_svhn_mat(path("one.mat")), one);
  }

  SvhnSpec odd;  // rows != cols catches a transposed plane
  odd.h = 5;
  odd.w = 7;
  odd.n = 3;
  write_svhn(path("odd.mat"), odd);
  expect_svhn(read_svhn_mat(path("odd.mat")), odd);
}

TEST_F(ReadersTest, SvhnBrokenInputsNameTheFile) {
  SvhnSpec spec;
  write_svhn(path("good.mat"), spec);
  const Bytes good = read_bytes(path("good.mat"));

  write_bytes(path("empty.mat"), {});
  EXPECT_THAT(runtime_error_of([&] { read_svhn_mat(path("empty.mat")); }),
              AllOf(HasSubstr(path("empty.mat")), HasSubstr("empty")));

  write_bytes(path("truncated.mat"), Bytes(good.begin(), good.begin() + static_cast<long>(good.size() / 2)));
  EXPECT_THAT(runtime_error_of([&] { read_svhn_mat(path("truncated.mat")); }), HasSubstr(path("truncated.mat")));

  const std::string text = "this is not a MATLAB file, just some text that is long enough for a header......"
                           "..........................................................................";
  write_bytes(path("text.mat"), Bytes(text.begin(), text.end()));
  EXPECT_THAT(runtime_error_of([&] { read_svhn_mat(path("text.mat")); }), HasSubstr(path("text.mat")));

  Bytes magic = good;
  magic[126] = 'X';  // the endian indicator "IM"/"MI" at bytes 126..127
  magic[127] = 'X';
  write_bytes(path("magic.mat"), magic);
  EXPECT_THAT(runtime_error_of([&] { read_svhn_mat(path("magic.mat")); }), HasSubstr(path("magic.mat")));

  SvhnSpec grey;
  grey.c = 1;
  write_svhn(path("grey.mat"), grey);
  EXPECT_THAT(runtime_error_of([&] { read_svhn_mat(path("grey.mat")); }),
              AllOf(HasSubstr(path("grey.mat")), HasSubstr("32x32x1x5"), HasSubstr("expected uint8 X")));

  SvhnSpec few = spec;
  few.y = {1, 2, 3};
  write_svhn(path("few.mat"), few);
  EXPECT_THAT(runtime_error_of([&] { read_svhn_mat(path("few.mat")); }),
              AllOf(HasSubstr(path("few.mat")), HasSubstr("y has size 3x1 but X holds 5 images")));

  SvhnSpec range = spec;
  range.y = {1, 2, 11, 4, 5};
  write_svhn(path("range.mat"), range);
  EXPECT_THAT(runtime_error_of([&] { read_svhn_mat(path("range.mat")); }),
              AllOf(HasSubstr(path("range.mat")), HasSubstr("y(3)")));

  write_svhn(path("noy.mat"), spec, /*with_y=*/false);
  EXPECT_THAT(runtime_error_of([&] { read_svhn_mat(path("noy.mat")); }),
              AllOf(HasSubstr(path("noy.mat")), HasSubstr("no variable 'y'")));

  EXPECT_THAT(runtime_error_of([&] { read_svhn_mat(path("missing.mat")); }),
              AllOf(HasSubstr(path("missing.mat")), HasSubstr("not found")));
}

// A 332-byte file found by fuzz/run.sh: a compressed element whose contents
// make matio allocate ~4.7 GB while reading the variable headers. It must
// end in a clear error, not a crash (the allocation is matio's, lazily
// backed, and freed again).
TEST_F(ReadersTest, SvhnFuzzFindingIsAClearError) {
  const std::string fixture = std::string(LATENTEBM_SOURCE_DIR) + "/tests/data/fixtures/svhn-fuzz-huge-alloc.mat";
  EXPECT_THAT(runtime_error_of([&] { read_svhn_mat(fixture); }), HasSubstr(fixture));
}

// ---- the CLI end to end: `latentebm prepare svhn|cifar10` writes the layout.

int run(const std::string& cmd) { return std::system((cmd + " > /dev/null 2>&1").c_str()); }

TEST_F(ReadersTest, PrepareCommandWritesSvhnAndCifarFiles) {
  const char* bin = std::getenv("LATENTEBM_BIN");
  if (bin == nullptr) GTEST_SKIP() << "LATENTEBM_BIN not set (run through ctest)";

  SvhnSpec train, test;
  train.n = 12;
  test.n = 4;
  write_svhn(path("train_32x32.mat"), train);
  write_svhn(path("test_32x32.mat"), test);
  ASSERT_EQ(run(std::string(bin) + " prepare svhn --dir " + dir_.string() + " --out " + path("svhn.h5")), 0);
  latentebm::h5::File svhn(path("svhn.h5"), latentebm::h5::Mode::Read);
  EXPECT_EQ(svhn.shape("/train/images"), (std::vector<int64_t>{12, 3, 32, 32}));
  EXPECT_EQ(svhn.shape("/test/images"), (std::vector<int64_t>{4, 3, 32, 32}));
  ImageSet got;
  got.n = 12;
  got.c = 3;
  got.h = got.w = 32;
  got.pixels = svhn.read_u8("/train/images");
  got.labels = svhn.read_i64("/train/labels");
  expect_svhn(got, train);

  fs::create_directories(dir_ / "cifar-10-batches-bin");
  for (int b = 1; b <= 5; ++b)
    write_bytes(path("cifar-10-batches-bin/data_batch_" + std::to_string(b) + ".bin"), cifar_records(2, b));
  write_bytes(path("cifar-10-batches-bin/test_batch.bin"), cifar_records(3, 7));
  ASSERT_EQ(run(std::string(bin) + " prepare cifar10 --dir " + path("cifar-10-batches-bin") + " --out " +
                path("cifar.h5")),
            0);
  latentebm::h5::File cifar(path("cifar.h5"), latentebm::h5::Mode::Read);
  ImageSet tr;
  tr.n = 10;
  tr.c = 3;
  tr.h = tr.w = 32;
  tr.pixels = cifar.read_u8("/train/images");
  tr.labels = cifar.read_i64("/train/labels");
  for (int b = 1; b <= 5; ++b) expect_cifar(tr, (b - 1) * 2, 2, b);
  EXPECT_EQ(cifar.shape("/test/images"), (std::vector<int64_t>{3, 3, 32, 32}));

  // A broken input fails the command and leaves no output behind.
  write_bytes(path("cifar-10-batches-bin/test_batch.bin"), {1, 2, 3});
  EXPECT_NE(run(std::string(bin) + " prepare cifar10 --dir " + path("cifar-10-batches-bin") + " --out " +
                path("broken.h5")),
            0);
  EXPECT_FALSE(fs::exists(path("broken.h5")));
  EXPECT_FALSE(fs::exists(path("broken.h5.tmp")));
}

}  // namespace
