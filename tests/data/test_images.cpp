// Image decoding (stb), crops/resizes, folder listing and the streaming
// conversion of CelebA / image folders: pixels as written (PNG exact, JPEG
// within a tolerance), stable order and split, bad files skipped or fatal,
// and the output file only ever appearing complete.
#include "data/images.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stb_image_write.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/image_folder.h"
#include "io/h5.h"
#include "support/bytes.h"
#include "support/errors.h"
#include "support/scratch_dir.h"

namespace fs = std::filesystem;
using namespace latentebm::data;
using ::testing::AllOf;
using ::testing::HasSubstr;
using namespace latentebm::testing;

namespace {

class ImagesTest : public latentebm::testing::ScratchDirTest {};

// An interleaved (HWC) test picture: value depends on position, channel and seed.
Bytes picture(int w, int h, int c, int seed) {
  Bytes px(static_cast<size_t>(w) * h * c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) px[(static_cast<size_t>(y) * w + x) * c + k] = static_cast<uint8_t>((x * 9 + y * 5 + k * 60 + seed * 31) % 256);
  return px;
}

// A smooth picture (JPEG-friendly): gradients per channel.
Bytes smooth(int w, int h, int seed) {
  Bytes px(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &px[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<uint8_t>(40 + (x * 120) / w + seed);
      p[1] = static_cast<uint8_t>(60 + (y * 120) / h);
      p[2] = static_cast<uint8_t>(200 - seed);
    }
  return px;
}

void write_png(const std::string& path, int w, int h, int c, const Bytes& px) {
  ASSERT_NE(stbi_write_png(path.c_str(), w, h, c, px.data(), w * c), 0) << path;
}

void write_jpg(const std::string& path, int w, int h, const Bytes& px, int quality = 95) {
  ASSERT_NE(stbi_write_jpg(path.c_str(), w, h, 3, px.data(), quality), 0) << path;
}




// HWC -> CHW of the window (x0, y0, side x side).
Bytes chw_window(const Bytes& hwc, int w, int c, int x0, int y0, int side) {
  Bytes out(static_cast<size_t>(c) * side * side);
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x)
        out[(static_cast<size_t>(k) * side + y) * side + x] = hwc[((static_cast<size_t>(y0 + y)) * w + x0 + x) * c + k];
  return out;
}

struct Prepared {
  std::vector<int64_t> train_shape, test_shape;
  Bytes train, test;
  std::vector<int64_t> train_labels, test_labels;
};

Prepared load(const std::string& path) {
  inspect_dataset(path);  // validates the layout
  latentebm::h5::File f(path, latentebm::h5::Mode::Read);
  return {f.shape("/train/images"), f.shape("/test/images"), f.read_u8("/train/images"), f.read_u8("/test/images"),
          f.read_i64("/train/labels"), f.read_i64("/test/labels")};
}

Bytes image_at(const Bytes& all, size_t index, size_t image_bytes) {
  return Bytes(all.begin() + static_cast<long>(index * image_bytes), all.begin() + static_cast<long>((index + 1) * image_bytes));
}

// ---- decode

TEST_F(ImagesTest, PngDecodesExactly) {
  const Bytes rgb = picture(9, 7, 3, 1);
  write_png(make_path("rgb.png"), 9, 7, 3, rgb);
  const DecodedImage img = read_image(make_path("rgb.png"), 3);
  EXPECT_EQ(img.width, 9);
  EXPECT_EQ(img.height, 7);
  EXPECT_EQ(img.pixels, rgb);

  const Bytes grey = picture(5, 4, 1, 2);
  write_png(make_path("grey.png"), 5, 4, 1, grey);
  EXPECT_EQ(read_image(make_path("grey.png"), 1).pixels, grey);
  // Grey expanded to RGB repeats the value in every channel.
  const DecodedImage expanded = read_image(make_path("grey.png"), 3);
  for (size_t i = 0; i < grey.size(); ++i) {
    EXPECT_EQ(expanded.pixels[i * 3], grey[i]);
    EXPECT_EQ(expanded.pixels[i * 3 + 2], grey[i]);
  }
}

TEST_F(ImagesTest, JpegDecodesWithinTolerance) {
  const Bytes px = smooth(32, 24, 0);
  write_jpg(make_path("a.jpg"), 32, 24, px);
  const DecodedImage img = read_image(make_path("a.jpg"), 3);
  ASSERT_EQ(img.pixels.size(), px.size());
  double err = 0;
  for (size_t i = 0; i < px.size(); ++i) err += std::abs(int(img.pixels[i]) - int(px[i]));
  EXPECT_LT(err / px.size(), 3.0);  // mean absolute error of a quality-95 JPEG
}

TEST_F(ImagesTest, BrokenImagesNameTheFile) {
  write_png(make_path("good.png"), 16, 16, 3, picture(16, 16, 3, 0));
  write_jpg(make_path("good.jpg"), 16, 16, smooth(16, 16, 0));
  const Bytes png = read_bytes(make_path("good.png")), jpg = read_bytes(make_path("good.jpg"));

  write_bytes(make_path("empty.png"), {});
  EXPECT_THAT(runtime_error_of([&] { read_image(make_path("empty.png"), 3); }), AllOf(HasSubstr(make_path("empty.png")), HasSubstr("empty")));
  write_bytes(make_path("text.jpg"), Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  EXPECT_THAT(runtime_error_of([&] { read_image(make_path("text.jpg"), 3); }),
              AllOf(HasSubstr(make_path("text.jpg")), HasSubstr("neither JPEG nor PNG")));
  write_bytes(make_path("cut.png"), Bytes(png.begin(), png.begin() + static_cast<long>(png.size() / 2)));
  EXPECT_THAT(runtime_error_of([&] { read_image(make_path("cut.png"), 3); }), AllOf(HasSubstr(make_path("cut.png")), HasSubstr("truncated")));
  write_bytes(make_path("cut.jpg"), Bytes(jpg.begin(), jpg.begin() + static_cast<long>(jpg.size() * 2 / 3)));
  EXPECT_THAT(runtime_error_of([&] { read_image(make_path("cut.jpg"), 3); }), AllOf(HasSubstr(make_path("cut.jpg")), HasSubstr("truncated")));
  // A PNG whose header was overwritten: signature fine, IHDR garbage.
  Bytes bad_header = png;
  for (size_t i = 12; i < 29; ++i) bad_header[i] = 0xee;
  write_bytes(make_path("header.png"), bad_header);
  EXPECT_THAT(runtime_error_of([&] { read_image(make_path("header.png"), 3); }), HasSubstr(make_path("header.png")));
  EXPECT_THAT(runtime_error_of([&] { read_image(make_path("missing.png"), 3); }), AllOf(HasSubstr(make_path("missing.png")), HasSubstr("not found")));
}

// ---- crop and resize

TEST_F(ImagesTest, CentreSquareCropWithoutResizeIsExact) {
  const Bytes px = picture(20, 16, 3, 4);  // wide: crop x0 = 2
  DecodedImage img{20, 16, 3, px};
  Bytes out(3 * 16 * 16);
  crop_resize_chw(img, 0, 16, out.data(), "wide");
  EXPECT_EQ(out, chw_window(px, 20, 3, 2, 0, 16));

  const Bytes tall = picture(10, 15, 3, 5);  // tall: crop y0 = 2
  DecodedImage timg{10, 15, 3, tall};
  Bytes tout(3 * 10 * 10);
  crop_resize_chw(timg, 0, 10, tout.data(), "tall");
  EXPECT_EQ(tout, chw_window(tall, 10, 3, 0, 2, 10));

  // CelebA's window: 140 x 140 at (19, 39) of a 178 x 218 image.
  const Bytes celeba = picture(178, 218, 3, 6);
  DecodedImage cimg{178, 218, 3, celeba};
  Bytes cout(3 * 140 * 140);
  crop_resize_chw(cimg, kCelebaCrop, 140, cout.data(), "celeba");
  EXPECT_EQ(cout, chw_window(celeba, 178, 3, 19, 39, 140));
}

TEST_F(ImagesTest, ResizeKeepsFlatColoursAndGradients) {
  Bytes flat(32 * 32 * 3);
  for (size_t i = 0; i < flat.size(); i += 3) {
    flat[i] = 200;
    flat[i + 1] = 100;
    flat[i + 2] = 7;
  }
  DecodedImage img{32, 32, 3, flat};
  Bytes out(3 * 8 * 8);
  crop_resize_chw(img, 0, 8, out.data(), "flat");
  for (int i = 0; i < 64; ++i) {
    EXPECT_NEAR(out[i], 200, 1);
    EXPECT_NEAR(out[64 + i], 100, 1);
    EXPECT_NEAR(out[128 + i], 7, 1);
  }
  // A horizontal ramp stays a ramp: left to right increasing.
  Bytes ramp(64 * 64);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) ramp[static_cast<size_t>(y) * 64 + x] = static_cast<uint8_t>(x * 4);
  DecodedImage rimg{64, 64, 1, ramp};
  Bytes rout(16 * 16);
  crop_resize_chw(rimg, 0, 16, rout.data(), "ramp");
  for (int x = 1; x < 16; ++x) EXPECT_GT(rout[5 * 16 + x], rout[5 * 16 + x - 1]);
  EXPECT_NEAR(rout[5 * 16 + 8], 8 * 16 + 6, 3);  // centre of output pixel 8 = source x 33.5
}

// ---- listing and the folder conversion

TEST_F(ImagesTest, FolderListingIsRecursiveSortedByBytesAndFiltersExtensions) {
  const Bytes px = picture(4, 4, 3, 0);
  for (const char* name : {"b.png", "a/c.PNG", "A.jpg", "a.jpeg", "z/y/x.png"}) write_png(make_path(name), 4, 4, 3, px);
  write_bytes(make_path("notes.txt"), {'x'});
  write_bytes(make_path("a/d.gif"), {'x'});
  const std::vector<std::string> files = list_image_files(dir_.string(), true);
  std::vector<std::string> rel;
  for (const auto& f : files) rel.push_back(fs::path(f).lexically_relative(dir_).string());
  EXPECT_EQ(rel, (std::vector<std::string>{"A.jpg", "a.jpeg", "a/c.PNG", "b.png", "z/y/x.png"}));
  EXPECT_EQ(list_image_files(dir_.string(), false).size(), 3u);

  // floor(0.4 * 5) = 2 test images: test_subset(5, 2) = rows 0 and 3; the
  // rest train, each split in sorted order.
  const ImageLists lists = split_random(files, 0.4);
  EXPECT_EQ(lists.test, (std::vector<std::string>{files[0], files[3]}));
  EXPECT_EQ(lists.train, (std::vector<std::string>{files[1], files[2], files[4]}));
  EXPECT_EQ(split_random(files, 0.0).test.size(), 0u);
  EXPECT_EQ(split_random(files, 0.0).train, files);
  EXPECT_THROW(split_random(files, 1.0), std::invalid_argument);
}

TEST(ImageSplit, ClassSubfoldersAllReachTheTestSplit) {
  // 4 class folders of 25 images, sorted by path: the last 20 files would be
  // class d only; the test split holds a uniform 20, so every class, and
  // train and test together are the listing, each in its order.
  std::vector<std::string> files;
  for (const char* cls : {"a", "b", "c", "d"})
    for (int i = 10; i < 35; ++i) files.push_back(std::string(cls) + "/" + std::to_string(i) + ".png");
  const ImageLists lists = split_random(files, 0.2);
  ASSERT_EQ(lists.test.size(), 20u);
  ASSERT_EQ(lists.train.size(), 80u);
  for (const char* cls : {"a/", "b/", "c/", "d/"}) {
    const auto n = std::count_if(lists.test.begin(), lists.test.end(), [&](const std::string& f) { return f.rfind(cls, 0) == 0; });
    EXPECT_GE(n, 1) << "class " << cls << " in the test split";
  }
  std::vector<std::string> both = lists.train;
  both.insert(both.end(), lists.test.begin(), lists.test.end());
  EXPECT_TRUE(std::is_sorted(lists.train.begin(), lists.train.end()));
  EXPECT_TRUE(std::is_sorted(lists.test.begin(), lists.test.end()));
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, files);
  for (size_t k = 0; k < lists.test.size(); ++k) EXPECT_EQ(lists.test[k], files[size_t(test_subset(100, 20)[k])]);
}

