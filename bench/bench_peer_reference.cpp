// The reference the PyTorch peer (bench/peer/latentebm_peer.py) is checked
// against: one training iteration of latentebm's own Trainer, with everything
// the peer needs to redo it recorded in one .npz file.
//
//   bench_peer_reference <config.yaml> <out.npz> [section.key=value ...]
//
// On the CPU, in one process (world of 1), on random images of the preset's
// shape (4 batches, as bench_iteration's): the Trainer is built from the
// config's seed, enters stage 1 (f_0 frozen, f_1 learnt, the memory bank
// snapshotted: the stage bench_iteration times), then runs one iteration with
// Trainer's own pieces (load_batch, sample_posterior, sample_noise, update).
// Recorded:
//   setting.*            the config's shapes, chain lengths, steps, rates
//   init.generator.NAME  generator parameters before the step (LibTorch names)
//   init.prior.NAME      every ratio network's parameters (stage_i.net.j...)
//   bank.snapshot        the memory bank snapshot stage 1 draws noise from
//   x, indices           the batch (images in [-1, 1]) and its example indices
//   draw.NNN             every random draw of the iteration, in order: z0 and
//                        the L posterior steps' noise, then the noise
//                        samples' (N(0, I) start and prior Langevin steps'
//                        noise, or the persistent bank's row indices),
//                        replayed from the same seed after the iteration
//   out.*                z_post, z_noise, gen_loss, nce_loss, nce_acc,
//                        grad_norm (mean |grad_z| over the chain)
//   grad.generator.NAME  the summed gradients the step used
//   grad.active.NAME     (f_1's)
//   after.generator.NAME, after.active.NAME   parameters after the Adam step
// The peer's --check loads these and compares.
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <unistd.h>
#include <vector>

#include "cli/command_line.h"
#include "config.h"
#include "data/dataset.h"
#include "distributed/communicator.h"
#include "io/npz.h"
#include "log.h"
#include "random_dataset.h"
#include "train/trainer.h"

using namespace latentebm;

