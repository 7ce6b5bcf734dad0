#include "cli/command_line.h"

#include <cmath>
#include <iostream>
#include <sstream>
#include <vector>

namespace latentebm::cli {

namespace {

// Wraps `text` to lines of at most `width` characters (words longer than a
// line stand alone); explicit newlines are kept.
std::string wrap(const std::string& text, size_t width) {
  std::string out, line;
  std::istringstream paragraphs(text);
  std::string paragraph;
  bool first_paragraph = true;
  while (std::getline(paragraphs, paragraph)) {
    if (!first_paragraph) out += "\n";
    first_paragraph = false;
    std::istringstream words(paragraph);
    std::string word;
    line.clear();
    while (words >> word) {
      if (!line.empty() && line.size() + 1 + word.size() > width) {
        out += line + "\n";
        line.clear();
      }
      line += (line.empty() ? "" : " ") + word;
    }
    out += line;
  }
  return out;
}

// usage first, then the description; option texts wrapped beside their
// names; an option group as a heading over its options; a command in a list
// by the first line of its description.
class Format : public CLI::Formatter {
 public:
  Format() {
    label("Usage", "usage");
    label("OPTIONS", "options");
    label("SUBCOMMAND", "<command>");
    label("Positionals", "arguments");
    column_width(32);
  }
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
    if (mode == CLI::AppFormatMode::Sub) return make_expanded(app);
    std::string out = make_usage(app, name);
    std::string description = make_description(app);
    while (!description.empty() && description.back() == '\n') description.pop_back();
    if (!description.empty()) out += "\n" + description + "\n";
    out += make_positionals(app);
    out += make_groups(app, mode);
    out += make_subcommands(app, mode);
    const std::string footer = make_footer(app);
    if (!footer.empty()) out += "\n" + footer;
    return out;
  }
  std::string make_option_desc(const CLI::Option* opt) const override {
    return wrap(CLI::Formatter::make_option_desc(opt), 50);
  }
  std::string make_subcommand(const CLI::App* sub) const override {
    const std::string& d = sub->get_description();
    std::ostringstream out;
    CLI::detail::format_help(out, sub->get_name(), d.substr(0, d.find('\n')), 15);
    return out.str();
  }
  std::string make_expanded(const CLI::App* sub) const override {
    if (!sub->get_name().empty()) return CLI::Formatter::make_expanded(sub);
    std::string out = "\n" + sub->get_group() + ":\n";
    for (const CLI::Option* o : sub->get_options())
      if (o->nonpositional() && !o->check_lname("help")) out += make_option(o, false);
    return out;
  }
};

// "latentebm sample": the app and the subcommands it selected.
std::string program_name(const CLI::App& app) {
  std::string name = app.get_name();
  for (const CLI::App* sub : app.get_subcommands()) name += " " + sub->get_name();
  return name;
}

// True when all of `s` reads as a number (std::stod / std::stoll rules).
template <class T, class Parse>
bool parses_whole(const std::string& s, T& v, Parse parse) {
  try {
    size_t used = 0;
    v = parse(s, &used);
    return used == s.size();
  } catch (const std::exception&) {
    return false;
  }
}
bool parses_as_double(const std::string& s, double& v) {
  return parses_whole(s, v, [](const std::string& x, size_t* used) { return std::stod(x, used); });
}
bool parses_as_integer(const std::string& s, long long& v) {
  return parses_whole(s, v, [](const std::string& x, size_t* used) { return std::stoll(x, used); });
}

// An integer >= min.
CLI::Validator integer_at_least(long long min, const char* name) {
  return CLI::Validator(
      [min](std::string& s) -> std::string {
        long long i = 0;
        if (parses_as_integer(s, i) && i >= min) return "";
        return "expects an integer >= " + std::to_string(min) + ", got '" + s + "'";
      },
      "", name);
}

}  // namespace

void configure(CLI::App& app) {
  app.formatter(std::make_shared<Format>());
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)->group("options");
  app.group("commands");  // its heading in a list of commands
  app.allow_extras();  // kept for reject_unknown, which names them
  app.set_help_flag("-h,--help", "print this help and exit");
}