TEST_F(ImagesTest, FolderConversionPixelsOrderAndSplit) {
  // 7 PNGs of 12x12 in nested folders; prepared at 12x12, so pixels are exact.
  std::vector<std::string> names = {"k/0.png", "k/1.png", "m/2.png", "m/n/3.png", "p4.png", "p5.png", "p6.png"};
  std::vector<Bytes> pics;
  for (size_t i = 0; i < names.size(); ++i) {
    pics.push_back(picture(12, 12, 3, static_cast<int>(i)));
    write_png(make_path("in/" + names[i]), 12, 12, 3, pics.back());
  }
  ImageConvertOptions o;
  o.size = 12;
  o.chunk_images = 2;  // several blocks
  o.num_workers = 3;
  const ConvertSummary s = convert_images(list_folder(make_path("in"), 0.3), make_path("out.h5"), "folder", "test", o);
  EXPECT_EQ(s.n_train, 5);
  EXPECT_EQ(s.n_test, 2);
  EXPECT_TRUE(s.skipped.empty());
  const Prepared p = load(make_path("out.h5"));
  EXPECT_EQ(p.train_shape, (std::vector<int64_t>{5, 3, 12, 12}));
  EXPECT_EQ(p.test_shape, (std::vector<int64_t>{2, 3, 12, 12}));
  // floor(0.3 * 7) = 2 test images, test_subset(7, 2) = files 2 and 6; each
  // split keeps the listing's order.
  const size_t train_of[5] = {0, 1, 3, 4, 5}, test_of[2] = {2, 6};
  for (size_t j = 0; j < 5; ++j)
    EXPECT_EQ(image_at(p.train, j, 432), chw_window(pics[train_of[j]], 12, 3, 0, 0, 12)) << names[train_of[j]];
  for (size_t j = 0; j < 2; ++j)
    EXPECT_EQ(image_at(p.test, j, 432), chw_window(pics[test_of[j]], 12, 3, 0, 0, 12)) << names[test_of[j]];
  EXPECT_EQ(p.train_labels, std::vector<int64_t>(5, -1));
  EXPECT_EQ(p.test_labels, std::vector<int64_t>(2, -1));

  // Grey output from the same folder, and the same bytes whatever the workers.
  o.channels = 1;
  o.num_workers = 1;
  o.chunk_images = 1000;
  convert_images(list_folder(make_path("in"), 0.3), make_path("grey1.h5"), "folder", "test", o);
  o.num_workers = 2;
  o.chunk_images = 3;
  convert_images(list_folder(make_path("in"), 0.3), make_path("grey2.h5"), "folder", "test", o);
  const Prepared g1 = load(make_path("grey1.h5")), g2 = load(make_path("grey2.h5"));
  EXPECT_EQ(g1.train_shape, (std::vector<int64_t>{5, 1, 12, 12}));
  EXPECT_EQ(g1.train, g2.train);
  EXPECT_EQ(g1.test, g2.test);
}

