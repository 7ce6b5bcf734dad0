#pragma once
// FID with Inception features from a TorchScript file the user supplies
// (latentebm downloads nothing).
//
// Contract of the feature-extractor module: forward(x) takes float32
// [B, 3, H, W] with pixel values in [0, 1] (latentebm maps its [-1, 1] images
// by (x + 1) / 2 and repeats a grey channel 3 times) at the dataset's own
// resolution; resizing to 299x299 and Inception's own normalisation are the
// module's business. It returns the features as a tensor [B, D] or [B, D, 1, 1]
// (or a list/tuple whose first element is one). The export recipe is
// kFidExportHelp.
#include <torch/script.h>
#include <torch/torch.h>

#include <string>

namespace latentebm {

extern const char* const kFidExportHelp;

class FidExtractor {
 public:
  // Loads with torch::jit::load; throws with the export recipe when the file is
  // missing or not TorchScript.
  FidExtractor(const std::string& path, torch::Device device);
  // images: [B, C, H, W] in [-1, 1], C = 1 or 3 -> features [B, D] float32
  // (no gradients), computed in batches of `batch_size`.
  torch::Tensor features(const torch::Tensor& images, int64_t batch_size = 50);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  torch::Device device_;
  torch::jit::script::Module module_;
};

}  // namespace latentebm
