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

std::string ckpt_name(int64_t iteration) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "ckpt-%08lld", static_cast<long long>(iteration));
  return buf;
}
void fsync_path(const fs::path& p) { io::fsync_path(p.string()); }

void write_file_durably(const fs::path& p, const std::string& text, const char* point) {
  io::write_file_durably(p.string(), text, point);
}

// The tensor's shape as model.h5 stores it (a scalar as [1]): what
// write_tensor writes and read_tensor expects.
TensorSpec spec_of(const std::string& name, const torch::Tensor& t) {
  std::vector<int64_t> shape(t.sizes().begin(), t.sizes().end());
  if (shape.empty()) shape = {1};
  return {name, shape};
}

// Fill `into` from model.h5 (checked by the reader: present, its shape, finite).
void read_tensor(const ModelFileReader& f, const std::string& name, const torch::Tensor& into) {
  auto data = f.tensor(spec_of(name, into));
  torch::NoGradGuard no_grad;
  into.copy_(torch::from_blob(data.data(), into.sizes(), torch::kFloat32).to(into.device()));
}

void write_module(h5::File& f, const std::string& group, torch::nn::Module& m) {
  for (const auto& p : m.named_parameters(true)) write_tensor(f, group + "/" + p.key(), p.value());
}
void read_module(const ModelFileReader& f, const std::string& group, torch::nn::Module& m) {
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
void read_adam(const ModelFileReader& f, const std::string& group, torch::nn::Module& m, Adam& opt) {
  auto named = m.named_parameters(true);
  for (size_t i = 0; i < opt.params().size(); ++i) {
    std::string key;
    for (const auto& p : named)
      if (p.value().is_same(opt.params()[i])) key = p.key();
    read_tensor(f, group + "/" + key + "/exp_avg", opt.exp_avg()[i]);
    read_tensor(f, group + "/" + key + "/exp_avg_sq", opt.exp_avg_sq()[i]);
  }
  opt.set_steps(f.steps(group));
}

}  // namespace

void write_tensor(h5::File& f, const std::string& name, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
  f.write_f32(name, c.data_ptr<float>(), spec_of(name, c).shape);
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
  f.set_attr("/", "format", std::string(kCheckpointFormat));
  f.set_attr("/", "version", kCheckpointVersion);
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
        const FileSum sum = checksum_file((tmp_dir / name).string());
        files.push_back({{"name", name}, {"bytes", sum.bytes}, {"crc32", sum.crc_hex()}});
      }
      nlohmann::json ranges = nlohmann::json::array();
      for (const auto& sh : shards) ranges.push_back({sh.begin, sh.end});
      Config cfg = parse_config(meta.config_yaml, "checkpoint config");
      const std::string structure = structural_config(cfg);
      data::Crc32 structure_crc;
      structure_crc.update(structure.data(), structure.size());
      nlohmann::json m = {{"format", kCheckpointFormat},
                          {"version", kCheckpointVersion},
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
                          {"guard", nlohmann::json::parse(meta.guard_json)},
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

std::optional<CheckpointRef> shared_checkpoint(Communicator& comm, const std::string& run_dir,
                                               const std::optional<std::string>& explicit_dir) {
  // Rank 0 reads `latest` and the manifest; the others take its answer:
  // "found" flag, directory, manifest text (empty directory: no checkpoint).
  std::string error, dir, text;
  Manifest parsed;
  if (comm.is_root()) {
    try {
      const auto found = explicit_dir ? explicit_dir : latest_checkpoint(run_dir);
      if (found) {
        dir = *found;
        text = read_manifest_text(dir);
        parsed = parse_manifest(text, (fs::path(dir) / "manifest.json").string());  // fails here, on rank 0, if corrupt
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
  // Rank 0 parsed it above; the others parse the text it sent.
  if (!comm.is_root()) parsed = parse_manifest(text, (fs::path(dir) / "manifest.json").string());
  return CheckpointRef{dir, text, std::move(parsed)};
}

void check_resume_compatible(const std::string& ckpt_dir, const Config& cfg, const std::string& dataset_fingerprint) {
  const std::string text = read_manifest_text(ckpt_dir);
  check_resume_compatible(CheckpointRef{ckpt_dir, text, parse_manifest(text, (fs::path(ckpt_dir) / "manifest.json").string())},
                          cfg, dataset_fingerprint);
}

void check_resume_compatible(const CheckpointRef& ckpt, const Config& cfg, const std::string& dataset_fingerprint) {
  const std::string& ckpt_dir = ckpt.dir;
  const Manifest& m = ckpt.manifest;
  std::vector<std::string> problems;
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  };
  const auto was = lines(m.structure), now = lines(structural_config(cfg));
  for (const auto& l : now)
    if (std::find(was.begin(), was.end(), l) == was.end()) {
      const std::string key = l.substr(0, l.find(':'));
      std::string before = "(absent)";
      for (const auto& w : was)
        if (w.rfind(key + ":", 0) == 0) before = w.substr(key.size() + 2);
      problems.push_back(key + " was " + before + ", now " + l.substr(key.size() + 2));
    }
  const int64_t K = cfg.train.stages;
  if (m.meta.stage >= std::max<int64_t>(K, 1))
    problems.push_back("its active stage " + std::to_string(m.meta.stage) + " does not exist with train.stages = " +
                       std::to_string(K) + " (stages are numbered from 0; a damaged manifest?)");
  const std::string& fp = m.meta.dataset_fingerprint;
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
void read_model_parameters(const ModelFileReader& f, const std::string& ckpt_dir, Generator& g, MultiStagePrior& prior) {
  read_module(f, "/generator", *g);
  const int64_t held = f.num_stages();
  if (prior->num_stages() != held)
    throw std::runtime_error("checkpoint '" + ckpt_dir + "' holds " + std::to_string(held) +
                             " ratio networks, the config asks for " + std::to_string(prior->num_stages()));
  if (prior->num_stages() > 0) read_module(f, "/prior", *prior);
}
}  // namespace

void load_model_parameters(const std::string& ckpt_dir, Generator& g, MultiStagePrior& prior) {
  const ModelFileReader f((fs::path(ckpt_dir) / "model.h5").string());
  read_model_parameters(f, ckpt_dir, g, prior);
}

namespace {

std::vector<torch::Tensor> adam_state(Adam& opt) {
  std::vector<torch::Tensor> out;
  for (auto& t : opt.exp_avg()) out.push_back(t);
  for (auto& t : opt.exp_avg_sq()) out.push_back(t);
  return out;
}

}  // namespace

void load_checkpoint(Communicator& comm, const CheckpointRef& ckpt, TrainingState& s) {
  // Replicated state: rank 0 reads model.h5, everyone takes its bytes.
  std::string error;
  std::vector<int64_t> steps{0, 0};
  if (comm.is_root()) {
    try {
      const ModelFileReader f((fs::path(ckpt.dir) / "model.h5").string());
      read_model_parameters(f, ckpt.dir, s.generator, s.prior);
      read_adam(f, "/optimizer/generator", *s.generator, s.g_opt);
      if (s.prior->num_stages() > 0) read_adam(f, "/optimizer/ratio", *s.prior->ratio(ckpt.manifest.meta.stage), s.e_opt);
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
    s.bank.load(memory_files(ckpt.dir, ckpt.manifest, s.bank.shard(), s.bank.n_total()));
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (const auto failed = comm.first_error(error, "checkpoint: memory rows read"))
    throw std::runtime_error("rank " + std::to_string(failed->first) + ": " + failed->second);
}

}  // namespace latentebm
