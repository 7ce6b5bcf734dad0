// latentebm export: a trained model in a form PyTorch loads. The folder holds
//   generator.pt  the generator's state dict   } written by LibTorch's pickler
//   prior.pt      the whole prior's state dict } (torch::pickle_save): torch.load
//                 (every stage: stage_<k>.net.*)  gives {name: tensor}
//   config.json   what python/latentebm.py needs to rebuild the same modules
//                 and sample from them
// The parameter names are LibTorch's module paths, which are PyTorch's
// state_dict keys for the same nn.Sequential layouts (the checkpoint's HDF5
// names are the same).
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/app.h"
#include "app/loaded_run.h"
#include "data/dataset.h"
#include "io/atomic_file.h"
#include "log.h"
#include "method.h"
#include "model/sampler.h"
#include "train/checkpoint.h"

namespace fs = std::filesystem;

namespace latentebm::app {

namespace {
void save_state_dict(const std::string& path, torch::nn::Module& m) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& p : m.named_parameters(/*recurse=*/true))
    dict.insert(p.key(), p.value().detach().to(torch::kCPU, torch::kFloat32).contiguous());
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  io::write_file_atomically(path, std::string_view(bytes.data(), bytes.size()), "write.export");
}
}  // namespace

int run_export(const ExportOptions& opt) {
  init_console_logging(0);
  if (opt.out.empty()) throw std::runtime_error("export needs --out DIR (the folder to write)");
  auto r = load_run(opt.model);
  const int64_t stages = prior_stages(opt.stages, r);
  const auto meta = read_checkpoint_meta(r.ckpt);
  fs::create_directories(opt.out);
  const fs::path out(opt.out);
  save_state_dict((out / "generator.pt").string(), *r.g);
  save_state_dict((out / "prior.pt").string(), *r.prior);
  const auto& c = r.cfg;
  nlohmann::json j = {
      {"format", "latentebm-export"},
      {"version", 1},
      {"checkpoint", fs::absolute(r.ckpt).string()},
      {"iteration", meta.iteration},
      {"generator", {{"arch", enum_name(c.model.generator)}, {"nz", c.model.nz}, {"ngf", c.model.ngf}, {"channels", r.g->channels},
                     {"image_size", r.g->image_size}}},
      {"prior", {{"nz", c.model.nz}, {"hidden", c.model.ratio_hidden}, {"stages", c.train.stages}, {"use_stages", stages}}},
      {"sigma", c.model.sigma},
      {"sample", {{"method", enum_name(c.sample.method)}, {"steps", c.sample.steps}, {"delta", c.sample.delta},
                  {"sir_proposals", c.sample.sir_proposals}}},
      {"posterior_langevin", {{"steps", posterior_langevin_options(c).steps}, {"delta", posterior_langevin_options(c).delta}}},
      {"config_yaml", to_yaml(c)},
  };
  io::write_file_atomically((out / "config.json").string(), j.dump(2) + "\n", "write.export");
  spdlog::info("wrote {}/{{generator.pt, prior.pt, config.json}} from {} (iteration {}, {} of {} prior stages)", opt.out,
               r.ckpt, meta.iteration, stages, c.train.stages);
  spdlog::info("in Python: import sys; sys.path.insert(0, \"python\"); import latentebm; "
               "m = latentebm.load(\"{}\"); images = m.decode(m.sample(16))",
               opt.out);
  return kExitOk;
}

}  // namespace latentebm::app