TEST_F(ImagesTest, BadFilesAreSkippedWithTheirPathsOrFatal) {
  const Bytes px = picture(8, 8, 3, 1);
  write_png(make_path("in/a.png"), 8, 8, 3, px);
  write_bytes(make_path("in/b.png"), {});                            // empty
  write_bytes(make_path("in/c.jpg"), {'n', 'o', 't', ' ', 'j', 'p', 'g'});  // wrong magic
  write_png(make_path("in/d.png"), 8, 8, 3, picture(8, 8, 3, 2));
  const Bytes d = read_bytes(make_path("in/d.png"));
  write_bytes(make_path("in/e.png"), Bytes(d.begin(), d.begin() + 40));  // truncated
  write_png(make_path("in/f.png"), 8, 8, 3, picture(8, 8, 3, 3));

  ImageConvertOptions o;
  o.size = 8;
  o.chunk_images = 2;
  o.num_workers = 2;
  const ConvertSummary s = convert_images(list_folder(make_path("in"), 0.0), make_path("out.h5"), "folder", "test", o);
  EXPECT_EQ(s.n_train, 3);
  ASSERT_EQ(s.skipped.size(), 3u);
  EXPECT_THAT(s.skipped[0], HasSubstr(make_path("in/b.png")));
  EXPECT_THAT(s.skipped[1], HasSubstr(make_path("in/c.jpg")));
  EXPECT_THAT(s.skipped[2], AllOf(HasSubstr(make_path("in/e.png")), HasSubstr("truncated")));
  const Prepared p = load(make_path("out.h5"));
  EXPECT_EQ(p.train_shape, (std::vector<int64_t>{3, 3, 8, 8}));
  EXPECT_EQ(image_at(p.train, 0, 192), chw_window(px, 8, 3, 0, 0, 8));
  EXPECT_EQ(image_at(p.train, 1, 192), chw_window(picture(8, 8, 3, 2), 8, 3, 0, 0, 8));
  EXPECT_EQ(image_at(p.train, 2, 192), chw_window(picture(8, 8, 3, 3), 8, 3, 0, 0, 8));
  EXPECT_EQ(p.test_shape, (std::vector<int64_t>{0, 3, 8, 8}));

  // Fatal mode names the first bad file and leaves neither output nor temp file.
  o.on_bad_file = OnBadFile::Fail;
  EXPECT_THAT(runtime_error_of([&] { convert_images(list_folder(make_path("in"), 0.0), make_path("fail.h5"), "folder", "test", o); }),
              AllOf(HasSubstr(make_path("in/b.png")), HasSubstr("--on-bad-file skip")));
  EXPECT_FALSE(fs::exists(make_path("fail.h5")));
  EXPECT_FALSE(fs::exists(make_path("fail.h5.tmp")));

  // Nothing readable at all is an error too.
  write_bytes(make_path("junk/x.png"), {1, 2, 3});
  o.on_bad_file = OnBadFile::Skip;
  EXPECT_THAT(runtime_error_of([&] { convert_images(list_folder(make_path("junk"), 0.0), make_path("junk.h5"), "folder", "test", o); }),
              HasSubstr(make_path("junk/x.png")));
  EXPECT_FALSE(fs::exists(make_path("junk.h5")));
  EXPECT_THAT(runtime_error_of([&] { list_folder(make_path("empty-dir/"), 0.1); }), HasSubstr("no .jpg"));
}

