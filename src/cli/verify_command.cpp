// latentebm verify: check a checkpoint's files against its manifest.
#include <memory>

#include "app/app.h"
#include "cli/command_line.h"
#include "cli/commands.h"

namespace latentebm::cli {

Runner declare_verify(CLI::App& cmd) {
  auto o = std::make_shared<app::VerifyOptions>();
  cmd.description(R"(Checks every file of a checkpoint (--run-dir DIR's latest, or --checkpoint
DIR) against its manifest: present, same size, same CRC-32. Prints "ok ..."
and exits 0, or names the damaged file and exits 1.
)");
  add_model_source(cmd, o->model);
  return [o] { return app::run_verify_checkpoint(*o); };
}

}  // namespace latentebm::cli
