// Mechanism study without a generator (issue 12, item 7).
//
// A fixed 8-D Gaussian mixture q, far from N(0, I), stands in for the
// aggregated posterior. Each method fits a prior p = exp(sum f_i) N(0, I)
// to samples of q with the same ratio network (Table 4 MLP) and the same
// total number of prior-network updates; we report KL(q || p) on held-out
// samples of q, exactly normalised by importance sampling (eval/density.h),
// after every stage, for seeds 1..3 (mean +- std):
//   single-stage         one NCE of q against N(0, I)
//   K-stage persistent   stage k's noise: samples of q (the bank: the
//                        previous stage's "posterior" samples; here the
//                        target does not move, so q_{k-1} = q)
//   K-stage langevin     short-run prior Langevin on p_k from N(0, I)
//   K-stage persistent-langevin  bank samples moved M steps on p_k
//   K-stage importance   importance resampling of N(0, I) draws with
//                        weights p_k / N(0, I), P proposals per sample
//   lebm                 one energy by maximum likelihood with short-run
//                        prior Langevin (60 steps, delta 0.4)
//
// Usage: bench_mechanism [--seeds 3] [--stage-iters 500] [--stages 4]
//        [--batch 200] [--lr 5e-4] [--prior-langevin-steps 60] [--bank-langevin-steps 20]
//        [--noise-proposals 100]
//        [--methods single,persistent,langevin,persistent-langevin,importance,lebm]
//        [--out results.md]
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "cli/command_line.h"
#include "eval/density.h"
#include "model/noise.h"
#include "model/prior.h"
#include "train/adam.h"

using namespace latentebm;

namespace {

constexpr int64_t kDim = 8;

// q: 4 equally weighted components N(m_c, s^2 I), m_c = 2.5 (+-1, +-1, 0, ..., 0), s = 0.6.
struct Mixture {
  torch::Tensor means;  // [4, d]
  double s = 0.6;
  Mixture() {
    means = torch::zeros({4, kDim});
    const float v[4][2] = {{2.5f, 2.5f}, {2.5f, -2.5f}, {-2.5f, 2.5f}, {-2.5f, -2.5f}};
    for (int c = 0; c < 4; ++c) {
      means[c][0] = v[c][0];
      means[c][1] = v[c][1];
    }
  }
  torch::Tensor sample(int64_t n) const {
    auto c = torch::randint(0, 4, {n}, torch::kLong);
    return means.index_select(0, c) + s * torch::randn({n, kDim});
  }
  torch::Tensor log_density(const torch::Tensor& z) const {
    auto zd = z.to(torch::kFloat64);
    auto diff = zd.unsqueeze(1) - means.to(torch::kFloat64).unsqueeze(0);  // [n, 4, d]
    auto lc = -0.5 * diff.pow(2).sum(2) / (s * s) - kDim * std::log(s) - 0.5 * kDim * std::log(2 * M_PI);
    return torch::logsumexp(lc, 1) - std::log(4.0);
  }
};

struct Settings {
  int64_t seeds = 3, stage_iters = 500, stages = 4, batch = 200, langevin_steps = 60, bank_steps = 20, proposals = 100;
  double lr = 5e-4, prior_delta = 0.4;
  int64_t eval_samples = 20000, proposal_samples = 200000;
  std::string out;
  std::string methods = "single,persistent,langevin,persistent-langevin,importance,lebm";  // which rows to run
};

// KL(q || p_stages) from held-out samples of q, with Z by importance sampling
// from the defensive proposal r = (N(0, I) + q) / 2.
double kl_q_p(MultiStagePrior& prior, int64_t stages, const Mixture& q, const torch::Tensor& held_out,
              const torch::Tensor& proposal, const torch::Tensor& log_r) {
  const double log_z = log_normaliser(prior, stages, proposal, log_r);
  return (q.log_density(held_out) - normalised_log_density(prior, stages, held_out, log_z)).mean().item<double>();
}

enum class Kind { kSingle, kPersistent, kLangevin, kPersistentLangevin, kImportance, kLebm };

// After each stage: KL(q || p) and the importance ESS fraction of p / N(0, I)
// on fixed N(0, I) draws (model/noise.h), which says how far p is from N(0, I)
// and how many of `importance` noise's proposals count.
struct StageResult {
  double kl, ess;
};

// Trains one method; returns its values after each stage (one for single-stage and lebm).
std::vector<StageResult> run(Kind kind, const Settings& st, uint64_t seed, const Mixture& q, const torch::Tensor& held_out,
                             const torch::Tensor& proposal, const torch::Tensor& log_r, const torch::Tensor& normal) {
  torch::manual_seed(seed);
  const bool multi = kind != Kind::kSingle && kind != Kind::kLebm;
  const int64_t K = multi ? st.stages : 1;
  const int64_t iters = multi ? st.stage_iters : st.stage_iters * st.stages;  // the same total budget
  MultiStagePrior prior(kDim, K, 200);
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  NoiseOptions nopt;
  nopt.langevin = {st.langevin_steps, st.prior_delta};
  nopt.bank_steps = st.bank_steps;
  nopt.proposals = st.proposals;
  nopt.source = kind == Kind::kLangevin             ? NoiseSource::kLangevin
                : kind == Kind::kPersistentLangevin ? NoiseSource::kPersistentLangevin
                : kind == Kind::kImportance         ? NoiseSource::kImportance
                                                    : NoiseSource::kPersistent;
  std::vector<StageResult> out;
  for (int64_t k = 0; k < K; ++k) {
    auto& f = prior->ratio(k);
    Adam opt(parameter_list(*f), st.lr, 0.5, 0.999);
    for (int64_t it = 0; it < iters; ++it) {
      auto data = q.sample(st.batch);
      torch::Tensor noise;
      if (kind == Kind::kLebm) {
        noise = prior_langevin(prior, 1, torch::randn({st.batch, kDim}), nopt.langevin);
      } else {
        // (the bank draw is made for every source, so that each row keeps the
        // random stream of the results in docs/RESULTS.md)
        noise = stage_noise(prior, k, nopt, st.batch, k > 0 ? q.sample(st.batch) : torch::Tensor(), f32);
      }
      opt.zero_grad();
      auto fd = f->forward(data), fn = f->forward(noise.detach());
      auto loss = kind == Kind::kLebm ? fn.mean() - fd.mean()
                                      : -(torch::log_sigmoid(fd).mean() + torch::log_sigmoid(-fn).mean());
      loss.backward();
      opt.step();
    }
    out.push_back({kl_q_p(prior, k + 1, q, held_out, proposal, log_r), importance_ess_fraction(prior, k + 1, normal)});
  }
  return out;
}

std::pair<double, double> mean_std(const std::vector<double>& v) {
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  for (double x : v) s += (x - m) * (x - m);
  return {m, v.size() > 1 ? std::sqrt(s / static_cast<double>(v.size() - 1)) : 0.0};
}

}  // namespace

