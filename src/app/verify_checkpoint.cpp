// run_verify_checkpoint: `latentebm verify`, a checkpoint's files against its manifest.
#include <iostream>
#include <stdexcept>

#include "app/app.h"
#include "app/loaded_run.h"
#include "log.h"
#include "train/checkpoint.h"

namespace latentebm::app {

int run_verify_checkpoint(const VerifyOptions& opt) {
  init_console_logging(0);
  if (!opt.model.run_dir && !opt.model.checkpoint) throw std::runtime_error("give --run-dir DIR or --checkpoint DIR");
  const std::string ckpt = checkpoint_of(opt.model, "");
  verify_checkpoint(ckpt);
  const auto meta = read_checkpoint_meta(ckpt);
  std::cout << "ok " << ckpt << " iteration " << meta.iteration << " stage " << meta.stage << " world_size " << meta.world_size
            << "\n";
  return kExitOk;
}

}  // namespace latentebm::app
