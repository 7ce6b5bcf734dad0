// Run under `mpirun -np 2`. Every baseline of train.method (issue 3) trains
// on 2 ranks, and on a fixed batch its loss terms are the method's
// definition: NCE for adaptive-ce / single-stage / non-adaptive, the
// energy's maximum-likelihood objective for lebm, no prior term for gaussian;
// posterior sampling targets the prior the method prescribes.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "model/prior.h"
#include "model/sampler.h"
#include "support/mpi_run_fixture.h"
#include "train/trainer.h"

using namespace latentebm;
using namespace latentebm::testing;

namespace {

using MethodTest = MpiRunTest;

Config method_config(const std::string& data_path, const std::string& method) {
  Config c = tiny_config(data_path);
  c.train.method = *parse_enum<Method>(method);
  resolve_method(c);
  c.train.prior_langevin_steps = 5;
  validate(c);
  return c;
}

double global_mean(const torch::Tensor& per_example_local, int64_t global_batch) {
  double s = per_example_local.sum().item<double>();
  MPI_Allreduce(MPI_IN_PLACE, &s, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return s / static_cast<double>(global_batch);
}

}  // namespace

TEST_F(MethodTest, ResolveMethodSetsWhatEachMethodImplies) {
  for (const auto& [method, stages, samples] : std::vector<std::tuple<std::string, int64_t, std::string>>{
           {"adaptive-ce", 4, "persistent"},
           {"gaussian", 0, "persistent"},
           {"single-stage", 1, "persistent"},
           {"non-adaptive", 4, "persistent"},  // the same noise as adaptive-ce: only the posterior prior differs
           {"lebm", 1, "langevin"}}) {
    Config c = tiny_config(data_path_);
    c.train.method = *parse_enum<Method>(method);
    resolve_method(c);
    EXPECT_EQ(c.train.stages, stages) << method;
    EXPECT_EQ(enum_name(c.train.prior_samples), samples) << method;
    EXPECT_NO_THROW(validate(c)) << method;
  }
  Config bad = tiny_config(data_path_);
  bad.train.method = Method::kGaussian;  // without resolve_method: stages 4 is inconsistent
  EXPECT_THROW(validate(bad), std::runtime_error);
}

TEST_F(MethodTest, EveryMethodTrainsOnTwoRanksWithItsOwnLossTerms) {
  for (const std::string method : {"adaptive-ce", "gaussian", "single-stage", "non-adaptive", "lebm"}) {
    SCOPED_TRACE(method);
    const Config cfg = method_config(data_path_, method);
    Trainer t(cfg, *comm_, run_dir("method-" + method));
    t.train(4);  // crosses a stage transition for the K = 4 methods (stage length 2)
    ASSERT_EQ(t.iteration(), 4);
    EXPECT_EQ(t.prior()->num_stages(), cfg.train.stages);
    for (const auto& p : parameter_list(*t.generator())) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());

    // A fixed batch: the prior term reported by update() is the definition.
    const Batch batch = t.load_batch(4);
    torch::manual_seed(100 + world_rank());
    const auto z_post = torch::randn({static_cast<int64_t>(batch.indices.size()), cfg.model.nz});
    const auto z_noise = torch::randn({static_cast<int64_t>(batch.indices.size()), cfg.model.nz}) * 1.5;
    const int64_t B = cfg.train.batch_size;
    double expected_prior = 0, expected_acc = 0;
    if (cfg.train.stages > 0) {
      torch::NoGradGuard no_grad;
      auto& f = t.prior()->ratio(t.stage());
      const auto fp = f->forward(z_post), fn = f->forward(z_noise);
      if (method == "lebm") {
        expected_prior = global_mean(fn, B) - global_mean(fp, B);
      } else {
        expected_prior = -(global_mean(torch::log_sigmoid(fp), B) + global_mean(torch::log_sigmoid(-fn), B));
        expected_acc = (global_mean((fp > 0).to(torch::kDouble), B) + global_mean((fn < 0).to(torch::kDouble), B)) / 2;
      }
    }
    const double expected_gen = global_mean(
        (batch.x - t.generator()->forward(z_post)).pow(2).flatten(1).sum(1).detach() / (2 * cfg.model.sigma * cfg.model.sigma), B);
    const auto stats = t.update(batch, z_post, z_noise);
    EXPECT_NEAR(stats.gen_loss, expected_gen, 1e-3 * std::abs(expected_gen));
    EXPECT_NEAR(stats.nce_loss, expected_prior, 1e-5 + 1e-5 * std::abs(expected_prior));
    EXPECT_NEAR(stats.nce_acc, expected_acc, 1e-6);
    EXPECT_FALSE(stats.diverged);
  }
}

