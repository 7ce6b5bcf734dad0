// latentebm verify: check a checkpoint's files against its manifest.
#include <stdexcept>
#include <string>

#include "app/app.h"
#include "cli/commands.h"

namespace latentebm::cli {

namespace {
const char* const kHelp = R"(usage: latentebm verify (--run-dir DIR | --checkpoint DIR)

Checks every file of a checkpoint (DIR's latest by default) against its
manifest: present, same size, same CRC-32. Prints "ok ..." and exits 0, or
names the damaged file and exits 1.
)";
}  // namespace

std::string verify_help() { return std::string(kHelp); }

int verify_command(const Args& a) {
  reject_unknown(a, {"run-dir", "checkpoint", "help"}, "verify");
  app::VerifyOptions o;
  o.model = {a.get_opt("run-dir"), a.get_opt("checkpoint")};
  return app::run_verify(o);
}

}  // namespace latentebm::cli
