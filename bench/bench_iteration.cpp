// Cost-model benchmark (docs/DESIGN.md section 5): one training iteration versus
// L+1 standalone generator forward+backward passes at the same batch.
//
//   bench_iteration <config.yaml> [iterations] [--schedule-images N] [--record FILE] [--loop-only]
//                   [--warmup N] [--images N] [section.key=value ...]
// (--option=value works too; --help lists the options with their defaults.)
//
// runtime.device=cuda measures on the GPU (timings synchronise the device);
// runtime.precision=fp32|tf32|bf16 and runtime.cuda_graph=on|off select the
// generator's arithmetic and graphed vs eager Langevin chains.
// --record=FILE appends the figures as one CSV row (header written when the
// file is new): bench/gpu/check.sh collects its runs this way.
// --schedule-images=N also prints the projected time of the preset's whole
// schedule (train.epochs over N images at train.batch_size), e.g. 73257 for
// SVHN's training split.
// Runs in one process (world of 1) on random data of the dataset's shape
// (read from the preset's generator), so it needs no prepared files. Prints
// the mean iteration time, the mean time of L+1 passes, and their ratio;
// then the training loop's own time per iteration with iterations back to
// back (Trainer::train, where the host reads each iteration's terms one
// iteration late instead of waiting for the device every iteration).
// --loop-only times only that loop: `iterations` iterations back to back after
// --warmup=N (default 1) untimed ones, at stage 1 as above; what the PyTorch
// peer (bench/peer/latentebm_peer.py) times, for side-by-side runs.
// --images=N: random images in the data file (default 4 batches; at least
// one batch), for large batches (bench/gpu/check.sh's largest-batch search).
// The last line is always one machine-readable line:
//   LATENTEBM_RESULT {"ms_per_iteration": <the loop's>, ...}
#include <torch/torch.h>
#include <torch/version.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <unistd.h>
#include <vector>

#include "cli/command_line.h"
#include "config.h"
#include "data/dataset.h"
#include "distributed/communicator.h"
#include "log.h"
#include "model/cuda_graph_langevin.h"
#include "random_dataset.h"
#include "train/trainer.h"

using namespace latentebm;
using Clock = std::chrono::steady_clock;

static double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
// This process's CPU time (all threads), seconds: on a shared, loaded machine
// it moves far less with the other jobs than wall time does.
static double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

