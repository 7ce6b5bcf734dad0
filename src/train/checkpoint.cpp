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
#include "io/io_stats.h"
#include "io/write_fault.h"
#include "distributed/tensor_comm.h"
#include "train/faults.h"

namespace fs = std::filesystem;

namespace latentebm {
namespace {

constexpr const char* kFormat = "latentebm-checkpoint";
constexpr int64_t kVersion = 3;           // written
constexpr int64_t kOldestReadable = 2;    // read: 2 held one memory shard file per rank

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
  io::count_open();
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

void write_file_durably(const fs::path& p, const std::string& text, const char* point) {
  io::write_file_durably(p.string(), text, point);
}

std::string read_manifest_text(const std::string& ckpt_dir) {
  const fs::path p = fs::path(ckpt_dir) / "manifest.json";
  io::count_open();
  std::ifstream in(p, std::ios::binary);
  if (!in)
    throw std::runtime_error("checkpoint '" + ckpt_dir + "' has no manifest.json: it is incomplete or was written by a "
                             "latentebm older than checkpoint format 2; resume from another checkpoint (--checkpoint)");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json parse_manifest(const std::string& text, const std::string& where) {
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error("'" + where + "' is corrupt (" + e.what() + "); resume from another checkpoint (--checkpoint)");
  }
  if (!m.is_object() || m.value("format", "") != kFormat)
    throw std::runtime_error("'" + where + "' is not a latentebm checkpoint manifest");
  const int64_t version = m.value("version", int64_t(0));
  if (version < kOldestReadable || version > kVersion)
    throw std::runtime_error("'" + where + "' has checkpoint format version " + std::to_string(version) +
                             "; this build reads versions " + std::to_string(kOldestReadable) + " to " + std::to_string(kVersion));
  return m;
}

nlohmann::json read_manifest(const std::string& ckpt_dir) {
  return parse_manifest(read_manifest_text(ckpt_dir), (fs::path(ckpt_dir) / "manifest.json").string());
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

namespace {

// This rank's memory rows as bytes: memory, snapshot (float32 [rows, nz]),
// written_at (int64 [rows]).
std::vector<char> pack_rows(const MemoryBank& bank) {
  const auto m = bank.rows().to(torch::kCPU).contiguous(), s = bank.snapshot_rows().to(torch::kCPU).contiguous();
  const size_t fbytes = static_cast<size_t>(m.numel()) * sizeof(float);
  const auto& w = bank.written_at();
  std::vector<char> out(2 * fbytes + w.size() * sizeof(int64_t));
  std::memcpy(out.data(), m.data_ptr<float>(), fbytes);
  std::memcpy(out.data() + fbytes, s.data_ptr<float>(), fbytes);
  std::memcpy(out.data() + 2 * fbytes, w.data(), w.size() * sizeof(int64_t));
  return out;
}
size_t packed_bytes(int64_t rows, int64_t nz) {
  return static_cast<size_t>(rows) * (2 * static_cast<size_t>(nz) * sizeof(float) + sizeof(int64_t));
}

// Rank 0: every rank's packed rows (rank order = example order) into one file.
void write_memory_file(const fs::path& path, const std::vector<char>& all, const std::vector<data::Shard>& shards,
                       int64_t n_total, int64_t nz, const CheckpointMeta& meta, uint64_t seed) {
  std::vector<float> memory(static_cast<size_t>(n_total * nz)), snapshot(memory.size());
  std::vector<int64_t> written(static_cast<size_t>(n_total));
  size_t off = 0;
  for (const auto& sh : shards) {
    const size_t fbytes = static_cast<size_t>(sh.size() * nz) * sizeof(float);
    const size_t at = static_cast<size_t>(sh.begin * nz);
    std::memcpy(memory.data() + at, all.data() + off, fbytes);
    std::memcpy(snapshot.data() + at, all.data() + off + fbytes, fbytes);
    std::memcpy(written.data() + sh.begin, all.data() + off + 2 * fbytes, static_cast<size_t>(sh.size()) * sizeof(int64_t));
    off += packed_bytes(sh.size(), nz);
  }
  h5::File f(path.string(), h5::Mode::Truncate);
  write_memory_rows(f, data::Shard{0, n_total}, n_total, nz, memory.data(), snapshot.data(), written.data());
  f.set_attr("/", "world_size", static_cast<int64_t>(shards.size()));
  f.set_attr("/", "iteration", meta.iteration);
  f.set_attr("/", "rng_seed", static_cast<int64_t>(seed));
  f.set_attr("/", "rng_scheme", std::string("torch default generator reseeded per iteration from (seed, rank, iteration)"));
  f.flush();
}

void write_model_file(const fs::path& path, const CheckpointMeta& meta, int world, TrainingState& s) {
  h5::File f(path.string(), h5::Mode::Truncate);
  f.set_attr("/", "format", std::string(kFormat));
  f.set_attr("/", "version", kVersion);
  f.set_attr("/", "iteration", meta.iteration);
  f.set_attr("/", "stage", meta.stage);
  f.set_attr("/", "world_size", static_cast<int64_t>(world));
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

}  // namespace

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

  // One writer: every rank's memory rows go to rank 0 (each rank's share is
  // its shard, known to all from the example count and the rank count).
  const int64_t n_total = s.bank.n_total(), nz = s.bank.nz();
  std::vector<data::Shard> shards;
  std::vector<size_t> bytes;
  for (int r = 0; r < comm.size(); ++r) {
    shards.push_back(data::shard_range(n_total, r, comm.size()));
    bytes.push_back(packed_bytes(shards.back().size(), nz));
  }
  std::vector<char> mine;
  try {
    mine = pack_rows(s.bank);
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!comm.all_true(error.empty(), "checkpoint: memory rows ready"))
    throw std::runtime_error(error.empty() ? "another rank could not read its memory rows (see its log); the previous checkpoint is intact"
                                           : "rank " + std::to_string(comm.rank()) + " could not read its memory rows: " + error +
                                                 " (the previous checkpoint is intact)");
  std::vector<char> all(comm.is_root() ? packed_bytes(n_total, nz) : 0);
  comm.gather(mine.data(), mine.size(), all.data(), bytes, 0, "checkpoint: memory rows to rank 0");
  fault_point("checkpoint.memory-sent", comm.rank());
  // Every rank is still there once its rows are sent: rank 0 publishes only
  // a checkpoint the whole job reached (a rank lost here fails the save, and
  // `latest` stays where it was).
  comm.barrier("checkpoint: every rank's rows gathered");

  if (comm.is_root()) {
    try {
      const fs::path memory_path = tmp_dir / "memory.h5", model_path = tmp_dir / "model.h5";
      write_memory_file(memory_path, all, shards, n_total, nz, meta, seed);
      io::fail_written_file_if_injected("write.memory", memory_path.string());
      fsync_path(memory_path);
      fault_point("checkpoint.memory-written", comm.rank());
      write_model_file(model_path, meta, comm.size(), s);
      io::fail_written_file_if_injected("write.model", model_path.string());
      fsync_path(model_path);
      fault_point("checkpoint.model-written", comm.rank());
      nlohmann::json files = nlohmann::json::array();
      for (const char* name : {"model.h5", "memory.h5"}) {
        const FileSum sum = checksum_file(tmp_dir / name);
        files.push_back({{"name", name}, {"bytes", sum.bytes}, {"crc32", hex32(sum.crc)}});
      }
      nlohmann::json ranges = nlohmann::json::array();
      for (const auto& sh : shards) ranges.push_back({sh.begin, sh.end});
      Config cfg = parse_config(meta.config_yaml, "checkpoint config");
      const std::string structure = structural_config(cfg);
      data::Crc32 structure_crc;
      structure_crc.update(structure.data(), structure.size());
      nlohmann::json m = {{"format", kFormat},
                          {"version", kVersion},
                          {"iteration", meta.iteration},
                          {"stage", meta.stage},
                          {"world_size", comm.size()},
                          {"total_iterations", meta.total_iterations},
                          {"global_batch", meta.global_batch},
                          {"structure", structure},
                          {"config_fingerprint", structure_crc.hex()},
                          {"dataset_fingerprint", meta.dataset_fingerprint},
                          {"config", meta.config_yaml},
                          {"schedule", nlohmann::json::parse(meta.schedule_json)},
                          {"memory", {{"file", "memory.h5"}, {"rows", n_total}, {"nz", nz}, {"writer_row_ranges", ranges}}},
                          {"files", files}};
      write_file_durably(tmp_dir / "manifest.json", m.dump(2) + "\n", "write.manifest");
      fault_point("checkpoint.manifest-written", comm.rank());
      fsync_path(tmp_dir);
      fs::remove_all(final_dir);  // a complete but unpublished save of the same iteration
      fs::rename(tmp_dir, final_dir);
      fsync_path(root);
      fault_point("checkpoint.renamed", comm.rank());
      const fs::path latest_tmp = root / "latest.tmp";
      write_file_durably(latest_tmp, ckpt_name(meta.iteration) + "\n", "write.latest");
      fault_point("checkpoint.latest-written", comm.rank());
      fs::rename(latest_tmp, root / "latest");
      fsync_path(root);
      // Keep the newest `keep` complete checkpoints.
      std::vector<fs::path> complete;
      for (const auto& e : fs::directory_iterator(root)) {
        const auto name = e.path().filename().string();
        if (e.is_directory() && name.rfind("ckpt-", 0) == 0 && name.find(".tmp") == std::string::npos)
          complete.push_back(e.path());
      }
      std::sort(complete.begin(), complete.end());
      for (size_t i = 0; i + static_cast<size_t>(keep) < complete.size(); ++i) fs::remove_all(complete[i]);
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
  std::error_code ec;
  if (!fs::exists(root / "latest", ec)) return std::nullopt;
  io::count_open();
  std::ifstream in(root / "latest");
  if (!in) throw std::runtime_error("cannot read '" + (root / "latest").string() + "'; check its permissions");
  std::string name;
  std::getline(in, name);
  if (name.empty() || !fs::is_directory(root / name))
    throw std::runtime_error("'" + (root / "latest").string() + "' names '" + name +
                             "', which does not exist; restore that directory or delete `latest` to start over");
  return (root / name).string();
}

CheckpointMeta parse_checkpoint_meta(const std::string& manifest_text, const std::string& where) {
  const nlohmann::json m = parse_manifest(manifest_text, where);
  CheckpointMeta meta;
  meta.iteration = m.at("iteration").get<int64_t>();
  meta.stage = m.at("stage").get<int64_t>();
  meta.world_size = m.at("world_size").get<int64_t>();
  meta.config_yaml = m.at("config").get<std::string>();
  meta.dataset_fingerprint = m.value("dataset_fingerprint", "");
  meta.schedule_json = m.contains("schedule") ? m.at("schedule").dump() : "{}";
  meta.total_iterations = m.value("total_iterations", int64_t{0});
  meta.global_batch = m.value("global_batch", int64_t{0});
  return meta;
}

CheckpointMeta read_checkpoint_meta(const std::string& ckpt_dir) {
  return parse_checkpoint_meta(read_manifest_text(ckpt_dir), (fs::path(ckpt_dir) / "manifest.json").string());
}

std::optional<CheckpointRef> shared_checkpoint(Communicator& comm, const std::string& run_dir,
                                               const std::optional<std::string>& explicit_dir) {
  // Rank 0 reads `latest` and the manifest; the others take its answer:
  // "found" flag, directory, manifest text (empty directory: no checkpoint).
  std::string error, dir, text;
  if (comm.is_root()) {
    try {
      const auto found = explicit_dir ? explicit_dir : latest_checkpoint(run_dir);
      if (found) {
        dir = *found;
        text = read_manifest_text(dir);
        parse_checkpoint_meta(text, (fs::path(dir) / "manifest.json").string());  // fails here, on rank 0, if corrupt
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  error = comm.broadcast_string(error, 0, "checkpoint: rank 0's error, if any");
  if (!error.empty()) throw std::runtime_error(error);
  dir = comm.broadcast_string(dir, 0, "checkpoint: directory rank 0 resolved");
  if (dir.empty()) return std::nullopt;
  text = comm.broadcast_string(text, 0, "checkpoint: manifest rank 0 read");
  CheckpointRef ref;
  ref.dir = dir;
  ref.manifest = text;
  ref.meta = parse_checkpoint_meta(text, (fs::path(dir) / "manifest.json").string());
  return ref;
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
  os << "model.generator: " << enum_name(c.model.generator) << "\n"
     << "model.nz: " << c.model.nz << "\n"
     << "model.ngf: " << c.model.ngf << "\n"
     << "model.sigma: " << c.model.sigma << "\n"
     << "model.ratio_hidden: " << c.model.ratio_hidden << "\n"
     << "train.method: " << enum_name(c.train.method) << "\n"
     << "train.stages: " << c.train.stages << "\n"
     << "train.iterations: " << c.train.iterations << "\n"
     << "train.epochs: " << c.train.epochs << "\n"
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
  check_resume_compatible(CheckpointRef{ckpt_dir, read_manifest_text(ckpt_dir), {}}, cfg, dataset_fingerprint);
}

void check_resume_compatible(const CheckpointRef& ckpt, const Config& cfg, const std::string& dataset_fingerprint) {
  const std::string& ckpt_dir = ckpt.dir;
  const nlohmann::json m = parse_manifest(ckpt.manifest, (fs::path(ckpt_dir) / "manifest.json").string());
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

namespace {
void read_model_parameters(const h5::File& f, const std::string& ckpt_dir, Generator& g, MultiStagePrior& prior) {
  read_module(f, "/generator", *g);
  if (prior->num_stages() != f.attr_i64("/", "num_stages"))
    throw std::runtime_error("checkpoint '" + ckpt_dir + "' holds " + std::to_string(f.attr_i64("/", "num_stages")) +
                             " ratio networks, the config asks for " + std::to_string(prior->num_stages()));
  if (prior->num_stages() > 0) read_module(f, "/prior", *prior);
}
}  // namespace

void load_model_parameters(const std::string& ckpt_dir, Generator& g, MultiStagePrior& prior) {
  h5::File f((fs::path(ckpt_dir) / "model.h5").string(), h5::Mode::Read);
  read_model_parameters(f, ckpt_dir, g, prior);
}

namespace {

// The files that hold rows [begin, end) of the memory matrix: memory.h5
// (format 3), or the version-2 shards whose ranges overlap (shard r of W held
// shard_range(n, r, W)), so a rank never opens a shard it has no row in.
std::vector<std::string> memory_files(const CheckpointRef& ckpt, const nlohmann::json& m, const data::Shard& mine,
                                      int64_t n_total) {
  if (m.value("version", int64_t(0)) >= 3) {
    const auto& mem = m.at("memory");
    if (mem.at("rows").get<int64_t>() != n_total)
      throw std::runtime_error("checkpoint '" + ckpt.dir + "' holds a memory matrix of " +
                               std::to_string(mem.at("rows").get<int64_t>()) + " rows, this run has " + std::to_string(n_total) +
                               " training examples (was data.path or data.train_limit changed?)");
    return {(fs::path(ckpt.dir) / mem.at("file").get<std::string>()).string()};
  }
  std::vector<std::string> out;
  const int world = static_cast<int>(ckpt.meta.world_size);
  for (int r = 0; r < world; ++r) {
    const auto sh = data::shard_range(n_total, r, world);
    if (sh.end <= mine.begin || sh.begin >= mine.end) continue;
    const auto p = fs::path(ckpt.dir) / shard_name(r);
    if (!fs::exists(p)) throw std::runtime_error("checkpoint '" + ckpt.dir + "' is missing " + p.filename().string());
    out.push_back(p.string());
  }
  return out;
}

std::vector<torch::Tensor> adam_state(Adam& opt) {
  std::vector<torch::Tensor> out;
  for (auto& t : opt.exp_avg()) out.push_back(t);
  for (auto& t : opt.exp_avg_sq()) out.push_back(t);
  return out;
}

}  // namespace

void load_checkpoint(Communicator& comm, const CheckpointRef& ckpt, TrainingState& s) {
  const nlohmann::json m = parse_manifest(ckpt.manifest, (fs::path(ckpt.dir) / "manifest.json").string());
  // Replicated state: rank 0 reads model.h5, everyone takes its bytes.
  std::string error;
  std::vector<int64_t> steps{0, 0};
  if (comm.is_root()) {
    try {
      h5::File f((fs::path(ckpt.dir) / "model.h5").string(), h5::Mode::Read);
      read_model_parameters(f, ckpt.dir, s.generator, s.prior);
      read_adam(f, "/optimizer/generator", *s.generator, s.g_opt);
      if (s.prior->num_stages() > 0) read_adam(f, "/optimizer/ratio", *s.prior->ratio(ckpt.meta.stage), s.e_opt);
      steps = {s.g_opt.steps(), s.e_opt.steps()};
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  error = comm.broadcast_string(error, 0, "checkpoint: rank 0's model.h5 read");
  if (!error.empty()) throw std::runtime_error(error);
  std::vector<torch::Tensor> replicated;
  for (auto& p : parameter_list(*s.generator)) replicated.push_back(p);
  for (auto& p : parameter_list(*s.prior)) replicated.push_back(p);
  for (auto& t : adam_state(s.g_opt)) replicated.push_back(t);
  if (s.prior->num_stages() > 0)
    for (auto& t : adam_state(s.e_opt)) replicated.push_back(t);
  {
    torch::NoGradGuard no_grad;
    broadcast_tensors(comm, replicated, 0, "checkpoint: model and optimizer state from rank 0");
  }
  comm.broadcast(steps.data(), steps.size() * sizeof(int64_t), 0, "checkpoint: optimizer step counts");
  s.g_opt.set_steps(steps[0]);
  if (s.prior->num_stages() > 0) s.e_opt.set_steps(steps[1]);
  // This rank's memory rows, from the one file (or the old shards) holding them.
  try {
    s.bank.load(memory_files(ckpt, m, s.bank.shard(), s.bank.n_total()));
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (const auto failed = comm.first_error(error, "checkpoint: memory rows read"))
    throw std::runtime_error("rank " + std::to_string(failed->first) + ": " + failed->second);
}

}  // namespace latentebm
