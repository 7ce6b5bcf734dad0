#pragma once
// Process-level fault handling that the training loop consults:
//
//  * Preemption. install_stop_signals() makes the first SIGTERM, SIGINT or
//    SIGUSR1 on a rank only raise a flag; the trainer folds that flag into the next
//    gradient all-reduce, so every rank learns of it at the same iteration,
//    writes a checkpoint together and exits 0. A second signal exits at once
//    (status 128 + signal number). Open MPI's mpirun does not forward SIGTERM
//    to the ranks (it kills them) but does forward SIGUSR1: preempt an mpirun
//    job with `kill -USR1 <mpirun pid>` (launch/ scripts and Slurm's
//    --signal do this); a scheduler that signals every rank directly can use
//    SIGTERM.
//
//  * Fault injection, for the test suite only. The environment variable
//      LATENTEBM_INJECT=<action>:<point>:<rank>:<occurrence>
//    makes fault_point(<point>) act on rank <rank> the <occurrence>-th time
//    (1-based) that rank passes <point>. Actions: kill (SIGKILL itself),
//    term (SIGTERM itself), hang (sleep forever), throw (a runtime_error),
//    sleep<N> (sleep N seconds, then go on: a slow step).
//    Points are named where they are placed, e.g. "checkpoint.shard-written",
//    "train.before-allreduce". Unset, fault_point costs one branch.
namespace latentebm {

void install_stop_signals();
bool stop_requested();
// For tests: clear the flag.
void reset_stop_request();

void fault_point(const char* point, int rank);

}  // namespace latentebm
