// How much a trained run's learned prior steers posterior Langevin
// (eval/steering.h; RESULTS.md A.28). On N test images (the uniform subset
// eval --test-limit N takes), posterior chains with the run's training
// settings (train.langevin_steps, train.langevin_delta, model.sigma) start
// from z0 ~ N(0, I) and report:
//   drift_*       mean per-example norm of each part of the drift along the
//                 chain under p_K: likelihood, learned ratios, base N(0, I)
//   shift_base    mean ||z_K - z_base||: where the ratios take the end point,
//                 against the same chain under N(0, I) (same start and noise)
//   shift_noise   mean ||z_K - z_K'||: the chain's own spread, z_K' the chain
//                 under p_K with other Langevin noise
//   mse_*         test MSE of g(z) at z_K, z_base, z_K'
// The ratios steer the posterior samples only as far as shift_base exceeds
// shift_noise.
//
// Usage: bench_posterior_steering --run-dir DIR [--images 1000] [--batch-size 100]
//        [--seed 1] [--stages K] [--out FILE.json]   (--batch: --batch-size)
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/loaded_run.h"
#include "cli/command_line.h"
#include "data/dataset.h"
#include "eval/steering.h"
#include "io/atomic_file.h"
#include "io/h5.h"
#include "method.h"
#include "model/inference.h"

using namespace latentebm;

int main(int argc, char** argv) {
  app::ModelSource src;
  app::SamplingOptions sampling;  // --stages, --seed, --batch-size (--batch)
  int64_t images = 1000;
  std::optional<std::string> out_path;
  CLI::App cmd("How much a trained run's learned prior steers posterior Langevin (eval/steering.h; RESULTS.md\n"
               "A.28); the comment at the top of bench/bench_posterior_steering.cpp defines every number.",
               "bench_posterior_steering");
  cli::configure(cmd);
  cli::add_model_source(cmd, src);
  cmd.get_option("--run-dir")->required();
  cmd.add_option("--images", images, "test images (the uniform subset eval --test-limit N takes)")
      ->capture_default_str()
      ->type_name("N")
      ->check(cli::positive_integer());
  cli::add_sampling_group(cmd, sampling, {/*batch_size=*/true, /*prior_sampler=*/false});
  cmd.add_option("--out", out_path, "also write the JSON here")->type_name("FILE.json");
  if (const auto status = cli::parse(cmd, argc, argv)) return *status;
  const int64_t batch = sampling.batch_size;
  const uint64_t seed = sampling.seed;
  try {
    torch::set_num_threads(1);

    auto r = app::load_run(src);
    const auto stages = app::prior_stages(sampling.stages, r);
    const LangevinOptions opt = posterior_langevin_options(r.cfg);
    const double sigma = r.cfg.model.sigma;
    const auto info = data::inspect_dataset(r.cfg.data.path);
    const std::vector<int64_t> rows = data::split_rows(info, "test", images);
    const auto n = static_cast<int64_t>(rows.size());
    if (n == 0) throw std::runtime_error("'" + r.cfg.data.path + "' has no test images");
    r.g->eval();
    r.prior->eval();

    h5::File f(r.cfg.data.path, h5::Mode::Read);
    double lik = 0, ratios = 0, base = 0, shift_base = 0, shift_noise = 0, znorm = 0, mse_k = 0, mse_base = 0, mse_again = 0;
    const auto mse_sum = [&](const torch::Tensor& z, const torch::Tensor& x) {
      torch::NoGradGuard no_grad;
      return (r.g->forward(z) - x).pow(2).flatten(1).mean(1).sum().item<double>();
    };
    for (int64_t i = 0, b = 0; i < n; i += batch, ++b) {
      const int64_t e = std::min(i + batch, n);
      data::ImageSet set = data::read_file_rows(f, info, "test", {rows.begin() + i, rows.begin() + e});
      const auto x = model_images(set).to(r.device);
      const uint64_t s = seed * 1000003ULL + static_cast<uint64_t>(b) * 3;
      torch::manual_seed(s);
      const auto z0 = torch::randn({set.n, r.cfg.model.nz}, x.options());
      const auto st = posterior_steering(r.g, r.prior, stages, x, z0, sigma, opt, s + 1);
      torch::manual_seed(s + 2);
      const auto again = posterior_langevin(r.g, r.prior, stages, x, z0, sigma, opt);
      const double w = static_cast<double>(set.n);
      lik += st.drift.likelihood * w;
      ratios += st.drift.ratios * w;
      base += st.drift.base * w;
      shift_base += (st.z_prior - st.z_base).norm(2, {1}).sum().item<double>();
      shift_noise += (st.z_prior - again).norm(2, {1}).sum().item<double>();
      znorm += st.z_prior.norm(2, {1}).sum().item<double>();
      mse_k += mse_sum(st.z_prior, x);
      mse_base += mse_sum(st.z_base, x);
      mse_again += mse_sum(again, x);
    }
    const double N = static_cast<double>(n);
    nlohmann::json out = {{"run_dir", *src.run_dir},
                          {"checkpoint", r.ckpt},
                          {"method", traits(r.cfg.train.method).name},
                          // the prior the method samples its posteriors under (K: the chain under p_K; 0: N(0, I))
                          {"posterior_stages_of_method", traits(r.cfg.train.method).test_posterior_stages(stages)},
                          {"stages", stages},
                          {"images", n},
                          {"seed", seed},
                          {"langevin_steps", opt.steps},
                          {"langevin_delta", opt.delta},
                          {"sigma", sigma},
                          {"drift_likelihood", lik / N},
                          {"drift_ratios", ratios / N},
                          {"drift_base", base / N},
                          {"shift_base", shift_base / N},
                          {"shift_noise", shift_noise / N},
                          {"z_norm", znorm / N},
                          {"mse_prior", mse_k / N},
                          {"mse_base", mse_base / N},
                          {"mse_prior_other_noise", mse_again / N}};
    const std::string text = out.dump(1) + "\n";
    if (out_path) io::write_file_atomically(*out_path, text);
    std::cout << text;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_posterior_steering: " << e.what() << "\n";
    return 1;
  }
}
