#include "eval/fid.h"

#include <filesystem>
#include <stdexcept>

namespace latentebm {

const char* const kFidExportHelp = R"(FID needs Inception weights as a TorchScript file (--fid-model FILE.pt); latentebm
downloads nothing. On a machine with internet access and PyTorch (the same or an
older major version than this LibTorch, 1.13), with `pip install pytorch-fid`:

  python3 - <<'PY'
  import torch
  from pytorch_fid.inception import InceptionV3
  class Pool3(torch.nn.Module):
      def __init__(self):
          super().__init__()
          # pool3 features (2048-d); resizes to 299 and normalises [0,1] -> [-1,1] itself
          self.net = InceptionV3([InceptionV3.BLOCK_INDEX_BY_DIM[2048]], resize_input=True, normalize_input=True)
      def forward(self, x):            # x: [B, 3, H, W] in [0, 1]
          return self.net(x)[0].flatten(1)
  torch.jit.trace(Pool3().eval(), torch.rand(2, 3, 299, 299)).save("inception-fid.pt")
  PY

then copy inception-fid.pt here and pass --fid-model inception-fid.pt. The module
receives float32 [B, 3, H, W] in [0, 1] at the dataset's resolution (grey images
repeated to 3 channels) and must return [B, D] or [B, D, 1, 1] features.
)";

FidExtractor::FidExtractor(const std::string& path, torch::Device device) : path_(path), device_(device) {
  if (!std::filesystem::exists(path))
    throw std::runtime_error("FID model '" + path + "' not found.\n" + kFidExportHelp);
  try {
    module_ = torch::jit::load(path, device);
  } catch (const c10::Error& e) {
    throw std::runtime_error("cannot load '" + path + "' as a TorchScript module (" + e.what_without_backtrace() +
                             ").\n" + kFidExportHelp);
  }
  module_.eval();
}

torch::Tensor FidExtractor::features(const torch::Tensor& images, int64_t batch_size) {
  if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3))
    throw std::invalid_argument("FID features: expected images [B, 1 or 3, H, W]");
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < images.size(0); i += batch_size) {
    auto x = images.narrow(0, i, std::min(batch_size, images.size(0) - i)).to(device_, torch::kFloat32);
    x = (x + 1.0) * 0.5;
    if (x.size(1) == 1) x = x.expand({-1, 3, -1, -1}).contiguous();
    c10::IValue y;
    try {
      y = module_.forward({x});
    } catch (const std::exception& e) {
      throw std::runtime_error("FID model '" + path_ + "' failed on a [" + std::to_string(x.size(0)) + ", 3, " +
                               std::to_string(x.size(2)) + ", " + std::to_string(x.size(3)) + "] batch: " + e.what());
    }
    if (y.isList()) y = y.toListRef().at(0);
    else if (y.isTuple()) y = y.toTupleRef().elements().at(0);
    if (!y.isTensor()) throw std::runtime_error("FID model '" + path_ + "' returned neither a tensor nor a list of tensors");
    auto f = y.toTensor();
    if (f.dim() == 4 && f.size(2) == 1 && f.size(3) == 1) f = f.flatten(1);
    if (f.dim() != 2 || f.size(0) != x.size(0))
      throw std::runtime_error("FID model '" + path_ + "' returned features of shape " + std::string(c10::str(f.sizes())) +
                               ", expected [B, D] or [B, D, 1, 1]");
    out.push_back(f.to(torch::kCPU, torch::kFloat32));
  }
  if (out.empty()) return torch::zeros({0, 0});
  return torch::cat(out);
}

}  // namespace latentebm
