// The command lines of latentebm (cli/commands.h) and the shared pieces the
// benchmarks use (cli/command_line.h): --help shows every option with the
// default of its typed options struct, a bad command line exits 2 naming the
// option and the value, and the short spellings of the sampler options are
// aliases of the config-key spellings.
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "app/options.h"
#include "cli/command_line.h"
#include "cli/commands.h"

namespace {

using namespace latentebm;

// Every option of `app` and of its option groups.
std::vector<const CLI::Option*> all_options(const CLI::App& app) {
  std::vector<const CLI::Option*> out = app.get_options();
  for (const CLI::App* g : app.get_subcommands([](const CLI::App* s) { return s->get_name().empty(); }))
    for (const CLI::Option* o : g->get_options()) out.push_back(o);
  return out;
}

struct Parsed {
  std::optional<int> status;
  std::string out, err;
};

Parsed parse(CLI::App& app, std::vector<std::string> words) {
  std::vector<const char*> argv = {"prog"};
  for (const auto& w : words) argv.push_back(w.c_str());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  Parsed p;
  p.status = cli::parse(app, static_cast<int>(argv.size()), argv.data());
  p.out = testing::internal::GetCapturedStdout();
  p.err = testing::internal::GetCapturedStderr();
  return p;
}

const CLI::Option* find_option(const CLI::App& app, const std::string& name) {
  for (const CLI::Option* o : all_options(app))
    if (o->check_name(name)) return o;
  return nullptr;
}

// Each command's --help comes from its declarations: a usage line, every
// option, and next to each option with a default that default
// (DefaultsComeFromTheOptionsStructs checks the values).
TEST(CommandLine, EveryCommandsHelpListsItsOptionsWithTheirDefaults) {
  cli::CommandLine line;
  ASSERT_EQ(line.app.get_subcommands({}).size(), cli::commands().size());
  for (const cli::Command& c : cli::commands()) {
    SCOPED_TRACE(c.name);
    CLI::App* cmd = line.app.get_subcommand(c.name);
    const std::string help = cmd->help("latentebm");
    EXPECT_EQ(help.rfind(std::string("usage: latentebm ") + c.name + " [options]", 0), 0u) << help;
    EXPECT_NE(help.find(c.summary), std::string::npos);
    EXPECT_GE(all_options(*cmd).size(), 3u);  // --help and at least the model or config
    for (const CLI::Option* o : all_options(*cmd)) {
      const std::string name = o->get_name(false, true);
      SCOPED_TRACE(name);
      EXPECT_NE(help.find(name), std::string::npos) << help;
      if (!o->get_default_str().empty())
        EXPECT_NE(help.find("=" + o->get_default_str()), std::string::npos) << name << "'s default is not shown:\n"
                                                                             << help;
    }
  }
}

// The defaults --help shows are the typed options structs' initial values
// (declared once, there), not numbers written beside the option.
TEST(CommandLine, DefaultsComeFromTheOptionsStructs) {
  cli::CommandLine line;
  const app::EvalCommandOptions eval;
  const app::SampleOptions sample;
  const app::ReconstructOptions reconstruct;
  const app::ScoreCommandOptions score;
  const app::PrepareOptions prepare;
  const app::TrainOptions train;
  const app::SamplingOptions sampling;
  struct Case {
    const char* command;
    const char* option;
    std::string expected;
  };
  const Case cases[] = {
      {"eval", "--samples", std::to_string(eval.samples)},
      {"eval", "--classifier-epochs", std::to_string(eval.classifier_epochs)},
      {"eval", "--fid-reference-limit", std::to_string(eval.fid_reference_limit)},
      {"eval", "--batch-size", std::to_string(sampling.batch_size)},
      {"eval", "--seed", std::to_string(sampling.seed)},
      {"score", "--batch-size", std::to_string(score.sampling.batch_size)},
      {"score", "--split", score.split},
      {"sample", "--columns", std::to_string(sample.columns)},
      {"sample", "--strip-steps", std::to_string(sample.strip_steps)},
      {"sample", "--strip-every", std::to_string(sample.strip_every)},
      {"sample", "--format", sample.format},
      {"reconstruct", "--count", std::to_string(reconstruct.count)},
      {"prepare", "--chunk-images", std::to_string(prepare.chunk_images)},
      {"prepare", "--num-workers", std::to_string(prepare.num_workers)},
      {"prepare", "--valid", prepare.valid},
      {"prepare", "--holdout-label", std::to_string(prepare.holdout_label)},
      {"prepare", "--seed", std::to_string(prepare.seed)},
      {"prepare", "--channels", std::to_string(prepare.channels)},
      {"prepare", "--on-bad-file", prepare.on_bad_file == data::OnBadFile::Skip ? "skip" : "fail"},
      {"reconstruct", "--seed", std::to_string(reconstruct.sampling.seed)},
      {"sample", "--seed", std::to_string(sample.sampling.seed)},
      {"score", "--seed", std::to_string(score.sampling.seed)},
      {"train", "--config", train.config_path},
      {"train", "--max-iterations", std::to_string(train.max_iterations)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.command) + " " + c.option);
    CLI::App* cmd = line.app.get_subcommand(c.command);
    const CLI::Option* o = find_option(*cmd, c.option);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->get_default_str(), c.expected);
    EXPECT_NE(cmd->help().find("=" + c.expected), std::string::npos);
  }
  const CLI::Option* fraction = find_option(*line.app.get_subcommand("prepare"), "--test-fraction");
  ASSERT_NE(fraction, nullptr);
  EXPECT_DOUBLE_EQ(std::stod(fraction->get_default_str()), prepare.test_fraction);
  // A default that depends on the run is said in words, not shown as a value.
  const CLI::Option* delta = find_option(*line.app.get_subcommand("eval"), "--sample-delta");
  ASSERT_NE(delta, nullptr);
  EXPECT_TRUE(delta->get_default_str().empty());
  EXPECT_NE(delta->get_description().find("the run's sample.delta"), std::string::npos);
}

