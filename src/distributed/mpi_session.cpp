#include "distributed/mpi_session.h"

#include <exception>

namespace latentebm {

MpiSession::MpiSession() : uncaught_at_start_(std::uncaught_exceptions()) {
  init_mpi(nullptr, nullptr);
  comm_ = make_mpi_communicator();
}

MpiSession::~MpiSession() {
  if (std::uncaught_exceptions() > uncaught_at_start_) return;  // the top-level handler aborts the job
  comm_.reset();
  finalize_mpi();
}

}  // namespace latentebm
