#include "model/generator.h"

namespace latentebm {
namespace {

using torch::nn::ConvTranspose2d;
using torch::nn::ConvTranspose2dOptions;

ConvTranspose2d convT(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
  return ConvTranspose2d(ConvTranspose2dOptions(in, out, k).stride(stride).padding(pad));
}
torch::nn::LeakyReLU lrelu() { return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)); }

}  // namespace

GeneratorImpl::GeneratorImpl(GeneratorKind kind_, int64_t nz_, int64_t ngf, int64_t channels_)
    : kind(kind_), nz(nz_), channels(channels_), image_size(generator_spec(kind_).image_size) {
  // The spec's layers (generator_kind.h), LeakyReLU between them, Tanh last.
  const auto& layers = generator_spec(kind).layers;
  torch::nn::Sequential s;
  int64_t in = nz;
  for (size_t i = 0; i < layers.size(); ++i) {
    const bool last = i + 1 == layers.size();
    const int64_t out = last ? channels : layers[i].width * ngf;
    s->push_back(convT(in, out, layers[i].kernel, layers[i].stride, layers[i].padding));
    if (!last) s->push_back(lrelu());
    in = out;
  }
  s->push_back(torch::nn::Tanh());
  net = register_module("net", s);
  xavier_init(*this);
}

torch::Tensor GeneratorImpl::forward(const torch::Tensor& z) {
  if (precision != Precision::kBf16) return net->forward(z.view({z.size(0), nz, 1, 1}));
  Bf16Autocast autocast(z.device().type(), true);
  return net->forward(z.view({z.size(0), nz, 1, 1})).to(torch::kFloat32);
}

void xavier_init(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters(/*recurse=*/true)) {
    const auto& name = p.key();
    auto& t = p.value();
    if (name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0 && t.dim() >= 2)
      torch::nn::init::xavier_normal_(t);
    else
      t.zero_();
  }
}

}  // namespace latentebm
