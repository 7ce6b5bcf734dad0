#include "data/image_folder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "data/dataset.h"
#include "data/dataset_writer.h"
#include "data/images.h"

namespace latentebm::data {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxSize = 4096;
constexpr int kMaxWorkers = 256;

void validate(const ImageConvertOptions& o) {
  if (o.size < 1 || o.size > kMaxSize) {
    throw std::invalid_argument("image size must be in 1.." + std::to_string(kMaxSize) + ", got " +
                                std::to_string(o.size));
  }
  if (o.channels != 1 && o.channels != 3) {
    throw std::invalid_argument("channels must be 1 or 3, got " + std::to_string(o.channels));
  }
  if (o.crop < 0) throw std::invalid_argument("crop must be >= 0, got " + std::to_string(o.crop));
  if (o.num_workers < 1 || o.num_workers > kMaxWorkers) {
    throw std::invalid_argument("num-workers must be in 1.." + std::to_string(kMaxWorkers) + ", got " +
                                std::to_string(o.num_workers));
  }
  if (o.chunk_images < 1) throw std::invalid_argument("chunk_images must be >= 1");
}

// Decodes files[first .. first + count) into block slots 0..count-1 with
// num_workers threads. A slot whose file fails gets its reason in `errors`.
void decode_block(const std::vector<std::string>& files, int64_t first, int64_t count,
                  const ImageConvertOptions& o, int64_t image_bytes, uint8_t* pixels,
                  std::vector<std::string>& errors) {
  std::atomic<int64_t> next{0};
  const auto work = [&] {
    for (;;) {
      const int64_t i = next.fetch_add(1);
      if (i >= count) return;
      const std::string& path = files[static_cast<size_t>(first + i)];
      std::string& error = errors[static_cast<size_t>(i)];
      error.clear();
      try {
        const DecodedImage img = read_image(path, o.channels);
        crop_resize_chw(img, o.crop, o.size, pixels + i * image_bytes, path);
      } catch (const std::exception& e) {
        error = e.what();
        if (error.empty()) error = "unknown error";
      }
    }
  };
  const int threads = static_cast<int>(std::min<int64_t>(o.num_workers, count));
  if (threads <= 1) {
    work();
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
}

}  // namespace

ConvertSummary convert_images(const ImageLists& lists, const std::string& out, const std::string& name,
                              const std::string& source, const ImageConvertOptions& o) {
  validate(o);
  if (lists.train.empty()) throw std::runtime_error("no training images to convert into '" + out + "'");
  const int64_t n_total = static_cast<int64_t>(lists.train.size() + lists.test.size());
  DatasetWriter writer(out, name, source, static_cast<int64_t>(lists.train.size()),
                       static_cast<int64_t>(lists.test.size()), o.channels, o.size, o.size);
  const int64_t image_bytes = writer.image_bytes();
  // Whole HDF5 chunks per block, so block writes start on chunk boundaries
  // (as long as no file is skipped).
  const int64_t rows = writer.chunk_rows();
  const int64_t block = (o.chunk_images + rows - 1) / rows * rows;
  std::vector<uint8_t> pixels(static_cast<size_t>(block * image_bytes));
  std::vector<int64_t> labels(static_cast<size_t>(block), -1);
  std::vector<std::string> errors(static_cast<size_t>(block));

  ConvertSummary summary;
  int64_t done = 0, next_report = 10000;
  for (const char* split : {"train", "test"}) {
    const std::vector<std::string>& files = std::string(split) == "train" ? lists.train : lists.test;
    const auto n = static_cast<int64_t>(files.size());
    int64_t written = 0;
    for (int64_t first = 0; first < n; first += block) {
      const int64_t count = std::min(block, n - first);
      decode_block(files, first, count, o, image_bytes, pixels.data(), errors);
      // Keep the good images contiguous, in list order.
      int64_t kept = 0;
      for (int64_t i = 0; i < count; ++i) {
        const std::string& error = errors[static_cast<size_t>(i)];
        const std::string& path = files[static_cast<size_t>(first + i)];
        if (error.empty()) {
          if (kept != i) std::memmove(pixels.data() + kept * image_bytes, pixels.data() + i * image_bytes, image_bytes);
          ++kept;
        } else if (o.on_bad_file == OnBadFile::Fail) {
          throw std::runtime_error("cannot convert '" + path + "': " + error +
                                   " (pass --on-bad-file skip to skip unreadable files)");
        } else {
          spdlog::warn("skipping '{}': {}", path, error);
          summary.skipped.push_back(path + ": " + error);
        }
      }
      writer.write(split, written, pixels.data(), labels.data(), kept);
      written += kept;
      done += count;
      if (done >= next_report) {
        spdlog::info("converted {} / {} images", done, n_total);
        next_report += 10000;
      }
    }
    writer.finish_split(split, written);
    (std::string(split) == "train" ? summary.n_train : summary.n_test) = written;
  }
  if (summary.n_train == 0) {
    throw std::runtime_error("none of the " + std::to_string(lists.train.size()) +
                             " training images could be read (first error: " + summary.skipped.front() + ")");
  }
  writer.commit();
  return summary;
}

ImageLists split_random(std::vector<std::string> sorted, double test_fraction) {
  if (!(test_fraction >= 0.0 && test_fraction < 1.0)) {
    throw std::invalid_argument("test fraction must be in [0, 1), got " + std::to_string(test_fraction));
  }
  const auto n = static_cast<int64_t>(sorted.size());
  // The small epsilon keeps e.g. 0.1 * 30 from landing just below 3.
  const auto n_test = std::min<int64_t>(n, static_cast<int64_t>(std::floor(test_fraction * n + 1e-9)));
  ImageLists lists;
  size_t next = 0;  // test_subset's rows ascend: one pass splits the list
  const std::vector<int64_t> test_rows = n_test > 0 ? test_subset(n, n_test) : std::vector<int64_t>{};
  for (int64_t i = 0; i < n; ++i) {
    auto& file = sorted[static_cast<size_t>(i)];
    if (next < test_rows.size() && test_rows[next] == i) {
      lists.test.push_back(std::move(file));
      ++next;
    } else {
      lists.train.push_back(std::move(file));
    }
  }
  return lists;
}

ImageLists list_folder(const std::string& dir, double test_fraction) {
  std::vector<std::string> files = list_image_files(dir, /*recursive=*/true);
  if (files.empty()) {
    throw std::runtime_error("image folder '" + dir + "' holds no .jpg, .jpeg or .png files (searched recursively)");
  }
  return split_random(std::move(files), test_fraction);
}

ImageLists list_celeba(const std::string& dir, const std::string& partition_file, double test_fraction,
                       const std::string& valid_to) {
  if (valid_to != "test" && valid_to != "train" && valid_to != "drop") {
    throw std::invalid_argument("CelebA validation images go to 'test', 'train' or 'drop', got '" + valid_to + "'");
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw std::runtime_error("CelebA folder '" + dir + "' not found (expected img_align_celeba/ or a folder holding it)");
  }
  fs::path images(dir);
  if (fs::is_directory(images / kCelebaImagesDir, ec)) images /= kCelebaImagesDir;
  std::string partition = partition_file == "none" ? std::string() : partition_file;
  if (partition_file.empty()) {
    for (const fs::path& p : {fs::path(dir) / kCelebaPartitionFile, images.parent_path() / kCelebaPartitionFile}) {
      if (fs::is_regular_file(p, ec)) {
        partition = p.string();
        break;
      }
    }
  }

  if (partition.empty()) {
    std::vector<std::string> files = list_image_files(images.string(), /*recursive=*/false);
    if (files.empty()) throw std::runtime_error("CelebA folder '" + images.string() + "' holds no .jpg files");
    return split_random(std::move(files), test_fraction);
  }

  std::ifstream in(partition);
  if (!in) throw std::runtime_error("cannot open CelebA partition file '" + partition + "'");
  ImageLists lists;
  std::string line;
  int64_t line_no = 0, missing = 0;
  std::string first_missing;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string file, extra;
    int part = -1;
    if (!(fields >> file >> part) || (fields >> extra) || part < 0 || part > 2) {
      throw std::runtime_error("CelebA partition file '" + partition + "' line " + std::to_string(line_no) + ": '" +
                               line + "' is not '<image>.jpg <0|1|2>'");
    }
    const std::string path = (images / file).string();
    if (!fs::is_regular_file(path, ec)) {
      if (missing++ == 0) first_missing = path;
      continue;
    }
    if (part == 0 || (part == 1 && valid_to == "train")) {
      lists.train.push_back(path);
    } else if (part == 2 || (part == 1 && valid_to == "test")) {
      lists.test.push_back(path);
    }
  }
  if (missing > 0) {
    throw std::runtime_error(std::to_string(missing) + " images listed in CelebA partition file '" + partition +
                             "' are missing, e.g. '" + first_missing + "' (is --dir the folder holding " +
                             kCelebaImagesDir + "/?)");
  }
  if (lists.train.empty()) throw std::runtime_error("CelebA partition file '" + partition + "' lists no training images");
  std::sort(lists.train.begin(), lists.train.end());
  std::sort(lists.test.begin(), lists.test.end());
  return lists;
}

}  // namespace latentebm::data
