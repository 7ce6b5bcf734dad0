#include "train/checkpoint.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "data/dataset.h"
#include "distributed/communicator.h"
#include "io/atomic_file.h"
#include "io/h5.h"
#include "train/faults.h"

namespace fs = std::filesystem;

namespace latentebm {
namespace {

constexpr const char* kFormat = "latentebm-checkpoint";
constexpr int64_t kVersion = 2;

std::string ckpt_name(int64_t iteration) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "ckpt-%08lld", static_cast<long long>(iteration));
  return buf;
}
std::string shard_name(int rank) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "shard-%05d.h5", rank);
  return buf;
}

void fsync_path(const fs::path& p) { io::fsync_path(p.string()); }

struct FileSum {
  int64_t bytes = 0;
  uint32_t crc = 0;
};

FileSum checksum_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + p.string() + "'");
  data::Crc32 crc;
  std::vector<char> buf(size_t(1) << 20);
  FileSum s;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = in.gcount();
    if (n <= 0) break;
    crc.update(buf.data(), static_cast<size_t>(n));
    s.bytes += n;
  }
  s.crc = crc.value();
  return s;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

void write_file_durably(const fs::path& p, const std::string& text) { io::write_file_durably(p.string(), text); }

nlohmann::json read_manifest(const std::string& ckpt_dir) {
  const fs::path p = fs::path(ckpt_dir) / "manifest.json";
  std::ifstream in(p);
  if (!in)
    throw std::runtime_error("checkpoint '" + ckpt_dir + "' has no manifest.json: it is incomplete or was written by a "
                             "latentebm older than checkpoint format 2; resume from another checkpoint (--checkpoint)");
  nlohmann::json m;
  try {
    in >> m;
  } catch (const std::exception& e) {
    throw std::runtime_error("'" + p.string() + "' is corrupt (" + e.what() + "); resume from another checkpoint (--checkpoint)");
  }
  if (m.value("format", "") != kFormat) throw std::runtime_error("'" + p.string() + "' is not a latentebm checkpoint manifest");
  if (m.value("version", int64_t(0)) != kVersion)
    throw std::runtime_error("'" + p.string() + "' has checkpoint format version " + std::to_string(m.value("version", int64_t(0))) +
                             "; this build reads version " + std::to_string(kVersion));
  return m;
}


void read_tensor(const h5::File& f, const std::string& name, const torch::Tensor& into) {
  if (!f.has(name))
    throw std::runtime_error("checkpoint '" + f.path() + "' has no '" + name +
                             "': it was written by a different model configuration");
  auto shape = f.shape(name);
  std::vector<int64_t> want(into.sizes().begin(), into.sizes().end());
  if (want.empty()) want = {1};
  if (shape != want)
    throw std::runtime_error("checkpoint '" + f.path() + "': '" + name + "' has a different shape than this model (" +
                             "was model.nz, model.ngf, model.generator or train.stages changed?)");
  auto data = f.read_f32(name);
  torch::NoGradGuard no_grad;
  into.copy_(torch::from_blob(data.data(), into.sizes(), torch::kFloat32).to(into.device()));
}

void write_module(h5::File& f, const std::string& group, torch::nn::Module& m) {
  for (const auto& p : m.named_parameters(true)) write_tensor(f, group + "/" + p.key(), p.value());
}
void read_module(const h5::File& f, const std::string& group, torch::nn::Module& m) {
  for (const auto& p : m.named_parameters(true)) read_tensor(f, group + "/" + p.key(), p.value());
}

