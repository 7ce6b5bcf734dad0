#pragma once
// The application layer: one function per command over its typed options
// (app/options.h). Each returns the process exit status; errors are thrown
// (cli/main.cpp reports them and, under MPI, takes every rank down).
// run_training, run_eval and run_score are collective: every MPI rank calls
// them; they open and close MPI themselves (distributed/mpi_session.h).
#include "app/options.h"

namespace latentebm::app {

// Exit statuses of a run that every rank ended together (no MPI_Abort).
constexpr int kExitOk = 0, kExitBadSetup = 2, kExitDiverged = 3;

int run_prepare(const PrepareOptions& opt);
int run_training(const TrainOptions& opt);
int run_verify_checkpoint(const VerifyOptions& opt);
int run_sample(const SampleOptions& opt);
int run_reconstruct(const ReconstructOptions& opt);
int run_export(const ExportOptions& opt);
int run_eval(const EvalCommandOptions& opt);
int run_score(const ScoreCommandOptions& opt);

// Every config key with its default, one per line, indented (train --help).
std::string config_keys_help();

}  // namespace latentebm::app
