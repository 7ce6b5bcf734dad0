#pragma once
// Command lines of latentebm and of the benchmarks, through CLI11 (Debian's
// libcli11-dev). Each option is declared once, bound to a field of a typed
// options struct (app/options.h, or a benchmark's own); the field's initial
// value is the default, which --help shows (capture_default_str), so a
// default is written in exactly one place. This header holds what every
// program shares: the look of --help, how a bad command line is reported
// (exit status 2, naming the option and the value) and the option groups
// several programs declare alike.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/options.h"

namespace latentebm::cli {

// Exit status of a command line that cannot be parsed.
constexpr int kExitUsage = 2;

// latentebm's conventions for a program's (or a command's) app: "usage:"
// first, then the description, options with their types and defaults, the
// footer; a repeated option takes its last value; unknown words are kept so
// that parse() can name them.
void configure(CLI::App& app);

// Parses argv[1..argc) into `app` (configured). Returns nullopt when the
// program should go on; otherwise the exit status to return: 0 after --help
// (printed to stdout), kExitUsage after an unknown option, a malformed value
// or a missing required one ("<program>: <what> (see <program> --help)" on
// stderr).
std::optional<int> parse(CLI::App& app, int argc, const char* const* argv);

// Throws CLI::ExtrasError naming the first unknown option (and the value
// after it) or unexpected word that `app` (a parsed, configured app) kept.
void reject_unknown(const CLI::App& app);

// Value checks for options (CLI11 validators): one of the given words (an
// error names the value and lists them); a finite number; a number in
// [0, 1); an integer >= 0; >= 1.
CLI::Validator one_of(const std::vector<std::string>& values);
const CLI::Validator& finite_number();
const CLI::Validator& fraction();
const CLI::Validator& non_negative_integer();
const CLI::Validator& positive_integer();

// --run-dir DIR / --checkpoint DIR: which trained model a command reads.
void add_model_source(CLI::App& app, app::ModelSource& model);

// --stages K (the export command's; also part of the sampling group).
CLI::Option* add_stages(CLI::App& app, std::optional<int64_t>& stages);

// The "test-time sampling" option group (app::SamplingOptions): --stages and
// --seed always; --batch-size (alias --batch) and the prior sampler (each
// option spelled as its sample.* config key, sample.delta -> --sample-delta,
// with the short spelling --delta, --steps, --method, --sir-proposals as an
// alias) where the command uses them.
struct SamplingParts {
  bool batch_size = false;
  bool prior_sampler = false;
};
CLI::Option_group* add_sampling_group(CLI::App& app, app::SamplingOptions& sampling, SamplingParts parts);

}  // namespace latentebm::cli
