#pragma once
// Streaming conversion of image files (CelebA, CelebA-HQ, any JPEG/PNG
// folder) into the prepared layout of dataset.h.
//
// The file lists are fixed before any pixel is decoded; the output file is
// preallocated for all of them and filled block by block (chunk_images images
// at a time, decoded by num_workers std::threads), so memory stays bounded
// whatever the image count:
//   chunk_images x C x size x size           (the block being converted)
// + num_workers x (file bytes + decoded image W x H x C + stb's decoder and
//                  resampler buffers, roughly another W x H x C)
// + the file list (one path string per image) and HDF5's chunk caches.
// Labels are -1. Unreadable files are reported (path and reason) and skipped,
// or abort the conversion with OnBadFile::Fail; skipped files leave no gap.
#include <cstdint>
#include <string>
#include <vector>

namespace latentebm::data {

enum class OnBadFile { Skip, Fail };

struct ImageConvertOptions {
  int size = 64;          // output images are size x size
  int channels = 3;       // 3 (RGB) or 1 (grey)
  int crop = 0;           // centred crop side before resizing; 0 = largest centred square
  int num_workers = 1;    // decoding threads
  int64_t chunk_images = 256;  // images per block (rounded up to whole HDF5 chunks)
  OnBadFile on_bad_file = OnBadFile::Skip;
};

struct ImageLists {
  std::vector<std::string> train, test;
};

struct ConvertSummary {
  int64_t n_train = 0, n_test = 0;      // images written
  std::vector<std::string> skipped;     // "path: reason" of every skipped file
};

// Convert `lists` into a new dataset file at `out` (atomic: temp file, rename).
ConvertSummary convert_images(const ImageLists& lists, const std::string& out, const std::string& name,
                              const std::string& source, const ImageConvertOptions& options);

// A fixed uniform random floor(test_fraction x N) of the files of `sorted`
// (data::test_subset's rows) form the test split, the rest the training
// split, each in sorted order. Not the last files: a folder of class
// subfolders would test on its last classes only.
ImageLists split_random(std::vector<std::string> sorted, double test_fraction);

// Every JPEG/PNG under `dir` (recursive, sorted by relative path bytes),
// split by split_random.
ImageLists list_folder(const std::string& dir, double test_fraction);

// CelebA aligned images. `dir` is the img_align_celeba folder or a folder
// holding it. With a partition file (list_eval_partition.txt: lines
// "000001.jpg 0"; 0 train, 1 validation, 2 test) the listed images are split
// by it, validation going to `valid_to` ("test", "train" or "drop"); without
// one (partition_file "none", or empty and no list_eval_partition.txt in
// `dir` or beside the images) the image files sorted by name are split by
// split_random.
ImageLists list_celeba(const std::string& dir, const std::string& partition_file, double test_fraction,
                       const std::string& valid_to);

// Where CelebA's files are expected inside a --dir.
inline const char* kCelebaImagesDir = "img_align_celeba";
inline const char* kCelebaPartitionFile = "list_eval_partition.txt";
constexpr int kCelebaCrop = 140;  // centred 140 x 140 window of the 178 x 218 images

}  // namespace latentebm::data
