// latentebm train: Algorithm 1 on MPI ranks (resumes an existing run directory).
#include <memory>
#include <string>

#include "app/app.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "generator_kind.h"

namespace latentebm::cli {

namespace {
const char* const kDescription = R"(Runs Algorithm 1 data-parallel over the MPI ranks ([mpirun -np N] latentebm
train ...). If DIR already holds a checkpoint, training resumes from its latest
one with DIR/config.yaml (plus any overrides given here). The run directory
receives config.yaml (resolved), logs/rank-*.log, metrics.jsonl, checkpoints/,
samples.png and reconstructions.png.
)";
}  // namespace

Runner declare_train(CLI::App& cmd) {
  auto o = std::make_shared<app::TrainOptions>();
  cmd.description(kDescription);
  CLI::Option* config = cmd.add_option("--config", o->config_path, "YAML preset")->capture_default_str()->type_name("FILE");
  cmd.add_option("--run-dir", o->run_dir, "run directory (default runs/<config name>)")->type_name("DIR");
  cmd.add_option("--checkpoint", o->checkpoint, "resume from this checkpoint instead of DIR's latest")->type_name("DIR");
  cmd.add_option("--max-iterations", o->max_iterations,
                 "stop (with a checkpoint) after N iterations of this invocation (0: run to the end)")
      ->capture_default_str()
      ->type_name("N")
      ->check(non_negative_integer());
  auto no_pictures = std::make_shared<bool>(false);
  cmd.add_flag("--no-pictures", *no_pictures, "skip samples.png / reconstructions.png at the end");
  cmd.add_option("section.key=value", o->overrides, "override any config key, e.g. train.batch_size=64 log.log_every=5");
  cmd.footer([] {
    std::string generators = "generators (model.generator; src/generator_kind.h):\n";
    for (const GeneratorSpec& g : generator_specs())
      generators += "  " + std::string(g.name) + std::string(12 - std::string(g.name).size(), ' ') +
                    std::to_string(g.image_size) + "x" + std::to_string(g.image_size) + ", " + g.description +
                    " (" + g.preset + ")\n";
    return generators + "\nconfig keys (defaults in src/config.h):\n" + app::config_keys_help();
  });
  return [o, config, no_pictures] {
    o->config_given = config->count() > 0;
    o->pictures = !*no_pictures;
    return app::run_training(*o);
  };
}

}  // namespace latentebm::cli
