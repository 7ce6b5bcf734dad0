#pragma once
// The latentebm commands. Each cli/<command>_command.cpp declares its
// command's options on a CLI11 subcommand (cli/command_line.h), bound to the
// typed options of app/options.h, and returns what runs the command once the
// command line is parsed; app/ does the work. cli/commands.cpp puts them
// together into one command line; cli/main.cpp runs it.
#include <CLI/CLI.hpp>

#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace latentebm::cli {

// Runs a parsed command; returns the exit status (errors are thrown).
using Runner = std::function<int()>;

struct Command {
  const char* name;
  const char* summary;  // one line, in `latentebm --help`
  Runner (*declare)(CLI::App& command);
};

// In `latentebm --help` order.
const std::vector<Command>& commands();

Runner declare_prepare(CLI::App& command);
Runner declare_train(CLI::App& command);
Runner declare_sample(CLI::App& command);
Runner declare_reconstruct(CLI::App& command);
Runner declare_export(CLI::App& command);
Runner declare_verify(CLI::App& command);
Runner declare_eval(CLI::App& command);
Runner declare_score(CLI::App& command);

// The `latentebm` command line: every command a subcommand of one app.
struct CommandLine {
  CLI::App app;
  std::map<const CLI::App*, Runner> runners;
  CommandLine();
};

// Parses argv and runs the command it names. Returns the exit status: 2 for
// no command, an unknown one or a bad option (stderr says which), 0 after a
// --help; otherwise the command's. What the command throws propagates.
int run_command_line(int argc, const char* const* argv);

}  // namespace latentebm::cli