namespace {
// The command line (see the top); defaults here are the ones --help shows.
struct Options {
  std::string config;
  int reps = 5;  // timed iterations
  int64_t schedule_images = 0, images = 0, warmup = 1;
  bool loop_only = false;
  std::string record;
  std::vector<std::string> overrides;
};
}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App cmd("Cost-model benchmark (docs/DESIGN.md section 5): one training iteration versus L+1 standalone\n"
               "generator forward+backward passes at the same batch, and the training loop's own time per\n"
               "iteration; random data of the preset's shape, one process. The last line is\n"
               "LATENTEBM_RESULT {...} (machine-readable).",
               "bench_iteration");
  cli::configure(cmd);
  cmd.add_option("config", o.config, "the preset (YAML)")->required()->type_name("CONFIG.yaml");
  cmd.add_option("iterations", o.reps, "timed iterations")->capture_default_str()->check(cli::positive_integer());
  cmd.add_option("section.key=value", o.overrides, "config overrides, e.g. runtime.device=cuda");
  cmd.add_option("--schedule-images", o.schedule_images,
                 "also print the projected time of the preset's whole schedule (train.epochs over N images), e.g. "
                 "73257 for SVHN's training split; 0: none")
      ->capture_default_str()
      ->type_name("N")
      ->check(cli::non_negative_integer());
  cmd.add_option("--record", o.record, "append the figures as one CSV row (header when the file is new)")
      ->type_name("FILE");
  cmd.add_flag("--loop-only", o.loop_only,
               "time only the training loop: `iterations` back to back after --warmup untimed ones, at stage 1 (what "
               "the PyTorch peer times)");
  cmd.add_option("--warmup", o.warmup, "untimed iterations before --loop-only's")
      ->capture_default_str()
      ->type_name("N")
      ->check(cli::non_negative_integer());
  cmd.add_option("--images", o.images, "random images in the data file (0: 4 batches; at least one batch)")
      ->capture_default_str()
      ->type_name("N")
      ->check(cli::non_negative_integer());
  if (const auto status = cli::parse(cmd, argc, argv)) return *status;
  const char* const config_name = o.config.c_str();
  const int reps = o.reps;
  const int64_t schedule_images = o.schedule_images, images = o.images, warmup = o.warmup;
  const bool loop_only = o.loop_only;
  const std::string& record = o.record;
  try {
    init_console_logging(1);  // quiet
    Config cfg = load_config(o.config);
    const std::vector<std::string>& overrides = o.overrides;
    apply_overrides(cfg, overrides);
    resolve_method(cfg);
    resolve_batch(cfg, 1);  // one process: a per-rank batch is the global batch
    validate(cfg);
    const Config schedule_cfg = cfg;  // before the bench's own changes below
    torch::set_num_threads(static_cast<int>(cfg.runtime.threads));

    // Random images of the generator's shape, 4 batches' worth (or --images).
    const int64_t side = generator_spec(cfg.model.generator).image_size;
    const int64_t channels = bench::image_channels(cfg);
    if (images > 0 && images < cfg.train.batch_size)
      throw std::runtime_error("--images=" + std::to_string(images) + " is less than one batch (" +
                               std::to_string(cfg.train.batch_size) + ")");
    const auto dir = std::filesystem::temp_directory_path() / ("latentebm-bench-" + std::to_string(::getpid()));
    bench::use_random_dataset(cfg, images > 0 ? images : cfg.train.batch_size * 4, dir);
    cfg.train.iterations = 1000000;
    cfg.train.epochs = 1;

    auto comm = make_single_communicator();
    Trainer trainer(cfg, *comm, (dir / "run").string());
    const int64_t L = cfg.train.langevin_steps, B = cfg.train.batch_size;

    bool replayed = false;  // was the posterior chain replayed from a CUDA graph?
    double gen_loss = 0;    // of the last iteration (precision's effect on the loss)
    auto iteration = [&](int64_t t) {
      auto batch = trainer.load_batch(t);
      torch::Tensor gn;
      auto z = trainer.sample_posterior(batch.x, &gn);
      replayed = graphed_langevin().last_call_replayed();
      trainer.bank().write(batch.indices, z);
      auto noise = trainer.sample_noise(B);
      gen_loss = trainer.update(batch, z, noise, gn).gen_loss;
    };
    const auto dev = torch::TensorOptions().device(trainer.device());
    auto sync = [&] {
      if (trainer.device().is_cuda()) torch::cuda::synchronize();
    };
    auto passes = [&] {
      auto& g = trainer.generator();
      for (int64_t i = 0; i < L + 1; ++i) {
        auto z = torch::randn({B, cfg.model.nz}, dev);
        auto x = torch::rand({B, channels, side, side}, dev);
        auto loss = (g->forward(z) - x).pow(2).sum();
        loss.backward();
      }
    };
    // The machine-readable last line (the loop's time per iteration).
    auto result_line = [&](double loop_s, int64_t warm, double loop_cpu_s) {
      std::printf("LATENTEBM_RESULT {\"batch\": %lld, \"config\": \"%s\", \"cpu_ms_per_iteration\": %.4f, "
                  "\"cuda_graph\": \"%s\", \"device\": \"%s\", "
                  "\"iterations\": %d, \"L\": %lld, \"libtorch\": \"%s\", \"ms_per_iteration\": %.4f, "
                  "\"precision\": \"%s\", \"stage\": %lld, \"threads\": %lld, \"warmup\": %lld}\n",
                  static_cast<long long>(B), config_name, 1e3 * loop_cpu_s, enum_name(cfg.runtime.cuda_graph),
                  trainer.device().str().c_str(), reps,
                  static_cast<long long>(L), TORCH_VERSION, 1e3 * loop_s, enum_name(cfg.runtime.precision),
                  static_cast<long long>(trainer.stage()), static_cast<long long>(cfg.runtime.threads),
                  static_cast<long long>(warm));
    };
    // The training loop itself, iterations back to back (Trainer::train reads
    // each iteration's terms one iteration late, so the host runs ahead of
    // the device instead of waiting for it every iteration): wall and CPU
    // time per iteration from the end of the `warm`-th iteration to the end
    // of the (warm + reps)-th, at the iteration callbacks; one more iteration
    // (the run's last: noise diagnostics, final checkpoint) is outside the
    // interval. CPU time is this process's, all threads: on a shared machine
    // it moves far less with the other jobs than wall time.
    auto time_loop = [&](int64_t warm) {
      auto marks = std::make_shared<std::vector<std::pair<Clock::time_point, double>>>();
      trainer.add_iteration_callback([marks](Trainer&) { marks->emplace_back(Clock::now(), cpu_now()); });
      const std::pair<Clock::time_point, double> start{Clock::now(), cpu_now()};
      trainer.train(warm + reps + 1);
      sync();
      const auto& from = warm > 0 ? (*marks)[static_cast<size_t>(warm - 1)] : start;
      const auto& to = (*marks)[static_cast<size_t>(warm + reps - 1)];
      return std::pair<double, double>{std::chrono::duration<double>(to.first - from.first).count() / reps,
                                       (to.second - from.second) / reps};
    };
    if (loop_only) {
      // Only the training loop, back to back, at stage 1 (see the top).
      if (cfg.train.stages > 1) trainer.enter_stage(1);
      const auto [t_loop, cpu_loop] = time_loop(warmup);
      std::printf("config %s | generator %s ngf %lld nz %lld | batch %lld | L %lld | threads %lld | stage %lld | device %s | "
                  "precision %s | cuda_graph %s | LibTorch %s\n",
                  config_name, enum_name(cfg.model.generator), static_cast<long long>(cfg.model.ngf),
                  static_cast<long long>(cfg.model.nz), static_cast<long long>(B), static_cast<long long>(L),
                  static_cast<long long>(cfg.runtime.threads), static_cast<long long>(trainer.stage()),
                  trainer.device().str().c_str(), enum_name(cfg.runtime.precision), enum_name(cfg.runtime.cuda_graph),
                  TORCH_VERSION);
      std::printf("training loop, back to back: %.4f s per iteration, CPU time %.4f s (%d iterations after %lld warm-up)\n",
                  t_loop, cpu_loop, reps, static_cast<long long>(warmup));
      result_line(t_loop, warmup, cpu_loop);
      std::filesystem::remove_all(dir);
      return 0;
    }
    iteration(0), passes(), sync();  // warm-up
    if (cfg.train.stages > 1) trainer.enter_stage(1);  // measure a stage that uses the prior in Langevin
    double t_it = 0, t_pass = 0, loss_sum = 0, cpu_it = 0, cpu_pass = 0;
    for (int r = 0; r < reps; ++r) {
      auto t0 = Clock::now();
      double c0 = cpu_now();
      iteration(r + 1);
      sync();
      t_it += since(t0);
      cpu_it += cpu_now() - c0;
      loss_sum += gen_loss;
      t0 = Clock::now();
      c0 = cpu_now();
      passes();
      sync();
      t_pass += since(t0);
      cpu_pass += cpu_now() - c0;
    }
    t_it /= reps, t_pass /= reps, cpu_it /= reps, cpu_pass /= reps;
    // The loop, after the iteration above as its warm-up.
    const auto [t_loop, cpu_loop] = time_loop(1);
    std::printf("config %s | generator %s ngf %lld nz %lld | batch %lld | L %lld | threads %lld | stage %lld\n", config_name,
                enum_name(cfg.model.generator), static_cast<long long>(cfg.model.ngf), static_cast<long long>(cfg.model.nz),
                static_cast<long long>(B), static_cast<long long>(L), static_cast<long long>(cfg.runtime.threads),
                static_cast<long long>(trainer.stage()));
    std::printf("iteration %.4f s | %lld generator fwd+bwd passes %.4f s | ratio %.3f (target <= 1.15) | reps %d\n", t_it,
                static_cast<long long>(L + 1), t_pass, t_it / t_pass, reps);
    std::printf("CPU time: iteration %.4f s | %lld passes %.4f s\n", cpu_it, static_cast<long long>(L + 1), cpu_pass);
    std::printf("training loop, back to back: %.4f s per iteration (%d iterations of Trainer::train)\n", t_loop, reps);
    std::printf("device %s | precision %s | cuda_graph %s (posterior chain %s) | LibTorch %s | mean gen loss %.4f\n",
                trainer.device().str().c_str(), enum_name(cfg.runtime.precision), enum_name(cfg.runtime.cuda_graph),
                replayed ? "replayed from a CUDA graph" : "eager", TORCH_VERSION, loss_sum / reps);
    double projected_min = 0;
    int64_t T = 0;
    if (schedule_images > 0) {
      T = total_iterations(schedule_cfg, schedule_images);
      projected_min = static_cast<double>(T) * t_it / 60.0;
      std::printf("projected schedule: %lld iterations (%.0f epochs of %lld images at batch %lld) x %.4f s = %.1f min\n",
                  static_cast<long long>(T), schedule_cfg.train.epochs, static_cast<long long>(schedule_images),
                  static_cast<long long>(B), t_it, projected_min);
    }
    if (!record.empty()) {
      const bool fresh = !std::filesystem::exists(record);
      std::FILE* f = std::fopen(record.c_str(), "a");
      if (!f) throw std::runtime_error("cannot append to --record file " + record);
      if (fresh)
        std::fprintf(f, "config,libtorch,device,precision,cuda_graph,replayed,batch,L,threads,reps,iteration_s,passes_s,"
                        "ratio,schedule_iterations,projected_min,gen_loss,iteration_cpu_s,passes_cpu_s,loop_iteration_s\n");
      std::fprintf(f, "%s,%s,%s,%s,%s,%d,%lld,%lld,%lld,%d,%.5f,%.5f,%.3f,%lld,%.2f,%.5f,%.5f,%.5f,%.5f\n", config_name, TORCH_VERSION,
                   trainer.device().str().c_str(), enum_name(cfg.runtime.precision), enum_name(cfg.runtime.cuda_graph),
                   replayed ? 1 : 0, static_cast<long long>(B), static_cast<long long>(L),
                   static_cast<long long>(cfg.runtime.threads), reps, t_it, t_pass, t_it / t_pass,
                   static_cast<long long>(T), projected_min, loss_sum / reps, cpu_it, cpu_pass, t_loop);
      std::fclose(f);
    }
    result_line(t_loop, 1, cpu_loop);
    std::filesystem::remove_all(dir);
  } catch (const std::exception& e) {
    std::cerr << "bench_iteration: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
