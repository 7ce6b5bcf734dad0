// Writes a small seed corpus for each harness: fuzz/corpus/<harness>/...
#include <matio.h>
#include <stb_image_write.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

static void write(const fs::path& p, const std::vector<uint8_t>& b) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<long>(b.size()));
}

static void mat(const fs::path& p, size_t h, size_t w, size_t n, bool compress) {
  mat_t* m = Mat_CreateVer(p.c_str(), nullptr, MAT_FT_MAT5);
  std::vector<uint8_t> x(h * w * 3 * n);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i * 7);
  size_t xd[4] = {h, w, 3, n};
  matvar_t* xv = Mat_VarCreate("X", MAT_C_UINT8, MAT_T_UINT8, 4, xd, x.data(), 0);
  Mat_VarWrite(m, xv, compress ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE);
  Mat_VarFree(xv);
  std::vector<double> y(n);
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<double>(i % 10 + 1);
  size_t yd[2] = {n, 1};
  matvar_t* yv = Mat_VarCreate("y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, yd, y.data(), 0);
  Mat_VarWrite(m, yv, compress ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE);
  Mat_VarFree(yv);
  Mat_Close(m);
}

static void add_prefix(const fs::path& p, uint8_t first) {
  std::ifstream in(p, std::ios::binary);
  std::vector<uint8_t> b(std::istreambuf_iterator<char>(in), {});
  b.insert(b.begin(), first);
  write(p, b);
}

int main(int argc, char** argv) {
  const fs::path root = argc > 1 ? argv[1] : "corpus";
  for (const char* d : {"cifar", "svhn", "image"}) fs::create_directories(root / d);
  std::vector<uint8_t> rec;
  for (int r = 0; r < 2; ++r) {
    rec.push_back(static_cast<uint8_t>(r + 3));
    for (int i = 0; i < 3072; ++i) rec.push_back(static_cast<uint8_t>(i));
  }
  write(root / "cifar" / "two-records", rec);
  mat(root / "svhn" / "plain.mat", 4, 4, 2, false);
  mat(root / "svhn" / "zlib.mat", 4, 4, 2, true);
  mat(root / "svhn" / "svhn-shape.mat", 32, 32, 1, true);
  std::vector<uint8_t> px(24 * 20 * 3);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 13 % 251);
  stbi_write_png((root / "image" / "rgb.png").c_str(), 24, 20, 3, px.data(), 24 * 3);
  stbi_write_png((root / "image" / "grey.png").c_str(), 12, 10, 1, px.data(), 12);
  stbi_write_jpg((root / "image" / "rgb.jpg").c_str(), 24, 20, 3, px.data(), 80);
  for (const char* f : {"rgb.png", "grey.png", "rgb.jpg"}) add_prefix(root / "image" / f, 0);
  return 0;
}
