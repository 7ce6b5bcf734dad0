// .npz output: what npz::write produces is a zip (read back here with libzip
// directly, not through npz::read) of .npy files whose headers numpy accepts.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "io/npz.h"
#include "support/scratch_dir.h"

using namespace latentebm;

namespace {

std::vector<uint8_t> member_bytes(const std::string& path, const std::string& name) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  EXPECT_NE(z, nullptr);
  if (!z) return {};
  zip_stat_t st;
  EXPECT_EQ(zip_stat(z, name.c_str(), 0, &st), 0) << name;
  std::vector<uint8_t> b(static_cast<size_t>(st.size));
  zip_file_t* f = zip_fopen(z, name.c_str(), 0);
  EXPECT_NE(f, nullptr);
  EXPECT_EQ(zip_fread(f, b.data(), b.size()), static_cast<zip_int64_t>(b.size()));
  zip_fclose(f);
  EXPECT_EQ(zip_get_num_entries(z, 0), 2);
  zip_discard(z);
  return b;
}

// The .npy v1.0 header as numpy writes it: dict text padded with spaces to a
// 64-byte boundary, ending in '\n'.
std::string header_of(const std::vector<uint8_t>& b) {
  EXPECT_GE(b.size(), 10u);
  EXPECT_EQ(b[0], 0x93);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data() + 1), 5), "NUMPY");
  EXPECT_EQ(b[6], 1);
  EXPECT_EQ(b[7], 0);
  const size_t len = b[8] | (size_t{b[9]} << 8);
  EXPECT_EQ((10 + len) % 64, 0u);
  std::string h(reinterpret_cast<const char*>(b.data() + 10), len);
  EXPECT_EQ(h.back(), '\n');
  while (!h.empty() && (h.back() == ' ' || h.back() == '\n')) h.pop_back();
  return h;
}

}  // namespace

TEST(Npz, RoundTripThroughLibzip) {
  const latentebm::testing::ScratchDir dir;
  const auto path = dir.file("a.npz");
  npz::Array samples{"samples", "|u1", {2, 1, 3, 4}, {}};
  for (int i = 0; i < 24; ++i) samples.data.push_back(static_cast<uint8_t>(i * 11));
  const std::vector<float> z = {0.5f, -1.25f, 3.0f, 1e-3f, -0.0f};
  npz::Array zs{"z", "<f4", {5}, std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(z.data()),
                                                      reinterpret_cast<const uint8_t*>(z.data()) + 20)};
  npz::write(path, {samples, zs});

  auto sb = member_bytes(path, "samples.npy");
  EXPECT_EQ(header_of(sb), "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1, 3, 4), }");
  ASSERT_EQ(sb.size() % 64, 24u);  // data follows the 64-aligned header
  EXPECT_TRUE(std::equal(samples.data.begin(), samples.data.end(), sb.end() - 24));
  auto zb = member_bytes(path, "z.npy");
  EXPECT_EQ(header_of(zb), "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }");
  float back[5];
  std::memcpy(back, zb.data() + zb.size() - 20, 20);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(back[i], z[static_cast<size_t>(i)]);

  // And the library's own reader.
  const auto arrays = npz::read(path);
  ASSERT_EQ(arrays.size(), 2u);
  EXPECT_EQ(arrays[0].name, "samples");
  EXPECT_EQ(arrays[0].shape, samples.shape);
  EXPECT_EQ(arrays[0].data, samples.data);
  EXPECT_EQ(arrays[1].dtype, "<f4");
  EXPECT_EQ(arrays[1].shape, std::vector<int64_t>{5});
  EXPECT_EQ(arrays[1].data, zs.data);
  std::filesystem::remove(path);

  // Mismatched sizes and unreadable files fail clearly.
  npz::Array wrong{"w", "<f4", {3}, {1, 2, 3}};
  EXPECT_THROW(npz::write(path, {wrong}), std::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_THROW(npz::read(path), std::runtime_error);
  EXPECT_THROW(npz::from_npy("x", {1, 2, 3}), std::runtime_error);
}

TEST(Npz, TypedArraysCarryDtypeShapeAndBytes) {
  const auto u = npz::uint8_array("samples", {1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(u.dtype, "|u1");
  EXPECT_EQ(u.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(u.data, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_THROW(npz::uint8_array("samples", {1, 2}, {3}), std::invalid_argument);
  const float v[3] = {1.5f, -2.0f, 0.25f};
  const auto f = npz::float32_array("z", v, {3, 1});
  EXPECT_EQ(f.dtype, "<f4");
  ASSERT_EQ(f.data.size(), 12u);
  float back[3];
  std::memcpy(back, f.data.data(), 12);
  EXPECT_EQ(back[1], -2.0f);
  EXPECT_EQ(back[2], 0.25f);
}
