#include "eval/evaluate.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>

#include "data/dataset.h"
#include "distributed/communicator.h"
#include "eval/fid.h"
#include "eval/metrics.h"
#include "io/h5.h"
#include "model/inference.h"

namespace latentebm {

namespace {

constexpr uint64_t kStreamReconstruct = 1, kStreamSamples = 2;

// The images of the given file rows of a split, on [-1, 1].
torch::Tensor read_images(const h5::File& f, const data::DatasetInfo& info, const std::string& split,
                          const std::vector<int64_t>& rows) {
  data::ImageSet set = data::read_file_rows(f, info, split, rows);
  return model_images(set);  // a new tensor: set may go
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Sum of feature statistics over ranks when ranks may hold no rows at all (and
// so may not know the feature dimension).
void allreduce_stats(Communicator& comm, GaussianStats& s, const char* what) {
  int64_t d = s.dim;
  comm.allreduce_max(&d, 1, what);
  if (s.dim == 0 && d > 0) s = GaussianStats(d);
  if (s.dim != d) throw std::runtime_error(std::string(what) + ": ranks computed features of different widths");
  s.allreduce(comm, what);
}

// Sum over images of the per-pixel mean of (recon - x)^2.
double error_sum(const torch::Tensor& recon, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  return (recon - x).pow(2).flatten(1).mean(1).to(torch::kFloat64).sum().item<double>();
}

}  // namespace

double reconstruction_error_sum(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x,
                                double sigma, const LangevinOptions& opt) {
  return error_sum(reconstruct_images(g, prior, stages, x, sigma, opt), x);
}

MseResult reconstruction_mse(Communicator& comm, Generator& g, MultiStagePrior& prior, int64_t stages,
                             const std::string& data_path, const std::string& split, int64_t limit, double sigma,
                             const LangevinOptions& opt, int64_t batch_size, uint64_t seed, torch::Device device,
                             FeatureClassifier* classifier) {
  const auto info = data::inspect_dataset(data_path);
  const std::vector<int64_t> rows = data::split_rows(info, split, limit);
  const auto n = static_cast<int64_t>(rows.size());
  const auto mine = batch_range(n, batch_size, comm.rank(), comm.size());
  MseResult r;
  if (classifier) {  // two constructions: copies of a GaussianStats would share its tensors
    r.reconstruction_features = GaussianStats(classifier->feature_dim);
    r.image_features = GaussianStats(classifier->feature_dim);
  }
  if (mine.size() > 0) {
    h5::File f(data_path, h5::Mode::Read);
    for (int64_t i = mine.begin, b = mine.first_batch; i < mine.end; i += batch_size, ++b) {
      const int64_t e = std::min(i + batch_size, mine.end);
      auto x = read_images(f, info, split, {rows.begin() + i, rows.begin() + e}).to(device);
      torch::manual_seed(batch_seed(seed, kStreamReconstruct, b));
      const auto recon = reconstruct_images(g, prior, stages, x, sigma, opt);
      r.sum += error_sum(recon, x);
      r.images += e - i;
      if (classifier) {
        r.reconstruction_features.add(classifier_features(*classifier, recon));
        r.image_features.add(classifier_features(*classifier, x));
      }
    }
  }
  double buf[2] = {r.sum, static_cast<double>(r.images)};
  comm.allreduce_sum(buf, 2, "reconstruction MSE sums");
  r.sum = buf[0];
  r.images = static_cast<int64_t>(buf[1]);
  if (classifier) {
    r.reconstruction_features.allreduce(comm, "FD-classifier reconstruction statistics");
    r.image_features.allreduce(comm, "FD-classifier test-image statistics");
  }
  return r;
}

ParameterCounts count_parameters(Generator& g, MultiStagePrior& prior) {
  ParameterCounts c;
  for (const auto& p : g->parameters(true)) c.generator += p.numel();
  for (int64_t i = 0; i < prior->num_stages(); ++i) {
    int64_t k = 0;
    for (const auto& p : prior->ratio(i)->parameters(true)) k += p.numel();
    c.prior_per_stage.push_back(k);
    c.prior += k;
  }
  return c;
}

nlohmann::json evaluate_model(Communicator& comm, const Config& cfg, Generator& g, MultiStagePrior& prior,
                              torch::Device device, const EvalOptions& opt) {
  using nlohmann::json;
  if (opt.batch_size < 1) throw std::invalid_argument("eval: batch size must be >= 1");
  if (opt.samples < 0) throw std::invalid_argument("eval: sample count must be >= 0");
  const int64_t stages = opt.prior_stages >= 0 ? opt.prior_stages : prior->num_stages();
  if (stages > prior->num_stages())
    throw std::invalid_argument("eval: prior stages " + std::to_string(stages) + " > the model's " +
                                std::to_string(prior->num_stages()));
  g->eval();
  prior->eval();
  const auto info = data::inspect_dataset(cfg.data.path);
  json out;
  out["data"] = cfg.data.path;
  out["world_size"] = comm.size();
  out["prior_stages"] = stages;
  out["seed"] = opt.seed;

  // ---- the feature classifier (FD-classifier of the samples, the reconstructions
  // and the test images)
  std::optional<FeatureClassifier> classifier;
  std::string classifier_skip;
  if (opt.fd_classifier && opt.samples >= 2) {
    try {
      classifier = ensure_feature_classifier(
          comm, cfg.data.path, opt.classifier_path.empty() ? default_classifier_path(cfg.data.path) : opt.classifier_path,
          opt.classifier);
    } catch (const std::exception& e) {
      // Every rank saw the same broadcast error, so every rank skips alike.
      classifier_skip = e.what();
      spdlog::warn("FD-classifier skipped: {}", classifier_skip);
    }
    // A rank that could not load what rank 0 wrote must not leave the others
    // alone in the statistics all-reduce: all use it or none does.
    if (!comm.all_true(classifier.has_value(), "feature classifier on every rank") && classifier) {
      classifier.reset();
      classifier_skip = "the feature classifier could not be loaded on every rank (ranks must share the file system "
                        "holding it; see the other ranks' errors)";
      spdlog::warn("FD-classifier skipped: {}", classifier_skip);
    }
    if (classifier && (classifier->channels != info.c || classifier->height != info.h || classifier->width != info.w))
      throw std::runtime_error("feature classifier '" + classifier->path + "' was trained on other image shapes");
  } else {
    classifier_skip = opt.samples < 2 ? "needs --samples >= 2" : "disabled";
  }
  // FD-classifier of a feature set against the training split's statistics.
  const auto fd_to_training = [&](const GaussianStats& st) {
    return frechet_distance(st.mean(), st.covariance(), classifier->train_mean, classifier->train_covariance);
  };

  // ---- reconstruction MSE on the test split
  {
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t limit = opt.test_limit >= 0 ? opt.test_limit : cfg.data.test_limit;
    const LangevinOptions lopt = posterior_langevin_options(cfg);
    // Posterior sampling under the prior the generator was trained with
    // (N(0, I) for non-adaptive and gaussian).
    const int64_t posterior_stages = std::min(stages, traits(cfg.train.method).test_posterior_stages(stages));
    out["posterior_stages"] = posterior_stages;
    const auto mse = reconstruction_mse(comm, g, prior, posterior_stages, cfg.data.path, "test", limit, cfg.model.sigma, lopt,
                                        opt.batch_size, opt.seed, device, classifier ? &*classifier : nullptr);
    // Which test images: a limit keeps a seeded uniform subset (data::test_subset).
    const std::string selection = mse.images < info.n_test ? "uniform random subset (test_subset, seed testsub1)"
                                                           : "whole split";
    if (mse.images == 0) {
      out["reconstruction_mse"] = {{"skipped", "the dataset has no test images"}};
    } else {
      out["reconstruction_mse"] = {{"value", mse.mean()},
                                   {"images", mse.images},
                                   {"split", "test"},
                                   {"selection", selection},
                                   {"langevin_steps", lopt.steps},
                                   {"langevin_delta", lopt.delta},
                                   {"sigma", cfg.model.sigma},
                                   {"seconds", seconds_since(t0)}};
      spdlog::info("reconstruction MSE {:.6f} over {} test images", mse.mean(), mse.images);
    }
    // Where the FD of prior samples comes from: the FD of the reconstructions
    // is what the samples would reach if the prior matched the aggregate
    // posterior of the test images (the generator's share), that of the test
    // images themselves the floor of this many real images.
    if (classifier && mse.images >= 2) {
      const double fd_recon = fd_to_training(mse.reconstruction_features),
                   fd_images = fd_to_training(mse.image_features);
      out["fd_classifier_reconstructions"] = {
          {"value", fd_recon},
          {"images", mse.images},
          {"split", "test"},
          {"selection", selection},
          {"reference", "training split"},
          {"posterior_stages", posterior_stages},
          {"what", "g(z) of the posterior samples behind reconstruction_mse: the FD of prior samples if the prior "
                   "matched these images' aggregate posterior"}};
      out["fd_classifier_test_images"] = {
          {"value", fd_images},
          {"images", mse.images},
          {"split", "test"},
          {"selection", selection},
          {"reference", "training split"},
          {"what", "the test images themselves: the floor of an FD over this many images"}};
      spdlog::info("FD-classifier of the {} reconstructions {:.4f}, of the test images themselves {:.4f}", mse.images,
                   fd_recon, fd_images);
    }
  }

  // ---- generated samples -> feature statistics (classifier, Inception)
  std::optional<FidExtractor> fid;
  if (!opt.fid_model.empty()) fid.emplace(opt.fid_model, device);

  if ((classifier || fid) && opt.samples >= 2) {
    const auto t0 = std::chrono::steady_clock::now();
    GaussianStats cls_stats(classifier ? classifier->feature_dim : 0), fid_stats(0);
    const auto mine = batch_range(opt.samples, opt.batch_size, comm.rank(), comm.size());
    for (int64_t i = mine.begin, b = mine.first_batch; i < mine.end; i += opt.batch_size, ++b) {
      const int64_t n = std::min(i + opt.batch_size, mine.end) - i;
      torch::manual_seed(batch_seed(opt.seed, kStreamSamples, b));
      const auto images = sample_images(g, prior, stages, cfg.sample, n, device);
      if (classifier) cls_stats.add(classifier_features(*classifier, images));
      if (fid) {
        auto f = fid->features(images);
        if (fid_stats.dim == 0) fid_stats = GaussianStats(f.size(1));
        fid_stats.add(f);
      }
    }
    const std::string sampler = describe(cfg.sample);
    if (classifier) {
      cls_stats.allreduce(comm, "FD-classifier sample statistics");
      const double fd = fd_to_training(cls_stats);
      out["fd_classifier"] = {{"value", fd},
                              {"samples", static_cast<int64_t>(cls_stats.count)},
                              {"reference", "training split"},
                              {"reference_images", classifier->train_images},
                              {"feature_dim", classifier->feature_dim},
                              {"classifier_test_accuracy", classifier->test_accuracy},
                              {"classifier_test_images", classifier->test_images},
                              {"classifier_crc32", classifier->crc32},
                              {"classifier_file", classifier->path},
                              {"classifier_trained_now", classifier->trained_now},
                              {"sampler", sampler}};
      spdlog::info("FD-classifier {:.4f} ({} samples vs {} training images; classifier test accuracy {:.4f})", fd,
                   static_cast<int64_t>(cls_stats.count), classifier->train_images, classifier->test_accuracy);
    }
    if (fid) {
      allreduce_stats(comm, fid_stats, "FID sample statistics");
      // Reference: the training split through the same module, sharded like
      // the samples; a limit keeps the first examples of the training order
      // (data::split_rows), a uniform sample even of a class-sorted file.
      h5::File f(cfg.data.path, h5::Mode::Read);
      const std::vector<int64_t> order = data::split_rows(info, "train", opt.fid_reference_limit);
      GaussianStats ref(0);
      const auto part = batch_range(static_cast<int64_t>(order.size()), opt.batch_size, comm.rank(), comm.size());
      for (int64_t i = part.begin; i < part.end; i += opt.batch_size) {
        const int64_t e = std::min(i + opt.batch_size, part.end);
        auto feat = fid->features(read_images(f, info, "train", {order.begin() + i, order.begin() + e}).to(device));
        if (ref.dim == 0) ref = GaussianStats(feat.size(1));
        ref.add(feat);
      }
      allreduce_stats(comm, ref, "FID reference statistics");
      const double value = frechet_distance(fid_stats, ref);
      out["fid"] = {{"value", value},
                    {"samples", static_cast<int64_t>(fid_stats.count)},
                    {"reference_images", static_cast<int64_t>(ref.count)},
                    {"feature_dim", fid_stats.dim},
                    {"model", opt.fid_model},
                    {"sampler", sampler}};
      spdlog::info("FID {:.4f} ({} samples vs {} training images)", value, static_cast<int64_t>(fid_stats.count),
                   static_cast<int64_t>(ref.count));
    }
    out["sample_seconds"] = seconds_since(t0);
  }
  if (!classifier) out["fd_classifier"] = {{"skipped", classifier_skip}};
  if (!fid)
    out["fid"] = {{"skipped", "FID needs Inception weights as a TorchScript file: pass --fid-model FILE.pt "
                              "(`latentebm eval --help` shows how to export one from pytorch-fid)"}};

  // ---- parameter counts (paper 5.6)
  const auto pc = count_parameters(g, prior);
  out["parameters"] = {{"generator", pc.generator},
                       {"prior", pc.prior},
                       {"prior_per_stage", pc.prior_per_stage},
                       {"prior_to_generator", pc.generator > 0 ? double(pc.prior) / double(pc.generator) : 0.0}};
  return out;
}

}  // namespace latentebm