// Optimizer state, keyed by the owning module's parameter names.
void write_adam(h5::File& f, const std::string& group, torch::nn::Module& m, Adam& opt) {
  auto named = m.named_parameters(true);
  for (size_t i = 0; i < opt.params().size(); ++i) {
    std::string key;
    for (const auto& p : named)
      if (p.value().is_same(opt.params()[i])) key = p.key();
    if (key.empty()) throw std::logic_error("optimizer parameter not found in its module");
    write_tensor(f, group + "/" + key + "/exp_avg", opt.exp_avg()[i]);
    write_tensor(f, group + "/" + key + "/exp_avg_sq", opt.exp_avg_sq()[i]);
  }
  f.set_attr(group, "steps", opt.steps());
}
void read_adam(const h5::File& f, const std::string& group, torch::nn::Module& m, Adam& opt) {
  auto named = m.named_parameters(true);
  for (size_t i = 0; i < opt.params().size(); ++i) {
    std::string key;
    for (const auto& p : named)
      if (p.value().is_same(opt.params()[i])) key = p.key();
    read_tensor(f, group + "/" + key + "/exp_avg", opt.exp_avg()[i]);
    read_tensor(f, group + "/" + key + "/exp_avg_sq", opt.exp_avg_sq()[i]);
  }
  opt.set_steps(f.attr_i64(group, "steps"));
}

}  // namespace

void write_tensor(h5::File& f, const std::string& name, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
  std::vector<int64_t> shape(c.sizes().begin(), c.sizes().end());
  if (shape.empty()) shape = {1};
  f.write_f32(name, c.data_ptr<float>(), shape);
}