// ---- CelebA

// A 178 x 218 JPEG whose 140 x 140 centre window (19, 39) is one colour and
// the border another, so the prepared 64 x 64 image must be the inner colour.
void write_celeba(const std::string& path, uint8_t r, uint8_t g, uint8_t b) {
  Bytes px(178 * 218 * 3);
  for (int y = 0; y < 218; ++y)
    for (int x = 0; x < 178; ++x) {
      const bool inside = x >= 19 && x < 159 && y >= 39 && y < 179;
      uint8_t* p = &px[(static_cast<size_t>(y) * 178 + x) * 3];
      p[0] = inside ? r : 0;
      p[1] = inside ? g : 255;
      p[2] = inside ? b : 0;
    }
  write_jpg(path, 178, 218, px);
}

TEST_F(ImagesTest, CelebaPartitionCropAndResize) {
  const std::vector<std::array<uint8_t, 3>> colours = {{200, 40, 40}, {40, 200, 40}, {40, 40, 200}, {120, 120, 30}};
  for (int i = 0; i < 4; ++i)
    write_celeba(make_path("celeba/img_align_celeba/00000" + std::to_string(i + 1) + ".jpg"), colours[i][0], colours[i][1],
                 colours[i][2]);
  {
    std::ofstream part(make_path("celeba/list_eval_partition.txt"));
    part << "000001.jpg 0\n000002.jpg 1\n000003.jpg 2\r\n000004.jpg 0\n";
  }
  ImageConvertOptions o;
  o.crop = kCelebaCrop;
  o.size = 64;
  const ImageLists lists = list_celeba(make_path("celeba"), "", 0.1, "test");
  ASSERT_EQ(lists.train.size(), 2u);
  ASSERT_EQ(lists.test.size(), 2u);
  convert_images(lists, make_path("celeba.h5"), "celeba", "test", o);
  const Prepared p = load(make_path("celeba.h5"));
  EXPECT_EQ(p.train_shape, (std::vector<int64_t>{2, 3, 64, 64}));
  const int order[4] = {0, 3, 1, 2};  // train: 1, 4; test: 2 (validation), 3
  for (int j = 0; j < 4; ++j) {
    const Bytes img = image_at(j < 2 ? p.train : p.test, static_cast<size_t>(j % 2), 3 * 64 * 64);
    const auto& want = colours[static_cast<size_t>(order[j])];
    for (int k = 0; k < 3; ++k) {
      double sum = 0, worst = 0;
      for (int i = 0; i < 64 * 64; ++i) {
        const double diff = std::abs(int(img[static_cast<size_t>(k * 4096 + i)]) - int(want[static_cast<size_t>(k)]));
        sum += diff;
        worst = std::max(worst, diff);
      }
      EXPECT_LT(sum / 4096, 4.0) << "image " << j << " channel " << k;  // no border colour crept in
      EXPECT_LT(worst, 40.0) << "image " << j << " channel " << k;
    }
  }

  // Validation images can go to train or nowhere.
  EXPECT_EQ(list_celeba(make_path("celeba"), "", 0.1, "train").train.size(), 3u);
  EXPECT_EQ(list_celeba(make_path("celeba"), "", 0.1, "drop").test.size(), 1u);
  // Without a partition file: sorted names, a uniform fraction tests
  // (test_subset(4, 1) = the first name).
  const ImageLists random = list_celeba(make_path("celeba"), "none", 0.25, "test");
  ASSERT_EQ(random.train.size(), 3u);
  ASSERT_EQ(random.test.size(), 1u);
  EXPECT_THAT(random.test[0], HasSubstr("000001.jpg"));
}

