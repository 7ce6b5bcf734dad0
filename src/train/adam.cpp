#include "train/adam.h"

#include <cmath>

namespace latentebm {

Adam::Adam(std::vector<torch::Tensor> params, double lr, double beta1, double beta2, double eps)
    : params_(std::move(params)), lr_(lr), b1_(beta1), b2_(beta2), eps_(eps) {
  for (const auto& p : params_) {
    m_.push_back(torch::zeros_like(p));
    v_.push_back(torch::zeros_like(p));
  }
}

void Adam::step() { update(nullptr); }

void Adam::step_if(const torch::Tensor& apply) { update(&apply); }

void Adam::update(const torch::Tensor* apply) {
  torch::NoGradGuard no_grad;
  ++t_;
  const double c1 = 1.0 - std::pow(b1_, static_cast<double>(t_));
  const double c2 = 1.0 - std::pow(b2_, static_cast<double>(t_));
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& g = params_[i].grad();
    if (!g.defined()) continue;
    auto m = m_[i].mul(b1_).add_(g, 1.0 - b1_);
    auto v = v_[i].mul(b2_).addcmul_(g, g, 1.0 - b2_);
    auto p = params_[i].detach().addcdiv(m, (v / c2).sqrt_().add_(eps_), -lr_ / c1);
    if (apply) {  // masked: the old values where `apply` is false
      m = torch::where(*apply, m, m_[i]);
      v = torch::where(*apply, v, v_[i]);
      p = torch::where(*apply, p, params_[i].detach());
    }
    m_[i].copy_(m);
    v_[i].copy_(v);
    params_[i].detach().copy_(p);
  }
}

void Adam::zero_grad() {
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

}  // namespace latentebm
