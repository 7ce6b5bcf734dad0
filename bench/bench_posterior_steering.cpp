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
// Usage: bench_posterior_steering --run-dir DIR [--images 1000] [--batch 100]
//        [--seed 1] [--stages K] [--out FILE.json]
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/loaded_run.h"
#include "data/dataset.h"
#include "eval/steering.h"
#include "io/atomic_file.h"
#include "io/h5.h"
#include "method.h"
#include "model/inference.h"

using namespace latentebm;

int main(int argc, char** argv) {
  try {
    std::map<std::string, std::string> a;
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string k = argv[i];
      if (k.rfind("--", 0) != 0) throw std::runtime_error("expected --option value, got '" + k + "'");
      a[k.substr(2)] = argv[i + 1];
    }
    if (argc % 2 == 0) throw std::runtime_error("options come in pairs: --option value");
    for (const auto& [k, v] : a)
      if (k != "run-dir" && k != "images" && k != "batch" && k != "seed" && k != "stages" && k != "out")
        throw std::runtime_error("unknown option --" + k);
    if (!a.count("run-dir")) throw std::runtime_error("usage: bench_posterior_steering --run-dir DIR [--images N] "
                                                      "[--batch B] [--seed S] [--stages K] [--out FILE.json]");
    // --key's integer value (def when absent), or an error naming it.
    const auto int_opt = [&](const std::string& k, int64_t def) -> int64_t {
      if (!a.count(k)) return def;
      size_t used = 0;
      int64_t v = 0;
      try {
        v = std::stoll(a[k], &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != a[k].size()) throw std::runtime_error("--" + k + " expects an integer, got '" + a[k] + "'");
      return v;
    };
    const int64_t images = int_opt("images", 1000), batch = int_opt("batch", 100);
    const auto seed = static_cast<uint64_t>(int_opt("seed", 1));
    if (images < 1 || batch < 1) throw std::runtime_error("--images and --batch must be >= 1");
    torch::set_num_threads(1);

    app::ModelSource src;
    src.run_dir = a["run-dir"];
    auto r = app::load_run(src);
    const auto stages = app::prior_stages(a.count("stages") ? std::optional<int64_t>(int_opt("stages", 0)) : std::nullopt, r);
    const LangevinOptions opt{r.cfg.train.langevin_steps, r.cfg.train.langevin_delta};
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
      const auto x = to_unit_range(torch::from_blob(set.pixels.data(), {set.n, info.c, info.h, info.w}, torch::kUInt8))
                         .to(r.device);
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
    nlohmann::json out = {{"run_dir", a["run-dir"]},
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
    if (a.count("out")) io::write_file_atomically(a["out"], text);
    std::cout << text;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_posterior_steering: " << e.what() << "\n";
    return 1;
  }
}