TEST_F(MethodTest, PosteriorTargetsThePriorTheMethodPrescribes) {
  for (const auto& [method, stages_used] : std::vector<std::pair<std::string, int64_t>>{
           {"adaptive-ce", 2}, {"non-adaptive", 0}, {"gaussian", 0}, {"lebm", 1}}) {
    SCOPED_TRACE(method);
    const Config cfg = method_config(data_path_, method);
    Trainer t(cfg, *comm_, run_dir("posterior-" + method));
    t.train(5);  // adaptive-ce and non-adaptive are in stage 2 now
    const Batch batch = t.load_batch(5);
    torch::manual_seed(7);
    const auto z = t.sample_posterior(batch.x);
    torch::manual_seed(7);
    const auto z0 = torch::randn({batch.x.size(0), cfg.model.nz});
    const auto want = posterior_langevin(t.generator(), t.prior(), stages_used, batch.x, z0, cfg.model.sigma,
                                         posterior_langevin_options(cfg));
    EXPECT_TRUE(torch::allclose(z, want, 1e-5, 1e-6)) << "max |diff| " << (z - want).abs().max().item<double>();
  }
}

TEST_F(MethodTest, EveryNoiseSourceTrainsAndLogsItsDiagnostics) {
  for (const NoiseSource source :
       {NoiseSource::kPersistent, NoiseSource::kLangevin, NoiseSource::kPersistentLangevin, NoiseSource::kImportance}) {
    SCOPED_TRACE(enum_name(source));
    Config cfg = tiny_config(data_path_);
    cfg.train.prior_samples = source;
    cfg.train.prior_langevin_steps = 5;
    cfg.train.bank_langevin_steps = 3;
    cfg.log.log_every = 2;
    validate(cfg);
    const std::string dir = run_dir(std::string("noise-") + enum_name(source));
    std::filesystem::create_directories(dir);  // the CLI's job; metrics.jsonl goes there
    Trainer t(cfg, *comm_, dir);
    t.train();
    ASSERT_EQ(t.iteration(), 8);
    EXPECT_EQ(t.stage_starts(), (std::vector<int64_t>{0, 2, 4, 6}));
    EXPECT_EQ(t.noise_reference().stage, 3);
    EXPECT_EQ(t.noise_reference().z.size(0), cfg.log.noise_reference_samples);
    if (world_rank() != 0) continue;
    std::ifstream in(std::filesystem::path(dir) / "metrics.jsonl");
    int starts = 0, diag_rows = 0;
    for (std::string line; std::getline(in, line);) {
      const auto r = nlohmann::json::parse(line);
      if (r.contains("stage_start")) {
        ++starts;
        // 64 examples over 2 ranks, 4 per rank per iteration, stages of 2
        // iterations inside one epoch: each stage refreshes exactly a quarter.
        EXPECT_DOUBLE_EQ(r["bank_refreshed_fraction"].get<double>(), 0.25) << line;
      }
      if (r.contains("noise_mmd2")) {
        ++diag_rows;
        EXPECT_GE(r["noise_mmd2"].get<double>(), 0.0) << line;
        for (const char* k : {"noise_logp", "reference_logp", "posterior_logp", "noise_f", "reference_f"})
          EXPECT_TRUE(std::isfinite(r[k].get<double>())) << k << " in " << line;
        const double ess = r["importance_ess"].get<double>();  // of p_k / N(0, I): 1 in stage 0
        EXPECT_TRUE(ess > 0.0 && ess <= 1.0 + 1e-12) << line;
        if (r["stage"].get<int>() == 0) {
          EXPECT_DOUBLE_EQ(ess, 1.0) << line;
        }
      }
    }
    EXPECT_EQ(starts, 3);
    EXPECT_EQ(diag_rows, 4);  // every logged row (iterations 2, 4, 6, 8)
  }
}

TEST_F(MethodTest, NonAdaptiveDiffersFromAdaptiveOnlyInThePosteriorPrior) {
  // Same settings, same seed: stage 0 (posterior under N(0, I) for both) is
  // bit-identical; from stage 1 on only the posterior prior differs.
  Config a = method_config(data_path_, "adaptive-ce"), n = method_config(data_path_, "non-adaptive");
  EXPECT_EQ(a.train.prior_samples, n.train.prior_samples);
  Config a_same = a;
  a_same.train.method = Method::kNonAdaptive;
  EXPECT_EQ(to_yaml(a_same), to_yaml(n)) << "resolve_method changed more than the method";
  Trainer ta(a, *comm_, run_dir("same-a")), tn(n, *comm_, run_dir("same-n"));
  ta.train(2);
  tn.train(2);
  EXPECT_TRUE(torch::equal(parameter_list(*ta.generator())[0], parameter_list(*tn.generator())[0]));
  ta.train(2);
  tn.train(2);
  EXPECT_FALSE(torch::equal(parameter_list(*ta.generator())[0], parameter_list(*tn.generator())[0]));
}
