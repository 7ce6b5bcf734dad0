#include "eval/anomaly.h"

#include <stdexcept>
#include <string>

#include "distributed/communicator.h"
#include "eval/metrics.h"
#include "model/inference.h"

namespace latentebm {

EnergyTerms joint_energy_terms(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x,
                               const torch::Tensor& z, double sigma) {
  torch::NoGradGuard no_grad;
  const auto residual = (x - g->forward(z)).pow(2).flatten(1).sum(1);
  return {residual / (2.0 * sigma * sigma), -prior->log_density(z, stages)};
}

torch::Tensor joint_energy(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x,
                           const torch::Tensor& z, double sigma) {
  const auto t = joint_energy_terms(g, prior, stages, x, z, sigma);
  return t.reconstruction + t.prior;
}

EnergyTerms anomaly_score_terms(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x,
                                double sigma, const LangevinOptions& opt) {
  auto z = posterior_langevin(g, prior, stages, x, torch::randn({x.size(0), prior->nz}, x.options()), sigma, opt);
  const auto t = joint_energy_terms(g, prior, stages, x, z, sigma);
  return {t.reconstruction.detach(), t.prior.detach()};
}

ImageScores score_image_terms(Generator& g, MultiStagePrior& prior, int64_t stages, const data::ImageSet& images,
                              double sigma, const LangevinOptions& opt, int64_t batch_size, torch::Device device) {
  if (batch_size < 1) throw std::invalid_argument("score_images: batch size must be >= 1");
  ImageScores out;
  const auto append = [](std::vector<double>& v, const torch::Tensor& t) {
    const auto c = t.to(torch::kCPU, torch::kFloat64).contiguous();
    v.insert(v.end(), c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  };
  for (int64_t i = 0; i < images.n; i += batch_size) {
    const int64_t b = std::min(batch_size, images.n - i);
    auto x = model_images(images, i, b).to(device);
    const auto t = anomaly_score_terms(g, prior, stages, x, sigma, opt);
    append(out.score, t.reconstruction + t.prior);
    append(out.reconstruction, t.reconstruction);
    append(out.prior, t.prior);
  }
  return out;
}

void ImageScores::append(const ImageScores& more) {
  score.insert(score.end(), more.score.begin(), more.score.end());
  reconstruction.insert(reconstruction.end(), more.reconstruction.begin(), more.reconstruction.end());
  prior.insert(prior.end(), more.prior.begin(), more.prior.end());
}

std::vector<double> score_images(Generator& g, MultiStagePrior& prior, int64_t stages, const data::ImageSet& images,
                                 double sigma, const LangevinOptions& opt, int64_t batch_size, torch::Device device) {
  return score_image_terms(g, prior, stages, images, sigma, opt, batch_size, device).score;
}

AnomalyMetrics anomaly_metrics(const std::vector<double>& scores, const std::vector<bool>& is_anomaly) {
  AnomalyMetrics m;
  m.n = static_cast<int64_t>(scores.size());
  for (bool a : is_anomaly) m.n_anomalous += a ? 1 : 0;
  m.auprc = average_precision(scores, is_anomaly);
  m.auroc = auroc(scores, is_anomaly);
  return m;
}

}  // namespace latentebm
