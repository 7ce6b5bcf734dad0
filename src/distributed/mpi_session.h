#pragma once
// MPI for the lifetime of a command, RAII: the constructor initialises MPI
// (init_mpi) and opens the world communicator; the destructor destroys the
// communicator, then finalises MPI. So a communicator never outlives
// MPI_Finalize, and no code path finalises by hand.
//
// When the session ends because an exception is propagating, MPI is NOT
// finalised: the error handler at the top (cli/main.cpp) must still be able
// to call abort_job(), which takes every rank down with MPI_Abort instead of
// leaving the others waiting in a collective.
#include <memory>

#include "distributed/communicator.h"

namespace latentebm {

class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  Communicator& comm() { return *comm_; }
  // Replace the communicator (e.g. by an NCCL one that wraps the current one).
  void replace(std::unique_ptr<Communicator> comm) { comm_ = std::move(comm); }
  std::unique_ptr<Communicator> release() { return std::move(comm_); }

 private:
  std::unique_ptr<Communicator> comm_;
  int uncaught_at_start_ = 0;
};

}  // namespace latentebm