std::string save_checkpoint(Communicator& comm, const std::string& run_dir, const CheckpointMeta& meta,
                            TrainingState& s, uint64_t seed, int64_t keep) {
  const fs::path root = fs::path(run_dir) / "checkpoints";
  const fs::path final_dir = root / ckpt_name(meta.iteration);
  const fs::path tmp_dir = root / (ckpt_name(meta.iteration) + ".tmp");
  std::string error;
  if (comm.is_root()) {
    try {
      fs::create_directories(root);
      clean_interrupted_saves(run_dir);
      fs::create_directories(tmp_dir);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (!comm.all_true(error.empty(), "checkpoint: temp directory ready"))
    throw std::runtime_error("cannot create checkpoint directory '" + tmp_dir.string() + "': " +
                             (error.empty() ? std::string("see rank 0's log") : error));
  fault_point("checkpoint.begin", comm.rank());

  // Every rank: its shard (rank 0 also the replicated model state), closed,
  // fsynced and checksummed. sums[2r], sums[2r+1] = size, CRC of rank r's shard.
  std::vector<int64_t> sums(2 * static_cast<size_t>(comm.size()), 0);
  try {
    const fs::path shard_path = tmp_dir / shard_name(comm.rank());
    {
      h5::File shard(shard_path.string(), h5::Mode::Truncate);
      s.bank.save(shard);
      shard.set_attr("/", "rank", static_cast<int64_t>(comm.rank()));
      shard.set_attr("/", "world_size", static_cast<int64_t>(comm.size()));
      shard.set_attr("/", "iteration", meta.iteration);
      shard.set_attr("/", "rng_seed", static_cast<int64_t>(seed));
      shard.set_attr("/", "rng_scheme", std::string("torch default generator reseeded per iteration from (seed, rank, iteration)"));
      shard.flush();
    }
    fsync_path(shard_path);
    fault_point("checkpoint.shard-written", comm.rank());
    const FileSum sum = checksum_file(shard_path);
    sums[2 * static_cast<size_t>(comm.rank())] = sum.bytes;
    sums[2 * static_cast<size_t>(comm.rank()) + 1] = sum.crc;
    if (comm.is_root()) {
      const fs::path model_path = tmp_dir / "model.h5";
      {
        h5::File f(model_path.string(), h5::Mode::Truncate);
        f.set_attr("/", "format", std::string(kFormat));
        f.set_attr("/", "version", kVersion);
        f.set_attr("/", "iteration", meta.iteration);
        f.set_attr("/", "stage", meta.stage);
        f.set_attr("/", "world_size", static_cast<int64_t>(comm.size()));
        f.set_attr("/", "num_stages", s.prior->num_stages());
        f.set_attr("/", "nz", s.prior->nz);
        f.set_attr("/", "config", meta.config_yaml);
        write_module(f, "/generator", *s.generator);
        if (s.prior->num_stages() > 0) write_module(f, "/prior", *s.prior);
        write_adam(f, "/optimizer/generator", *s.generator, s.g_opt);
        if (s.prior->num_stages() > 0) {
          write_adam(f, "/optimizer/ratio", *s.prior->ratio(meta.stage), s.e_opt);
          f.set_attr("/optimizer/ratio", "stage", meta.stage);
        }
        f.flush();
      }
      fsync_path(model_path);
      fault_point("checkpoint.model-written", comm.rank());
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  // Agreement: every shard is on disk, and rank 0 learns each shard's size
  // and CRC-32. Slots of other ranks are 0, so a max-reduce gathers them; the
  // last slot is a "some rank failed" flag.
  sums.push_back(error.empty() ? 0 : 1);
  comm.allreduce_max(sums.data(), sums.size(), "checkpoint: every shard written (sizes, checksums)");
  if (sums.back() != 0) {
    if (!error.empty())
      throw std::runtime_error("rank " + std::to_string(comm.rank()) + " could not write its checkpoint shard: " + error +
                               " (the previous checkpoint is intact)");
    throw std::runtime_error("another rank could not write its checkpoint shard (see its log); the previous checkpoint is intact");
  }

  if (comm.is_root()) {
    try {
      nlohmann::json files = nlohmann::json::array();
      const FileSum model = checksum_file(tmp_dir / "model.h5");
      files.push_back({{"name", "model.h5"}, {"bytes", model.bytes}, {"crc32", hex32(model.crc)}});
      for (int r = 0; r < comm.size(); ++r)
        files.push_back({{"name", shard_name(r)},
                         {"bytes", sums[2 * static_cast<size_t>(r)]},
                         {"crc32", hex32(static_cast<uint32_t>(sums[2 * static_cast<size_t>(r) + 1]))}});
      Config cfg = parse_config(meta.config_yaml, "checkpoint config");
      const std::string structure = structural_config(cfg);
      data::Crc32 structure_crc;
      structure_crc.update(structure.data(), structure.size());
      nlohmann::json m = {{"format", kFormat},
                          {"version", kVersion},
                          {"iteration", meta.iteration},
                          {"stage", meta.stage},
                          {"world_size", comm.size()},
                          {"structure", structure},
                          {"config_fingerprint", structure_crc.hex()},
                          {"dataset_fingerprint", meta.dataset_fingerprint},
                          {"config", meta.config_yaml},
                          {"schedule", nlohmann::json::parse(meta.schedule_json)},
                          {"files", files}};
      write_file_durably(tmp_dir / "manifest.json", m.dump(2) + "\n");
      fault_point("checkpoint.manifest-written", comm.rank());
      fsync_path(tmp_dir);
      fs::remove_all(final_dir);  // a complete but unpublished save of the same iteration
      fs::rename(tmp_dir, final_dir);
      fsync_path(root);
      fault_point("checkpoint.renamed", comm.rank());
      const fs::path latest_tmp = root / "latest.tmp";
      write_file_durably(latest_tmp, ckpt_name(meta.iteration) + "\n");
      fault_point("checkpoint.latest-written", comm.rank());
      fs::rename(latest_tmp, root / "latest");
      fsync_path(root);
      // Keep the newest `keep` complete checkpoints.
      std::vector<fs::path> all;
      for (const auto& e : fs::directory_iterator(root)) {
        const auto name = e.path().filename().string();
        if (e.is_directory() && name.rfind("ckpt-", 0) == 0 && name.find(".tmp") == std::string::npos) all.push_back(e.path());
      }
      std::sort(all.begin(), all.end());
      for (size_t i = 0; i + static_cast<size_t>(keep) < all.size(); ++i) fs::remove_all(all[i]);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (!comm.all_true(error.empty(), "checkpoint: published"))
    throw std::runtime_error("rank 0 could not publish checkpoint '" + final_dir.string() + "': " +
                             (error.empty() ? std::string("see rank 0's log") : error) + " (the previous checkpoint is intact)");
  return final_dir.string();
}

std::vector<std::string> clean_interrupted_saves(const std::string& run_dir) {
  std::vector<std::string> removed;
  const fs::path root = fs::path(run_dir) / "checkpoints";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return removed;
  for (const auto& e : fs::directory_iterator(root)) {
    const auto name = e.path().filename().string();
    const bool tmp_dir = e.is_directory() && name.rfind("ckpt-", 0) == 0 && name.size() > 4 &&
                         name.compare(name.size() - 4, 4, ".tmp") == 0;
    if (tmp_dir || name == "latest.tmp") {
      fs::remove_all(e.path());
      removed.push_back(e.path().string());
    }
  }
  return removed;
}

std::optional<std::string> latest_checkpoint(const std::string& run_dir) {
  const fs::path root = fs::path(run_dir) / "checkpoints";
  std::ifstream in(root / "latest");
  if (!in) return std::nullopt;
  std::string name;
  std::getline(in, name);
  if (name.empty() || !fs::is_directory(root / name))
    throw std::runtime_error("'" + (root / "latest").string() + "' names '" + name +
                             "', which does not exist; restore that directory or delete `latest` to start over");
  return (root / name).string();
}

CheckpointMeta read_checkpoint_meta(const std::string& ckpt_dir) {
  const nlohmann::json m = read_manifest(ckpt_dir);
  CheckpointMeta meta;
  meta.iteration = m.at("iteration").get<int64_t>();
  meta.stage = m.at("stage").get<int64_t>();
  meta.world_size = m.at("world_size").get<int64_t>();
  meta.config_yaml = m.at("config").get<std::string>();
  meta.dataset_fingerprint = m.value("dataset_fingerprint", "");
  meta.schedule_json = m.contains("schedule") ? m.at("schedule").dump() : "{}";
  return meta;
}

void verify_checkpoint(const std::string& ckpt_dir) {
  const nlohmann::json m = read_manifest(ckpt_dir);
  const std::string advice = "; the file is damaged: resume from an older checkpoint with --checkpoint " +
                             (fs::path(ckpt_dir).parent_path() / "ckpt-<iteration>").string() + ", or restore it from a backup";
  for (const auto& entry : m.at("files")) {
    const fs::path p = fs::path(ckpt_dir) / entry.at("name").get<std::string>();
    std::error_code ec;
    if (!fs::exists(p, ec)) throw std::runtime_error("checkpoint file '" + p.string() + "' is missing" + advice);
    const int64_t want_bytes = entry.at("bytes").get<int64_t>();
    const int64_t have_bytes = static_cast<int64_t>(fs::file_size(p, ec));
    if (have_bytes != want_bytes)
      throw std::runtime_error("checkpoint file '" + p.string() + "' has " + std::to_string(have_bytes) + " bytes, the manifest says " +
                               std::to_string(want_bytes) + " (truncated or overwritten)" + advice);
    const std::string crc = hex32(checksum_file(p).crc);
    if (crc != entry.at("crc32").get<std::string>())
      throw std::runtime_error("checkpoint file '" + p.string() + "' fails its checksum (CRC-32 " + crc + ", manifest " +
                               entry.at("crc32").get<std::string>() + ")" + advice);
  }
}

std::string structural_config(const Config& c) {
  std::ostringstream os;
  os.precision(17);
  os << "model.generator: " << c.model.generator << "\n"
     << "model.nz: " << c.model.nz << "\n"
     << "model.ngf: " << c.model.ngf << "\n"
     << "model.sigma: " << c.model.sigma << "\n"
     << "model.ratio_hidden: " << c.model.ratio_hidden << "\n"
     << "train.method: " << enum_name(c.train.method) << "\n"
     << "train.stages: " << c.train.stages << "\n"
     << "train.iterations: " << c.train.iterations << "\n"
     << "train.epochs: " << c.train.epochs << "\n"
     << "train.batch_size: " << c.train.batch_size << "\n"
     << "train.prior_samples: " << enum_name(c.train.prior_samples) << "\n"
     << "train.seed: " << c.train.seed << "\n"
     << "data.train_limit: " << c.data.train_limit << "\n";
  if (c.train.prior_samples == NoiseSource::kPersistentLangevin) os << "train.bank_langevin_steps: " << c.train.bank_langevin_steps << "\n";
  if (c.train.prior_samples == NoiseSource::kImportance) os << "train.noise_proposals: " << c.train.noise_proposals << "\n";
  // Listed only when adaptive, so that fixed-schedule checkpoints keep the
  // fingerprint they had before the adaptive schedule existed.
  if (c.train.stage_schedule == StageSchedule::kAdaptive)
    os << "train.stage_schedule: adaptive\n"
       << "train.plateau_window: " << c.train.plateau_window << "\n"
       << "train.plateau_patience: " << c.train.plateau_patience << "\n"
       << "train.plateau_tolerance: " << c.train.plateau_tolerance << "\n"
       << "train.min_stage_iterations: " << c.train.min_stage_iterations << "\n"
       << "train.max_stage_iterations: " << c.train.max_stage_iterations << "\n";
  return os.str();
}

void check_resume_compatible(const std::string& ckpt_dir, const Config& cfg, const std::string& dataset_fingerprint) {
  const nlohmann::json m = read_manifest(ckpt_dir);
  std::vector<std::string> problems;
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  };
  const auto was = lines(m.at("structure").get<std::string>()), now = lines(structural_config(cfg));
  for (const auto& l : now)
    if (std::find(was.begin(), was.end(), l) == was.end()) {
      const std::string key = l.substr(0, l.find(':'));
      std::string before = "(absent)";
      for (const auto& w : was)
        if (w.rfind(key + ":", 0) == 0) before = w.substr(key.size() + 2);
      problems.push_back(key + " was " + before + ", now " + l.substr(key.size() + 2));
    }
  const std::string fp = m.value("dataset_fingerprint", "");
  if (fp != dataset_fingerprint)
    problems.push_back("the training data differ: checkpoint trained on [" + fp + "], data.path '" + cfg.data.path + "' holds [" +
                       dataset_fingerprint + "]");
  if (problems.empty()) return;
  std::string msg = "cannot resume from '" + ckpt_dir + "': it was trained with a different setup:";
  for (const auto& p : problems) msg += "\n  - " + p;
  msg += "\nput those values back (drop the overrides), point data.path at the original data, or start a new run directory";
  throw std::runtime_error(msg);
}

void load_model_parameters(const std::string& ckpt_dir, Generator& g, MultiStagePrior& prior) {
  h5::File f((fs::path(ckpt_dir) / "model.h5").string(), h5::Mode::Read);
  read_module(f, "/generator", *g);
  if (prior->num_stages() != f.attr_i64("/", "num_stages"))
    throw std::runtime_error("checkpoint '" + ckpt_dir + "' holds " + std::to_string(f.attr_i64("/", "num_stages")) +
                             " ratio networks, the config asks for " + std::to_string(prior->num_stages()));
  if (prior->num_stages() > 0) read_module(f, "/prior", *prior);
}

void load_checkpoint(const std::string& ckpt_dir, TrainingState& s) {
  const CheckpointMeta meta = read_checkpoint_meta(ckpt_dir);
  load_model_parameters(ckpt_dir, s.generator, s.prior);
  h5::File f((fs::path(ckpt_dir) / "model.h5").string(), h5::Mode::Read);
  read_adam(f, "/optimizer/generator", *s.generator, s.g_opt);
  if (s.prior->num_stages() > 0) read_adam(f, "/optimizer/ratio", *s.prior->ratio(meta.stage), s.e_opt);
  std::vector<std::string> shards;
  for (int64_t r = 0; r < meta.world_size; ++r) {
    const auto p = fs::path(ckpt_dir) / shard_name(static_cast<int>(r));
    if (!fs::exists(p)) throw std::runtime_error("checkpoint '" + ckpt_dir + "' is missing " + p.filename().string());
    shards.push_back(p.string());
  }
  s.bank.load(shards);
}

}  // namespace latentebm