// The sampler options are spelled as their config keys (sample.delta ->
// --sample-delta); the short spellings sample used (--delta, --steps,
// --method, --sir-proposals) are aliases of the same options.
TEST(CommandLine, SamplerOptionsAcceptTheConfigKeySpellingAndTheShortAlias) {
  for (const auto& [delta, steps, method, proposals] :
       std::vector<std::array<std::string, 4>>{{"--sample-delta", "--sample-steps", "--sample-method", "--sample-sir-proposals"},
                                               {"--delta", "--steps", "--method", "--sir-proposals"}}) {
    SCOPED_TRACE(delta);
    app::SamplingOptions s;
    CLI::App app("test", "prog");
    cli::configure(app);
    cli::add_sampling_group(app, s, {true, true});
    const Parsed p = parse(app, {delta, "0.05", steps + "=7", method, "sir", proposals, "9", "--batch", "12"});
    EXPECT_FALSE(p.status.has_value()) << p.err;
    EXPECT_EQ(s.prior.delta, 0.05);
    EXPECT_EQ(s.prior.steps, 7);
    EXPECT_EQ(s.prior.method, "sir");
    EXPECT_EQ(s.prior.sir_proposals, 9);
    EXPECT_EQ(s.batch_size, 12);
    EXPECT_EQ(s.seed, app::SamplingOptions{}.seed);  // untouched: the struct's default
    EXPECT_FALSE(s.stages.has_value());
  }
}

// An unknown option, a malformed value, a value out of range: exit status 2
// and one line naming the option and the value.
TEST(CommandLine, BadOptionsExitTwoNamingTheOptionAndTheValue) {
  struct Case {
    std::vector<std::string> words;
    std::vector<std::string> named;
  };
  const Case cases[] = {
      {{"sample", "--run-dir", "r", "--bogus", "1"}, {"unknown option --bogus", "'1'"}},
      {{"sample", "--run-dir", "r", "--bogus=7"}, {"unknown option --bogus", "'7'"}},
      {{"train", "--no-pictures", "--max-iteration", "5", "train.seed=2"}, {"unknown option --max-iteration"}},
      {{"eval", "--run-dir", "r", "--samples", "ten"}, {"--samples", "ten"}},
      {{"eval", "--run-dir", "r", "--delta", "big"}, {"--sample-delta", "big"}},
      {{"sample", "--run-dir", "r", "--sample-delta", "nan"}, {"--sample-delta", "nan"}},
      {{"score", "--run-dir", "r", "--data", "d.h5", "--out", "o.csv", "--batch-size", "0"}, {"--batch-size", "'0'"}},
      {{"sample", "--run-dir", "r", "--format", "jpg"}, {"--format", "jpg"}},
      {{"prepare", "folder", "--out", "o.h5", "--test-fraction", "1.5"}, {"--test-fraction", "1.5"}},
      {{"score", "--run-dir", "r", "--out", "o.csv"}, {"--data", "required"}},
      {{"verify", "--run-dir", "r", "extra"}, {"unexpected argument 'extra'"}},
  };
  for (const Case& c : cases) {
    std::string line_words;
    for (const auto& w : c.words) line_words += " " + w;
    SCOPED_TRACE(line_words);
    cli::CommandLine line;
    const Parsed p = parse(line.app, c.words);
    ASSERT_TRUE(p.status.has_value());
    EXPECT_EQ(*p.status, cli::kExitUsage);
    EXPECT_EQ(p.err.rfind("latentebm " + c.words[0] + ": ", 0), 0u) << p.err;
    for (const auto& n : c.named) EXPECT_NE(p.err.find(n), std::string::npos) << p.err;
  }
}

// Repeating an option keeps its last value (as the hand parser did), and
// section.key=value words stay positional overrides.
TEST(CommandLine, TrainKeepsOverridesAndTheLastValue) {
  cli::CommandLine line;
  const Parsed p =
      parse(line.app, {"train", "--max-iterations", "3", "train.batch_size=8", "--max-iterations=4", "log.log_every=2"});
  ASSERT_FALSE(p.status.has_value()) << p.err;
  CLI::App* train = line.app.get_subcommand("train");
  EXPECT_EQ(train->get_option("--max-iterations")->as<int64_t>(), 4);
  EXPECT_EQ(train->get_option("section.key=value")->as<std::vector<std::string>>(),
            (std::vector<std::string>{"train.batch_size=8", "log.log_every=2"}));
}

}  // namespace
