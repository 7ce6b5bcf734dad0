#include "train/checkpoint.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "distributed/communicator.h"
#include "io/h5.h"

namespace fs = std::filesystem;

namespace latentebm {
namespace {

constexpr const char* kFormat = "latentebm-checkpoint";
constexpr int64_t kVersion = 1;

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

void fsync_path(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void write_tensor(h5::File& f, const std::string& name, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
  std::vector<int64_t> shape(c.sizes().begin(), c.sizes().end());
  if (shape.empty()) shape = {1};
  f.write_f32(name, c.data_ptr<float>(), shape);
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

std::string save_checkpoint(Communicator& comm, const std::string& run_dir, const CheckpointMeta& meta,
                            TrainingState& s, uint64_t seed, int64_t keep) {
  const fs::path root = fs::path(run_dir) / "checkpoints";
  const fs::path final_dir = root / ckpt_name(meta.iteration);
  const fs::path tmp_dir = root / (ckpt_name(meta.iteration) + ".tmp");
  if (comm.is_root()) {
    fs::create_directories(root);
    fs::remove_all(tmp_dir);  // leftovers of an interrupted save
    fs::create_directories(tmp_dir);
  }
  comm.barrier("checkpoint: temp directory ready");

  std::string error;
  try {
    {
      h5::File shard((tmp_dir / shard_name(comm.rank())).string(), h5::Mode::Truncate);
      s.bank.save(shard);
      shard.set_attr("/", "rank", static_cast<int64_t>(comm.rank()));
      shard.set_attr("/", "world_size", static_cast<int64_t>(comm.size()));
      shard.set_attr("/", "iteration", meta.iteration);
      shard.set_attr("/", "rng_seed", static_cast<int64_t>(seed));
      shard.set_attr("/", "rng_scheme", std::string("torch default generator reseeded per iteration from (seed, rank, iteration)"));
      shard.flush();
    }
    if (comm.is_root()) {
      h5::File f((tmp_dir / "model.h5").string(), h5::Mode::Truncate);
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
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!comm.all_true(error.empty(), "checkpoint: every shard written")) {
    if (!error.empty()) throw std::runtime_error("rank " + std::to_string(comm.rank()) + " could not write its checkpoint shard: " + error);
    throw std::runtime_error("another rank could not write its checkpoint shard (see its log); the previous checkpoint is intact");
  }

  if (comm.is_root()) {
    fsync_path(tmp_dir);
    fs::remove_all(final_dir);
    fs::rename(tmp_dir, final_dir);
    fsync_path(root);
    const fs::path latest_tmp = root / "latest.tmp";
    {
      std::ofstream out(latest_tmp, std::ios::trunc);
      out << ckpt_name(meta.iteration) << "\n";
      out.flush();
      if (!out) throw std::runtime_error("cannot write '" + latest_tmp.string() + "' (disk full?)");
    }
    fsync_path(latest_tmp);
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
  }
  comm.barrier("checkpoint: published");
  return final_dir.string();
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
  const std::string path = (fs::path(ckpt_dir) / "model.h5").string();
  h5::File f(path, h5::Mode::Read);
  if (!f.has_attr("/", "format") || f.attr_str("/", "format") != kFormat)
    throw std::runtime_error("'" + path + "' is not a latentebm checkpoint");
  if (f.attr_i64("/", "version") != kVersion)
    throw std::runtime_error("'" + path + "' has checkpoint format version " + std::to_string(f.attr_i64("/", "version")) +
                             "; this build reads version " + std::to_string(kVersion));
  CheckpointMeta m;
  m.iteration = f.attr_i64("/", "iteration");
  m.stage = f.attr_i64("/", "stage");
  m.world_size = f.attr_i64("/", "world_size");
  m.config_yaml = f.attr_str("/", "config");
  return m;
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
