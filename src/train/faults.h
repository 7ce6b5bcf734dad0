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
//  * Fault injection, for the test suite. It is compiled into every build
//    (unset, fault_point costs two branches). The environment variable
//      LATENTEBM_INJECT=<action>:<point>:<rank>:<occurrence>
//    makes fault_point(<point>) act on rank <rank> the <occurrence>-th time
//    (1-based) that rank passes <point>. Actions: kill (SIGKILL itself),
//    term (SIGTERM itself), hang (sleep forever), throw (a runtime_error),
//    corrupt (fault_point returns true and the caller damages the data the
//    point guards; only at points listed as corruptible), sleep<N> (sleep N
//    seconds, then go on: a slow step), enospc and eio (only at the write.*
//    points: that write fails as on a full disk or a failing device; the
//    writers ask through io/write_fault.h, which this file answers). The
//    points are listed in faults.cpp (kFaultPoints) and docs/RELIABILITY.md.
#include <string>

namespace latentebm {

void install_stop_signals();
bool stop_requested();
// For tests: clear the flag.
void reset_stop_request();

struct FaultInjection {
  std::string action, point;
  int rank = -1;
  long occurrence = 1;
};

// Parses a LATENTEBM_INJECT value. Throws std::runtime_error naming the
// expected form and the known actions and points when it is malformed.
FaultInjection parse_fault_injection(const std::string& value);

// Start-up check of LATENTEBM_INJECT: throws (as parse_fault_injection, or
// when the rank is not below world_size) on a bad value; when it is set,
// rank 0 warns that this job will inject a fault. Unset, does nothing.
void check_fault_injection(int rank, int world_size);

// A named place where an injected fault may strike. Returns true only when
// the injected action is `corrupt` and strikes here: the caller then damages
// what the point guards.
bool fault_point(const char* point, int rank);

// For tests: re-read LATENTEBM_INJECT and forget how often each point was passed.
void rearm_fault_injection();

}  // namespace latentebm
