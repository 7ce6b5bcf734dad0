// Single-process commands over a trained model: sample (the prior), reconstruct (the posterior).
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "app/app.h"
#include "app/loaded_run.h"
#include "data/dataset.h"
#include "io/npz.h"
#include "log.h"
#include "model/inference.h"
#include "report/grid.h"
#include "report/strip.h"

namespace fs = std::filesystem;

namespace latentebm::app {

namespace {
std::string default_out(const ModelSource& src, const std::string& name) {
  return (std::filesystem::path(src.output_dir()) / name).string();
}
}  // namespace

int run_sample(const SampleOptions& opt) {
  init_console_logging(0);
  if (opt.format != "png" && opt.format != "npz") throw std::runtime_error("--format must be png or npz");
  if (opt.strip && (opt.format != "png" || opt.out || opt.sampling.prior.method))
    throw std::runtime_error("--strip writes only the strip PNG; it does not combine with --format, --out or --sample-method");
  auto r = load_run(opt.model);
  // The stages the run trained (an unfinished or adaptive-schedule run's
  // untrained ratio networks stay out), as eval and score use.
  const int64_t stages = prior_stages(opt.sampling.stages, r);
  const SampleConfig sc = sampler_config(r.cfg.sample, opt.sampling.prior);
  torch::manual_seed(opt.sampling.seed);
  if (opt.strip) {
    StripOptions so;
    so.chains = opt.count.value_or(SampleOptions::kDefaultStripChains);
    so.steps = opt.strip_steps;
    so.every = opt.strip_every;
    so.delta = sc.delta;
    const int64_t cols = save_langevin_strip(*opt.strip, r.g, r.prior, stages, so, r.device);
    spdlog::info("wrote {} (Langevin strip: {} chains x {} columns, {} steps, every {}, checkpoint {})", *opt.strip, so.chains,
                 cols, so.steps, so.every, r.ckpt);
    return kExitOk;
  }
  const int64_t n = opt.count.value_or(SampleOptions::kDefaultCount);
  if (n < 1) throw std::runtime_error("--count must be >= 1");
  const auto z = sample_latents(r.prior, stages, sc, n, r.device);
  torch::Tensor images;
  {
    torch::NoGradGuard no_grad;
    images = r.g->forward(z);
  }
  const std::string out = opt.out.value_or(default_out(opt.model, std::string("samples-") + enum_name(sc.method) + "." + opt.format));
  if (opt.format == "npz") {
    // Besides the 8-bit samples: the latents, the decoded images as floats
    // and the unnormalised log prior of each latent, so that another
    // implementation (python/latentebm.py) can be checked against this one.
    torch::Tensor log_prior;
    {
      torch::NoGradGuard no_grad;
      log_prior = r.prior->log_density(z, stages);
    }
    auto f32 = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat32).contiguous(); };
    const auto zc = f32(z), ic = f32(images), lc = f32(log_prior);
    npz::write(out, {npz::uint8_array("samples", to_bytes(images), images.sizes().vec()),
                     npz::float32_array("z", zc.data_ptr<float>(), zc.sizes().vec()),
                     npz::float32_array("images", ic.data_ptr<float>(), ic.sizes().vec()),
                     npz::float32_array("log_prior", lc.data_ptr<float>(), lc.sizes().vec())});
  } else {
    save_grid(out, images, opt.columns);
  }
  spdlog::info("wrote {} ({} samples from the {}-stage prior by {}, checkpoint {})", out, n, stages, describe(sc), r.ckpt);
  return kExitOk;
}

int run_reconstruct(const ReconstructOptions& opt) {
  init_console_logging(0);
  auto r = load_run(opt.model);
  // Posterior sampling under the prior the generator was trained with.
  const int64_t posterior_stages = traits(r.cfg.train.method).test_posterior_stages(prior_stages(opt.sampling.stages, r));
  const auto info = data::inspect_dataset(r.cfg.data.path);
  const int64_t n = std::min<int64_t>(opt.count, info.n_test);
  if (n < 1) throw std::runtime_error("--count must be >= 1 and the dataset needs test images");
  data::ShardData test(r.cfg.data.path, "test", 0, 1, n);
  const auto& imgs = test.images();
  auto x = model_images(imgs).to(r.device);
  torch::manual_seed(opt.sampling.seed);
  auto recon = reconstruct_images(r.g, r.prior, posterior_stages, x, r.cfg.model.sigma,
                                  posterior_langevin_options(r.cfg));
  const double mse = (recon - x).pow(2).mean().item<double>();
  const std::string out = opt.out.value_or(default_out(opt.model, "reconstructions-cli.png"));
  save_reconstruction_grid(out, x, recon, 8);
  std::cout << "reconstruction_mse " << mse << " images " << n << "\n";
  spdlog::info("wrote {} (posterior Langevin under the {}-stage prior)", out, posterior_stages);
  return kExitOk;
}

}  // namespace latentebm::app
