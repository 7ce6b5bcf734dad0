#pragma once
// Adam (Kingma & Ba) over an explicit list of tensors. Written out here, not
// taken from torch::optim, because its state must be saved to and restored
// from checkpoints exactly, in the same layout on LibTorch 1.13 and 2.x.
//   m <- b1 m + (1-b1) g ;  v <- b2 v + (1-b2) g^2
//   p <- p - lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
#include <torch/torch.h>

#include <vector>

namespace latentebm {

class Adam {
 public:
  Adam() = default;
  Adam(std::vector<torch::Tensor> params, double lr, double beta1, double beta2, double eps = 1e-8);

  // One update from each parameter's .grad() (a parameter without a gradient
  // is left unchanged).
  void step();
  // The same update where the device scalar `apply` (bool) is true, nothing
  // where it is false (parameters and moments keep their values bit for
  // bit, whatever the gradients hold), decided on the device: the host need
  // not read `apply` first. The step is counted either way; the caller that
  // later reads `apply` as false calls uncount_step().
  void step_if(const torch::Tensor& apply);
  void uncount_step() { --t_; }
  void zero_grad();

  const std::vector<torch::Tensor>& params() const { return params_; }
  std::vector<torch::Tensor>& exp_avg() { return m_; }
  std::vector<torch::Tensor>& exp_avg_sq() { return v_; }
  int64_t steps() const { return t_; }
  void set_steps(int64_t t) { t_ = t; }
  double lr() const { return lr_; }
  void set_lr(double lr) { lr_ = lr; }

 private:
  void update(const torch::Tensor* apply);  // step (apply null) or step_if

  std::vector<torch::Tensor> params_, m_, v_;
  double lr_ = 1e-3, b1_ = 0.9, b2_ = 0.999, eps_ = 1e-8;
  int64_t t_ = 0;
};

}  // namespace latentebm