void reject_unknown(const CLI::App& app) {
  const std::vector<std::string> extra = app.remaining(true);
  if (extra.empty()) return;
  const std::string& word = extra[0];
  if (word.size() > 1 && word[0] == '-') {
    const auto eq = word.find('=');
    std::string msg = "unknown option " + word.substr(0, eq);
    if (eq != std::string::npos)
      msg += " (given the value '" + word.substr(eq + 1) + "')";
    else if (extra.size() > 1 && extra[1].rfind("-", 0) != 0)
      msg += " (given the value '" + extra[1] + "')";
    throw CLI::ExtrasError(msg, CLI::ExitCodes::ExtrasError);
  }
  throw CLI::ExtrasError("unexpected argument '" + word + "'", CLI::ExitCodes::ExtrasError);
}

std::optional<int> parse(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
    reject_unknown(app);
    return std::nullopt;
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    // An unknown option comes first: its value may have filled a positional
    // argument, or be why a required one seems missing.
    std::string what = e.what();
    try {
      reject_unknown(app);
    } catch (const CLI::ParseError& unknown) {
      what = unknown.what();
    }
    const std::string name = program_name(app);
    std::cerr << name << ": " << what << " (see " << name << " --help)\n";
    return kExitUsage;
  }
}

CLI::Validator one_of(const std::vector<std::string>& values) {
  CLI::Validator v = CLI::IsMember(values);
  v.description("");  // the option's type name lists them
  return v;
}

const CLI::Validator& finite_number() {
  static const CLI::Validator v(
      [](std::string& s) -> std::string {
        double d = 0;
        if (parses_as_double(s, d) && std::isfinite(d)) return "";
        return "expects a finite number, got '" + s + "'";
      },
      "", "FINITE");
  return v;
}

const CLI::Validator& fraction() {
  static const CLI::Validator v(
      [](std::string& s) -> std::string {
        double d = 0;
        if (parses_as_double(s, d) && d >= 0.0 && d < 1.0) return "";
        return "expects a number in [0, 1), got '" + s + "'";
      },
      "", "FRACTION");
  return v;
}

const CLI::Validator& non_negative_integer() {
  static const CLI::Validator v = integer_at_least(0, "NONNEGATIVE");
  return v;
}

const CLI::Validator& positive_integer() {
  static const CLI::Validator v = integer_at_least(1, "POSITIVE");
  return v;
}

void add_model_source(CLI::App& app, app::ModelSource& model) {
  app.add_option("--run-dir", model.run_dir, "run directory (its latest checkpoint is read)")->type_name("DIR");
  app.add_option("--checkpoint", model.checkpoint, "a checkpoint directory (default: the run directory's latest)")
      ->type_name("DIR");
}

CLI::Option* add_stages(CLI::App& app, std::optional<int64_t>& stages) {
  return app
      .add_option("--stages", stages,
                  "prior stages to use (default: all K of a finished run, the stages an unfinished run has learned or "
                  "an adaptive schedule trained; lebm: its energy as learnt so far); reconstruct and score sample the "
                  "posterior under the prior the method trained with, so methods whose posterior uses N(0, I) ignore it")
      ->type_name("K")
      ->check(non_negative_integer());
}

CLI::Option_group* add_sampling_group(CLI::App& app, app::SamplingOptions& s, SamplingParts parts) {
  CLI::Option_group* g = app.add_option_group("test-time sampling");
  add_stages(*g, s.stages);
  g->add_option("--seed", s.seed, "random seed")->capture_default_str()->type_name("S");
  if (parts.batch_size)
    g->add_option("--batch-size,--batch", s.batch_size, "images per batch")
        ->capture_default_str()
        ->type_name("N")
        ->check(positive_integer());
  if (parts.prior_sampler) {
    app::SamplerChoice& p = s.prior;
    g->add_option("--sample-method,--method", p.method, "the prior sampler (default: the run's sample.method)")
        ->type_name("langevin|sir")
        ->check(one_of({"langevin", "sir"}));
    g->add_option("--sample-steps,--steps", p.steps, "prior Langevin steps (default: the run's sample.steps)")
        ->type_name("N")
        ->check(non_negative_integer());
    g->add_option("--sample-delta,--delta", p.delta,
                  "their step size (default: the run's sample.delta; LEBM trains with its train.prior_langevin_delta)")
        ->type_name("D")
        ->check(finite_number());
    g->add_option("--sample-sir-proposals,--sir-proposals", p.sir_proposals,
                  "SIR proposals per sample (default: the run's sample.sir_proposals)")
        ->type_name("N")
        ->check(positive_integer());
  }
  return g;
}

}  // namespace latentebm::cli
