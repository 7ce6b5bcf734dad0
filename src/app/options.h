#pragma once
// Typed options of every latentebm command. cli/ fills them from the command
// line; app/ runs them. Defaults here are the commands' defaults.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/image_folder.h"

namespace latentebm::app {

struct PrepareOptions {
  // The sources run_prepare converts.
  static inline const std::vector<std::string> kSources = {"fashion-mnist", "idx",    "mnist-json", "svhn",
                                                           "cifar10",       "celeba", "folder"};
  std::string source;  // one of kSources
  std::string out;
  std::optional<std::string> name;  // default: the source ("mnist-subset" for mnist-json)
  std::optional<std::string> dir;
  // idx / fashion-mnist: explicit files instead of the names in --dir
  std::optional<std::string> train_images, train_labels, test_images, test_labels;
  // svhn: explicit .mat files
  std::optional<std::string> train, test;
  int64_t holdout_label = -1;  // >= 0: anomaly-detection split (paper Table 2)
  uint64_t seed = 1;
  // celeba / folder
  static constexpr int kDefaultCelebaSize = 64;
  std::optional<int> size;     // celeba default kDefaultCelebaSize; folder requires it
  int channels = 3;
  double test_fraction = 0.1;
  int num_workers = 1;
  int64_t chunk_images = data::ImageConvertOptions{}.chunk_images;
  data::OnBadFile on_bad_file = data::OnBadFile::Skip;
  std::string partition;       // celeba: list_eval_partition.txt path, "none", or empty (beside the images)
  std::string valid = "test";  // celeba validation images: test | train | drop
};

struct TrainOptions {
  std::string config_path = "configs/fashion-mnist-quick.yaml";
  bool config_given = false;              // --config given (ignored, with a warning, on resume)
  std::optional<std::string> run_dir;     // default runs/<config name>
  std::optional<std::string> checkpoint;  // resume from this instead of the run's latest
  int64_t max_iterations = 0;             // > 0: stop (with a checkpoint) after this many iterations
  bool pictures = true;                   // samples.png, reconstructions.png, ... at the end
  std::vector<std::string> overrides;     // section.key=value
};

// Which trained model a command reads: a run directory's latest checkpoint,
// or a given checkpoint directory.
struct ModelSource {
  std::optional<std::string> run_dir;
  std::optional<std::string> checkpoint;
  // Where outputs go by default: the run directory, else the checkpoint's.
  std::string output_dir() const { return run_dir ? *run_dir : checkpoint.value_or("."); }
};

struct VerifyOptions {
  ModelSource model;
};

// The test-time prior sampler, each field defaulting to the run's sample.*.
struct SamplerChoice {
  std::optional<std::string> method;         // langevin | sir
  std::optional<int64_t> steps;              // prior Langevin steps
  std::optional<int64_t> sir_proposals;      // SIR proposals per kept sample
  std::optional<double> delta;               // prior Langevin step size
};

// Test-time sampling of a trained model, shared by sample, reconstruct, eval,
// score and the benchmarks over a run (cli/command_line.h declares it once as
// one option group): which prior stages, the seed, images per batch and the
// prior sampler. A command declares the parts it uses.
struct SamplingOptions {
  // Prior stages; default: all K of a finished run, the stages an unfinished
  // one (or an adaptive schedule) trained, lebm's energy as learnt so far.
  std::optional<int64_t> stages;
  uint64_t seed = 1;
  int64_t batch_size = 100;  // images per batch (eval, score)
  SamplerChoice prior;       // the prior sampler (sample, eval)
};

struct SampleOptions {
  static constexpr int64_t kDefaultCount = 64, kDefaultStripChains = 8;
  ModelSource model;
  std::optional<int64_t> count;        // default kDefaultCount images (kDefaultStripChains chains with a strip)
  SamplingOptions sampling;
  std::string format = "png";          // png | npz
  int64_t columns = 8;
  std::optional<std::string> out;      // default <dir>/samples-<method>.<format>
  std::optional<std::string> strip;    // instead: the Langevin strip PNG
  int64_t strip_steps = 200, strip_every = 20;
};

struct ExportOptions {
  ModelSource model;
  std::string out;                     // the folder to write (created)
  std::optional<int64_t> stages;       // prior stages sample() uses; default as sample/eval choose
};

struct ReconstructOptions {
  ModelSource model;
  SamplingOptions sampling;        // stages and seed
  int64_t count = 64;
  std::optional<std::string> out;  // default <dir>/reconstructions-cli.png
};

struct EvalCommandOptions {
  ModelSource model;
  int64_t samples = 1000;                 // prior samples for FD-classifier / FID
  SamplingOptions sampling;               // stages, seed, batch size, the FD / FID samples' sampler
  std::optional<int64_t> test_limit;      // default: the run's data.test_limit; 0: all
  std::string fid_model;
  int64_t fid_reference_limit = 0;        // 0: the whole training split
  int64_t classifier_epochs = 3;
  std::optional<std::string> classifier;  // feature-classifier cache
  std::optional<std::string> out;         // default <dir>/eval.json
};

struct ScoreCommandOptions {
  ModelSource model;
  std::string data;
  std::string out;
  std::string split = "test";
  std::optional<int64_t> limit;
  std::optional<int64_t> anomaly_label;
  SamplingOptions sampling;  // stages, seed, batch size
};

}  // namespace latentebm::app