TEST_F(ImagesTest, CelebaBrokenPartitionFiles) {
  write_celeba(make_path("c/img_align_celeba/000001.jpg"), 10, 20, 30);
  {
    std::ofstream part(make_path("c/bad.txt"));
    part << "000001.jpg 0\n000002.jpg three\n";
  }
  EXPECT_THAT(runtime_error_of([&] { list_celeba(make_path("c"), make_path("c/bad.txt"), 0.1, "test"); }),
              AllOf(HasSubstr(make_path("c/bad.txt")), HasSubstr("line 2")));
  {
    std::ofstream part(make_path("c/missing.txt"));
    part << "000001.jpg 0\n000002.jpg 2\n";
  }
  EXPECT_THAT(runtime_error_of([&] { list_celeba(make_path("c"), make_path("c/missing.txt"), 0.1, "test"); }),
              AllOf(HasSubstr("1 images listed"), HasSubstr("000002.jpg")));
  EXPECT_THAT(runtime_error_of([&] { list_celeba(make_path("c"), make_path("c/nope.txt"), 0.1, "test"); }), HasSubstr(make_path("c/nope.txt")));
}

// ---- the CLI: `latentebm prepare folder` end to end.

TEST_F(ImagesTest, PrepareFolderCommand) {
  const char* bin = std::getenv("LATENTEBM_BIN");
  if (bin == nullptr) GTEST_SKIP() << "LATENTEBM_BIN not set (run through ctest)";
  for (int i = 0; i < 5; ++i) write_png(make_path("in/" + std::to_string(i) + ".png"), 6, 6, 3, picture(6, 6, 3, i));
  write_bytes(make_path("in/2b.png"), {0x89, 'P', 'N', 'G'});  // skipped
  const std::string base = std::string(bin) + " prepare folder --dir " + make_path("in") + " --size 6 --test-fraction 0.2 ";
  ASSERT_EQ(std::system((base + "--num-workers 2 --out " + make_path("f.h5") + " > /dev/null 2>&1").c_str()), 0);
  const Prepared p = load(make_path("f.h5"));
  EXPECT_EQ(p.train_shape, (std::vector<int64_t>{4, 3, 6, 6}));  // 0 1 [2b] 3 4 | 2 (test_subset(6, 1) = 2)
  EXPECT_EQ(p.test_shape, (std::vector<int64_t>{1, 3, 6, 6}));
  EXPECT_NE(std::system((base + "--on-bad-file fail --out " + make_path("g.h5") + " > /dev/null 2>&1").c_str()), 0);
  EXPECT_FALSE(fs::exists(make_path("g.h5")));
  EXPECT_NE(std::system((std::string(bin) + " prepare folder --dir " + make_path("in") + " --out " + make_path("h.h5") +
                         " > /dev/null 2>&1").c_str()),
            0);  // --size is required
}

}  // namespace
