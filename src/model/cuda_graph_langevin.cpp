#include "model/cuda_graph_langevin.h"

#include <spdlog/spdlog.h>
#include <torch/version.h>

#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>

// Capture needs a CUDA LibTorch whose default generator can be registered
// with a graph (2.x); every other build compiles the eager path only.
#if defined(LATENTEBM_WITH_CUDA) && TORCH_VERSION_MAJOR >= 2
#define LATENTEBM_CUDA_GRAPHS 1
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace latentebm {

struct GraphedLangevin::Impl {
  bool enabled = true;
  bool last_replayed = false;
  int64_t captures = 0;
#ifdef LATENTEBM_CUDA_GRAPHS
  // One captured chain: its graph and the static tensors it reads and writes.
  struct Chain {
    std::unique_ptr<at::cuda::CUDAGraph> graph;
    torch::Tensor x, z_in, z_out, grad_norm;
  };
  using Body = std::function<void(Chain&, const LangevinOptions&)>;
  static constexpr size_t kMaxChains = 8;  // settings kept at once (each holds a memory pool)
  std::map<std::string, Chain> chains;
  std::set<std::string> failed;  // settings whose capture failed: eager from then on

  // Capture `body` (which reads c.x / c.z_in, writes c.z_out / c.grad_norm)
  // on a side stream, after one eager warm-up step that initialises the
  // lazily created cuBLAS / cuDNN handles and autograd's device thread. The
  // generator's state is restored after the warm-up, so the captured chain
  // draws the same noise the eager chain would.
  void capture(Chain& c, torch::Device dev, const Body& body, const LangevinOptions& opt) {
    const auto current = c10::cuda::getCurrentCUDAStream(dev.index());
    const auto side = c10::cuda::getStreamFromPool(false, dev.index());
    at::cuda::CUDAEvent inputs_ready;
    inputs_ready.record(current);
    inputs_ready.block(side);
    auto gen = at::cuda::detail::getDefaultCUDAGenerator(dev.index());
    torch::Tensor rng_state;
    {
      std::lock_guard<std::mutex> lock(gen.mutex());
      rng_state = gen.get_state();
    }
    {
      c10::cuda::CUDAStreamGuard on_side(side);
      LangevinOptions warm = opt;
      warm.steps = 1;
      body(c, warm);
      {
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_state(rng_state);
      }
      c.graph = std::make_unique<at::cuda::CUDAGraph>();
      try {
        c.graph->capture_begin();
        body(c, opt);
        c.graph->capture_end();
      } catch (...) {
        try {
          c.graph->capture_end();  // leave the stream out of capture mode
        } catch (...) {
        }
        c.graph.reset();
        throw;
      }
    }
    at::cuda::CUDAEvent captured;
    captured.record(side);
    captured.block(current);
    ++captures;
  }

  // The graphed run of one chain, or nullptr-equivalent (undefined tensor)
  // when this setting cannot be graphed and the caller must run eagerly.
  torch::Tensor run(const std::string& key, const torch::Tensor& x, const torch::Tensor& z0, const Body& body,
                    const LangevinOptions& opt, torch::Tensor* grad_norm) {
    if (failed.count(key)) return {};
    auto it = chains.find(key);
    if (it == chains.end()) {
      if (chains.size() >= kMaxChains) chains.clear();
      Chain c;
      if (x.defined()) c.x = x.detach().clone();
      c.z_in = z0.detach().clone();
      try {
        capture(c, z0.device(), body, opt);
      } catch (const std::exception& e) {
        spdlog::warn("CUDA graph capture of a Langevin chain failed; running it eagerly from now on: {}", e.what());
        failed.insert(key);
        return {};
      }
      it = chains.emplace(key, std::move(c)).first;
    }
    Chain& c = it->second;
    if (x.defined()) c.x.copy_(x);
    c.z_in.copy_(z0);
    c.graph->replay();
    if (grad_norm) *grad_norm = c.grad_norm.clone();
    return c.z_out.clone();  // the static output is overwritten by the next replay
  }
#endif
};

#ifdef LATENTEBM_CUDA_GRAPHS
namespace {

// Everything a captured chain depends on besides the values of its inputs and
// parameters: shapes, device, settings, and where the parameters live (a
// reallocated parameter needs a new graph).
std::string chain_key(const char* kind, const std::vector<torch::nn::Module*>& modules, const torch::Tensor& x,
                      const torch::Tensor& z, int64_t stages, double sigma, const LangevinOptions& opt,
                      bool grad_norm, const char* precision) {
  std::ostringstream k;
  k.precision(17);
  k << kind << '|' << z.device() << '|' << z.sizes() << '|' << (x.defined() ? x.sizes() : z.sizes()) << '|' << stages
    << '|' << sigma << '|' << opt.steps << '|' << opt.delta << '|' << grad_norm << '|' << precision << '|';
  for (auto* m : modules)
    for (const auto& p : m->parameters(true)) k << p.data_ptr() << ',';
  return k.str();
}

}  // namespace
#endif  // LATENTEBM_CUDA_GRAPHS

GraphedLangevin::GraphedLangevin(bool enabled) : impl_(std::make_unique<Impl>()) { impl_->enabled = enabled; }
GraphedLangevin::~GraphedLangevin() = default;

void GraphedLangevin::set_enabled(bool on) { impl_->enabled = on; }
bool GraphedLangevin::enabled() const { return impl_->enabled; }
bool GraphedLangevin::last_call_replayed() const { return impl_->last_replayed; }
int64_t GraphedLangevin::captures() const { return impl_->captures; }

void GraphedLangevin::clear() {
#ifdef LATENTEBM_CUDA_GRAPHS
  impl_->chains.clear();
  impl_->failed.clear();
#endif
}

bool GraphedLangevin::supported() {
#ifdef LATENTEBM_CUDA_GRAPHS
  return true;
#else
  return false;
#endif
}

torch::Tensor GraphedLangevin::posterior(Generator& g, MultiStagePrior& prior, int64_t prior_stages,
                                         const torch::Tensor& x, const torch::Tensor& z0, double sigma,
                                         const LangevinOptions& opt, torch::Tensor* grad_norm) {
  impl_->last_replayed = false;
#ifdef LATENTEBM_CUDA_GRAPHS
  if (impl_->enabled && z0.is_cuda() && opt.steps > 0) {
    const auto key = chain_key("posterior", {g.get(), prior.get()}, x, z0, prior_stages, sigma, opt,
                               grad_norm != nullptr, precision_name(g->precision));
    const bool want_norm = grad_norm != nullptr;
    auto body = [&](Impl::Chain& c, const LangevinOptions& o) {
      torch::Tensor norm;
      c.z_out = posterior_langevin(g, prior, prior_stages, c.x, c.z_in, sigma, o, want_norm ? &norm : nullptr);
      c.grad_norm = norm;
    };
    auto z = impl_->run(key, x, z0, body, opt, grad_norm);
    if (z.defined()) {
      impl_->last_replayed = true;
      return z;
    }
  }
#endif
  return posterior_langevin(g, prior, prior_stages, x, z0, sigma, opt, grad_norm);
}

torch::Tensor GraphedLangevin::prior(MultiStagePrior& prior, int64_t stages, const torch::Tensor& z0,
                                     const LangevinOptions& opt) {
  impl_->last_replayed = false;
#ifdef LATENTEBM_CUDA_GRAPHS
  if (impl_->enabled && z0.is_cuda() && opt.steps > 0) {
    const auto key = chain_key("prior", {prior.get()}, torch::Tensor(), z0, stages, 0.0, opt, false, "fp32");
    auto body = [&](Impl::Chain& c, const LangevinOptions& o) { c.z_out = prior_langevin(prior, stages, c.z_in, o); };
    auto z = impl_->run(key, torch::Tensor(), z0, body, opt, nullptr);
    if (z.defined()) {
      impl_->last_replayed = true;
      return z;
    }
  }
#endif
  return prior_langevin(prior, stages, z0, opt);
}

GraphedLangevin& graphed_langevin() {
  static GraphedLangevin instance;
  return instance;
}

}  // namespace latentebm