int main(int argc, char** argv) {
  Settings st;
  CLI::App cmd("Mechanism study without a generator (issue 12, item 7): each method fits a prior to a fixed 8-D\n"
               "Gaussian mixture; KL(q || p) on held-out samples after every stage, seeds 1..N (mean +- std).\n"
               "The comment at the top of bench/bench_mechanism.cpp describes the methods.",
               "bench_mechanism");
  cli::configure(cmd);
  cmd.add_option("--seeds", st.seeds, "seeds 1..N")->capture_default_str()->type_name("N")->check(cli::positive_integer());
  cmd.add_option("--stage-iters", st.stage_iters, "NCE steps per stage")
      ->capture_default_str()
      ->type_name("N")
      ->check(cli::positive_integer());
  cmd.add_option("--stages", st.stages, "stages K")->capture_default_str()->type_name("K")->check(cli::positive_integer());
  cmd.add_option("--batch", st.batch, "samples of q (and of noise) per step")
      ->capture_default_str()
      ->type_name("N")
      ->check(cli::positive_integer());
  cmd.add_option("--lr", st.lr, "Adam learning rate")->capture_default_str()->type_name("LR")->check(cli::finite_number());
  // Spelled as the config keys of the same settings (train.prior_langevin_steps,
  // train.bank_langevin_steps, train.noise_proposals); the bench's first names stay as aliases.
  cmd.add_option("--prior-langevin-steps,--langevin-steps", st.langevin_steps,
                 "langevin noise and lebm: prior Langevin steps from N(0, I)")
      ->capture_default_str()
      ->type_name("N")
      ->check(cli::positive_integer());
  cmd.add_option("--bank-langevin-steps,--bank-steps", st.bank_steps, "persistent-langevin: steps M from a bank draw")
      ->capture_default_str()
      ->type_name("M")
      ->check(cli::non_negative_integer());
  cmd.add_option("--noise-proposals,--proposals", st.proposals, "importance: N(0, I) proposals P per noise sample")
      ->capture_default_str()
      ->type_name("P")
      ->check(cli::positive_integer());
  cmd.add_option("--methods", st.methods, "comma-separated rows to run")->capture_default_str()->type_name("LIST");
  cmd.add_option("--out", st.out, "also write the tables (markdown) here")->type_name("FILE");
  if (const auto status = cli::parse(cmd, argc, argv)) return *status;
  torch::set_num_threads(1);
  const Mixture q;
  torch::manual_seed(12345);  // one held-out set and one proposal for every method and seed
  const auto held_out = q.sample(st.eval_samples);
  auto proposal = torch::cat({torch::randn({st.proposal_samples / 2, kDim}), q.sample(st.proposal_samples / 2)});
  const auto log_r = torch::logaddexp(standard_normal_log_density(proposal).to(torch::kFloat64), q.log_density(proposal)) -
                     std::log(2.0);
  const auto normal = proposal.slice(0, 0, st.proposal_samples / 2);  // the proposal's N(0, I) half
  const std::vector<std::tuple<Kind, std::string, std::string>> all = {
      {Kind::kSingle, "single", "single-stage NCE"},
      {Kind::kPersistent, "persistent", "K-stage NCE, persistent"},
      {Kind::kLangevin, "langevin", "K-stage NCE, langevin"},
      {Kind::kPersistentLangevin, "persistent-langevin", "K-stage NCE, persistent-langevin"},
      {Kind::kImportance, "importance", "K-stage NCE, importance"},
      {Kind::kLebm, "lebm", "LEBM (maximum likelihood)"}};
  std::vector<std::pair<Kind, std::string>> methods;
  for (const auto& [kind, key, name] : all)
    if (("," + st.methods + ",").find("," + key + ",") != std::string::npos) methods.emplace_back(kind, name);
  if (methods.empty()) {
    std::cerr << "--methods '" << st.methods << "' names none of single, persistent, langevin, persistent-langevin, importance, lebm\n";
    return 2;
  }
  // KL of N(0, I) itself, for scale.
  MultiStagePrior none(kDim, 0, 1);
  const double kl_base = kl_q_p(none, 0, q, held_out, proposal, log_r);
  std::map<std::string, std::vector<std::vector<StageResult>>> results;  // method -> seed -> per-stage values
  for (const auto& [kind, name] : methods)
    for (int64_t s = 1; s <= st.seeds; ++s) {
      const auto t0 = std::chrono::steady_clock::now();
      results[name].push_back(run(kind, st, static_cast<uint64_t>(s), q, held_out, proposal, log_r, normal));
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::string stages, ess;
      for (const auto& v : results[name].back()) {
        stages += (stages.empty() ? "" : " ") + std::to_string(v.kl);
        ess += (ess.empty() ? "" : " ") + std::to_string(v.ess);
      }
      std::fprintf(stderr, "%s seed %lld: KL %.4f (%.0f s; after each stage: %s; importance ESS of p / N(0, I): %s)\n",
                   name.c_str(), static_cast<long long>(s), results[name].back().back().kl, secs, stages.c_str(),
                   ess.c_str());
    }
  std::string md;
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "KL(q || p) in nats on %lld held-out samples of q (8-D, 4 components at 2.5(+-1, +-1, 0..0), std 0.6); "
                "KL(q || N(0, I)) = %.3f. %lld seeds, mean +- std. Budget: %lld stages x %lld NCE steps (single-stage and "
                "LEBM: %lld steps of one network), batch %lld, Adam lr %g (betas 0.5, 0.999); langevin noise %lld steps at "
                "delta %g, persistent-langevin M = %lld, importance P = %lld.\n\n",
                static_cast<long long>(st.eval_samples), kl_base, static_cast<long long>(st.seeds),
                static_cast<long long>(st.stages), static_cast<long long>(st.stage_iters),
                static_cast<long long>(st.stages * st.stage_iters), static_cast<long long>(st.batch), st.lr,
                static_cast<long long>(st.langevin_steps), st.prior_delta, static_cast<long long>(st.bank_steps),
                static_cast<long long>(st.proposals));
  md += buf;
  auto table = [&](double StageResult::*field, const char* fmt) {
    md += "| method |";
    for (int64_t k = 1; k <= st.stages; ++k) md += " after stage " + std::to_string(k) + " |";
    md += "\n|---|";
    for (int64_t k = 1; k <= st.stages; ++k) md += "---|";
    md += "\n";
    for (const auto& [kind, name] : methods) {
      const auto& runs = results[name];
      md += "| " + name + " |";
      // One network for the whole budget: its value goes in the last column.
      for (size_t k = runs[0].size(); k < static_cast<size_t>(st.stages); ++k) md += " |";
      for (size_t k = 0; k < runs[0].size(); ++k) {
        std::vector<double> v;
        for (const auto& r : runs) v.push_back(r[k].*field);
        const auto [m, s] = mean_std(v);
        std::snprintf(buf, sizeof(buf), fmt, m, s);
        md += buf;
      }
      md += "\n";
    }
  };
  table(&StageResult::kl, " %.3f +- %.3f |");
  md += "\nImportance ESS of p / N(0, I) on " + std::to_string(st.proposal_samples / 2) +
        " N(0, I) draws, as a fraction of them (1 = p is N(0, I)):\n\n";
  table(&StageResult::ess, " %.2g +- %.2g |");
  std::cout << md;
  if (!st.out.empty()) std::ofstream(st.out) << md;
  return 0;
}
