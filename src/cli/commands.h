#pragma once
// The latentebm subcommands. Each cli/<command>.cpp holds the command's help
// text and turns its Args into the typed options of app/options.h, then calls
// the app/ function; cli/main.cpp dispatches by name.
#include <string>
#include <vector>

#include "cli/args.h"

namespace latentebm::cli {

struct Command {
  const char* name;
  std::string (*help)();
  int (*run)(const Args&);
};

// In `latentebm --help` order.
const std::vector<Command>& commands();

std::string prepare_help();
int prepare_command(const Args& a);
std::string train_help();
int train_command(const Args& a);
std::string sample_help();
int sample_command(const Args& a);
std::string reconstruct_help();
int reconstruct_command(const Args& a);
std::string export_help();
int export_command(const Args& a);
std::string verify_help();
int verify_command(const Args& a);
std::string eval_help();
int eval_command(const Args& a);
std::string score_help();
int score_command(const Args& a);

}  // namespace latentebm::cli