namespace {

void add(std::vector<npz::Array>& out, const std::string& name, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  std::vector<int64_t> shape(c.sizes().begin(), c.sizes().end());
  if (shape.empty()) shape = {1};
  out.push_back(npz::float32_array(name, c.data_ptr<float>(), shape));
}

void add(std::vector<npz::Array>& out, const std::string& name, double v) {
  add(out, name, torch::tensor({static_cast<float>(v)}));
}

void add_module(std::vector<npz::Array>& out, const std::string& prefix, torch::nn::Module& m) {
  for (const auto& p : m.named_parameters(true)) add(out, prefix + p.key(), p.value());
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, out_path;
  std::vector<std::string> overrides;
  CLI::App cmd("The reference the PyTorch peer (bench/peer/latentebm_peer.py --check) is checked against: one\n"
               "training iteration of latentebm's Trainer at stage 1, with everything the peer needs to redo it,\n"
               "in one .npz file (the comment at the top of bench/bench_peer_reference.cpp lists the arrays).",
               "bench_peer_reference");
  cli::configure(cmd);
  cmd.add_option("config", config_path, "the preset (YAML)")->required()->type_name("CONFIG.yaml");
  cmd.add_option("out", out_path, "the .npz to write")->required()->type_name("OUT.npz");
  cmd.add_option("section.key=value", overrides, "config overrides");
  if (const auto status = cli::parse(cmd, argc, argv)) return *status;
  try {
    init_console_logging(1);
    Config cfg = load_config(config_path);
    apply_overrides(cfg, overrides);
    resolve_method(cfg);
    resolve_batch(cfg, 1);  // one process: a per-rank batch is the global batch
    validate(cfg);
    if (cfg.train.method != Method::kAdaptiveCe || cfg.train.stages < 2)
      throw std::runtime_error("the peer reproduces adaptive-ce at stage 1: train.method=adaptive-ce, train.stages >= 2");
    const auto source = cfg.train.prior_samples;
    if (source != NoiseSource::kPersistent && source != NoiseSource::kLangevin)
      throw std::runtime_error("the peer has persistent and langevin noise only (train.prior_samples)");
    cfg.runtime.device = DeviceChoice::kCpu;
    cfg.runtime.precision = Precision::kFp32;
    cfg.log.noise_reference_samples = 0;
    torch::set_num_threads(1);

    const int64_t channels = bench::image_channels(cfg);
    const int64_t B = cfg.train.batch_size, nz = cfg.model.nz;
    torch::manual_seed(cfg.train.seed);
    const auto dir = std::filesystem::temp_directory_path() / ("latentebm-peer-ref-" + std::to_string(::getpid()));
    bench::use_random_dataset(cfg, B * 4, dir);
    cfg.train.iterations = 1000000;

    auto comm = make_single_communicator();
    Trainer trainer(cfg, *comm, (dir / "run").string());
    std::vector<npz::Array> out;
    add(out, "setting.nz", static_cast<double>(nz));
    add(out, "setting.ngf", static_cast<double>(cfg.model.ngf));
    add(out, "setting.channels", static_cast<double>(channels));
    add(out, "setting.batch", static_cast<double>(B));
    add(out, "setting.L", static_cast<double>(cfg.train.langevin_steps));
    add(out, "setting.delta", cfg.train.langevin_delta);
    add(out, "setting.sigma", cfg.model.sigma);
    add(out, "setting.hidden", static_cast<double>(cfg.model.ratio_hidden));
    add(out, "setting.stages", static_cast<double>(cfg.train.stages));
    add(out, "setting.g_lr", cfg.train.g_lr);
    add(out, "setting.e_lr", cfg.train.e_lr);
    add(out, "setting.prior_steps", static_cast<double>(cfg.train.prior_langevin_steps));
    add(out, "setting.prior_delta", cfg.train.prior_langevin_delta);
    add(out, "setting.noise_persistent", source == NoiseSource::kPersistent ? 1.0 : 0.0);
    if (cfg.train.beta1 != 0.5 || cfg.train.beta2 != 0.999)
      throw std::runtime_error("the peer's Adam uses betas (0.5, 0.999), the config has others");
    add_module(out, "init.generator.", *trainer.generator());
    add_module(out, "init.prior.", *trainer.prior());

    trainer.enter_stage(1);
    add(out, "bank.snapshot", trainer.bank().snapshot_rows());

    const uint64_t seed = cfg.train.seed * 7919 + 13;
    torch::manual_seed(seed);
    auto batch = trainer.load_batch(0);
    torch::Tensor grad_norm;
    auto z_post = trainer.sample_posterior(batch.x, &grad_norm);
    trainer.bank().write(batch.indices, z_post, 0);
    auto z_noise = trainer.sample_noise(B);
    const StepStats s = trainer.update(batch, z_post, z_noise, grad_norm);
    if (s.diverged) throw std::runtime_error("the reference iteration diverged: " + s.divergence);

    add(out, "x", batch.x);
    add(out, "indices", torch::tensor(batch.indices).to(torch::kFloat32));
    add(out, "out.z_post", z_post);
    add(out, "out.z_noise", z_noise);
    add(out, "out.gen_loss", s.gen_loss);
    add(out, "out.nce_loss", s.nce_loss);
    add(out, "out.nce_acc", s.nce_acc);
    add(out, "out.grad_norm", s.langevin_grad_norm);
    auto& active = *trainer.prior()->ratio(1);
    for (const auto& p : trainer.generator()->named_parameters(true)) {
      add(out, "grad.generator." + p.key(), p.value().grad());
      add(out, "after.generator." + p.key(), p.value());
    }
    for (const auto& p : active.named_parameters(true)) {
      add(out, "grad.active." + p.key(), p.value().grad());
      add(out, "after.active." + p.key(), p.value());
    }

    // The iteration's draws, replayed from the same seed in the order the
    // Trainer made them (sampler.cpp, noise.cpp, memory_bank.cpp).
    torch::manual_seed(seed);
    std::vector<torch::Tensor> draws;
    for (int64_t i = 0; i <= cfg.train.langevin_steps; ++i) draws.push_back(torch::randn({B, nz}));
    if (source == NoiseSource::kPersistent) {
      const int64_t rows = trainer.bank().snapshot_rows().size(0);
      draws.push_back(torch::randint(0, rows, {B}, torch::TensorOptions().dtype(torch::kLong)).to(torch::kFloat32));
    } else {
      for (int64_t i = 0; i <= cfg.train.prior_langevin_steps; ++i) draws.push_back(torch::randn({B, nz}));
    }
    for (size_t i = 0; i < draws.size(); ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "draw.%03zu", i);
      add(out, name, draws[i]);
    }
    add(out, "setting.draws", static_cast<double>(draws.size()));
    npz::write(out_path, out);
    std::filesystem::remove_all(dir);
    std::printf("bench_peer_reference: %zu arrays, %zu draws, gen %.6f nce %.6f acc %.4f |grad z| %.6f -> %s\n",
                out.size(), draws.size(), s.gen_loss, s.nce_loss, s.nce_acc, s.langevin_grad_norm, out_path.c_str());
  } catch (const std::exception& e) {
    std::cerr << "bench_peer_reference: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
