// latentebm: one binary, eight commands (cli/commands.h). This file only
// runs the command line and reports what a command throws; cli/ declares
// each command's options and app/ runs it.
#include <mpi.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <iostream>

#include "cli/commands.h"
#include "distributed/communicator.h"
#include "log.h"

using namespace latentebm;

int main(int argc, char** argv) {
  torch::set_num_threads(1);
  init_console_logging(0);  // collective commands narrow it to their rank once MPI is up
  try {
    return cli::run_command_line(argc, argv);
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
