#include "config.h"

#include <spdlog/fmt/fmt.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <variant>

namespace latentebm {
namespace {

// One registry of every key: the YAML reader, the overrides, the dumper and
// the "unknown key" check all walk it, so a new setting is added in one line.
// An enum-valued key: read and written through its name table (method.h).
struct EnumRef {
  std::function<std::string()> get;
  std::function<bool(const std::string&)> set;  // false: not one of the names
  std::string choices;
};
template <class E> EnumRef enum_ref(E* p) {
  return {[p] { return std::string(enum_name(*p)); },
          [p](const std::string& v) {
            auto e = parse_enum<E>(v);
            if (e) *p = *e;
            return e.has_value();
          },
          enum_choices<E>()};
}
using FieldPtr = std::variant<std::string*, int64_t*, uint64_t*, double*, EnumRef>;
// Whether a key is structural in a config: a resume must refuse to change it
// (the model's shape, what the stages learn from, the seed, the data
// selection). nullptr: a resume may change it.
using Structural = bool (*)(const Config&);
bool always(const Config&) { return true; }
bool adaptive_schedule(const Config& c) { return c.train.stage_schedule == StageSchedule::kAdaptive; }
bool persistent_langevin_noise(const Config& c) { return c.train.prior_samples == NoiseSource::kPersistentLangevin; }
bool importance_noise(const Config& c) { return c.train.prior_samples == NoiseSource::kImportance; }

struct Field {
  std::string key;  // "section.name"
  FieldPtr ptr;
  Structural structural = nullptr;
};

// The third entry says when a key is structural (see Structural). The
// schedule's length (train.iterations, train.epochs, train.min_iterations)
// is not: a resume may lengthen a run (train/run_schedule.h). The stage
// schedule's keys are structural only for the adaptive schedule, so that
// fixed-schedule checkpoints keep the structure they had before it existed.
std::vector<Field> fields(Config& c) {
  return {
      {"data.path", &c.data.path},
      {"data.train_limit", &c.data.train_limit, always},
      {"data.test_limit", &c.data.test_limit},
      {"model.generator", enum_ref(&c.model.generator), always},
      {"model.nz", &c.model.nz, always},
      {"model.ngf", &c.model.ngf, always},
      {"model.sigma", &c.model.sigma, always},
      {"model.ratio_hidden", &c.model.ratio_hidden, always},
      {"train.method", enum_ref(&c.train.method), always},
      {"train.stages", &c.train.stages, always},
      {"train.iterations", &c.train.iterations},
      {"train.epochs", &c.train.epochs},
      {"train.min_iterations", &c.train.min_iterations},
      {"train.batch_size", &c.train.batch_size},
      {"train.batch_per_rank", &c.train.batch_per_rank},
      {"train.lr_scaling", enum_ref(&c.train.lr_scaling)},
      {"train.lr_reference_batch", &c.train.lr_reference_batch},
      {"train.lr_warmup_iterations", &c.train.lr_warmup_iterations},
      {"train.langevin_steps", &c.train.langevin_steps},
      {"train.langevin_delta", &c.train.langevin_delta},
      {"train.g_lr", &c.train.g_lr},
      {"train.g_lr_schedule", enum_ref(&c.train.g_lr_schedule)},
      {"train.e_lr", &c.train.e_lr},
      {"train.beta1", &c.train.beta1},
      {"train.beta2", &c.train.beta2},
      {"train.prior_samples", enum_ref(&c.train.prior_samples), always},
      {"train.prior_langevin_steps", &c.train.prior_langevin_steps},
      {"train.prior_langevin_delta", &c.train.prior_langevin_delta},
      {"train.bank_langevin_steps", &c.train.bank_langevin_steps, persistent_langevin_noise},
      {"train.noise_proposals", &c.train.noise_proposals, importance_noise},
      {"train.stage_schedule", enum_ref(&c.train.stage_schedule), adaptive_schedule},
      {"train.plateau_window", &c.train.plateau_window, adaptive_schedule},
      {"train.plateau_patience", &c.train.plateau_patience, adaptive_schedule},
      {"train.plateau_tolerance", &c.train.plateau_tolerance, adaptive_schedule},
      {"train.min_stage_iterations", &c.train.min_stage_iterations, adaptive_schedule},
      {"train.max_stage_iterations", &c.train.max_stage_iterations, adaptive_schedule},
      {"train.seed", &c.train.seed, always},
      {"train.on_divergence", enum_ref(&c.train.on_divergence)},
      {"train.max_rollbacks", &c.train.max_rollbacks},
      {"train.rollback_delta_factor", &c.train.rollback_delta_factor},
      {"train.max_skips", &c.train.max_skips},
      {"train.divergence_z_limit", &c.train.divergence_z_limit},
      {"train.divergence_loss_limit", &c.train.divergence_loss_limit},
      {"log.log_every", &c.log.log_every},
      {"log.checkpoint_every", &c.log.checkpoint_every},
      {"log.keep_checkpoints", &c.log.keep_checkpoints},
      {"log.noise_reference_samples", &c.log.noise_reference_samples},
      {"log.noise_reference_steps", &c.log.noise_reference_steps},
      {"log.noise_reference_delta", &c.log.noise_reference_delta},
      {"log.tensorboard", enum_ref(&c.log.tensorboard)},
      {"log.tensorboard_images_every", &c.log.tensorboard_images_every},
      {"sample.method", enum_ref(&c.sample.method)},
      {"sample.steps", &c.sample.steps},
      {"sample.delta", &c.sample.delta},
      {"sample.sir_proposals", &c.sample.sir_proposals},
      {"sample.count", &c.sample.count},
      {"eval.anomaly_every", &c.eval.anomaly_every},
      {"eval.anomaly_window", &c.eval.anomaly_window},
      {"runtime.device", enum_ref(&c.runtime.device)},
      {"runtime.threads", &c.runtime.threads},
      {"runtime.collective_timeout_s", &c.runtime.collective_timeout_s},
      {"runtime.precision", enum_ref(&c.runtime.precision)},
      {"runtime.cuda_graph", enum_ref(&c.runtime.cuda_graph)},
      {"runtime.share_gpus", enum_ref(&c.runtime.share_gpus)},
  };
}

void set_from_string(const Field& f, const std::string& value, const std::string& origin) {
  auto fail = [&](const char* what) {
    throw std::runtime_error(origin + ": " + f.key + " = '" + value + "' is not " + what);
  };
  if (const auto* e = std::get_if<EnumRef>(&f.ptr)) {
    if (!e->set(value)) throw std::runtime_error(origin + ": " + f.key + " = '" + value + "' is not one of " + e->choices);
    return;
  }
  std::visit(
      [&](auto p) {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<decltype(p), EnumRef>) {
        } else if constexpr (std::is_same_v<T, std::string>) {
          *p = value;
        } else {
          size_t used = 0;
          try {
            if constexpr (std::is_same_v<T, int64_t>) {
              // Accept "1e4"-style integers written by hand in YAML.
              double d = std::stod(value, &used);
              if (d != std::floor(d)) fail("an integer");
              // Beyond int64's range the cast is undefined (found by fuzz/fuzz_config.cpp).
              if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) fail("an integer in the 64-bit range");
              *p = static_cast<int64_t>(d);
            } else if constexpr (std::is_same_v<T, uint64_t>) {
              if (!value.empty() && value[0] == '-') fail("a non-negative integer");
              *p = std::stoull(value, &used);
            } else {
              *p = std::stod(value, &used);
            }
          } catch (const std::logic_error&) {
            fail(std::is_same_v<T, double> ? "a number" : "an integer");
          }
          if (used != value.size()) fail(std::is_same_v<T, double> ? "a number" : "an integer");
        }
      },
      f.ptr);
}

std::string to_string(const Field& f) {
  return std::visit(
      [](const auto& p) -> std::string {
        using T = std::remove_pointer_t<std::decay_t<decltype(p)>>;
        if constexpr (std::is_same_v<std::decay_t<decltype(p)>, EnumRef>) {
          return p.get();
        } else if constexpr (std::is_same_v<T, std::string>) {
          return *p;
        } else if constexpr (std::is_same_v<T, double>) {
          std::ostringstream os;
          os.precision(17);
          os << *p;
          return os.str();
        } else {
          return std::to_string(*p);
        }
      },
      f.ptr);
}

Config from_node(const YAML::Node& root, const std::string& origin) {
  Config cfg;
  if (!root || root.IsNull()) return cfg;
  if (!root.IsMap()) throw std::runtime_error(origin + ": a config must be a YAML mapping of sections");
  auto all = fields(cfg);
  for (const auto& section : root) {
    const std::string sname = section.first.as<std::string>();
    if (!section.second.IsMap())
      throw std::runtime_error(origin + ": section '" + sname + "' must be a mapping");
    for (const auto& kv : section.second) {
      const std::string key = sname + "." + kv.first.as<std::string>();
      auto it = std::find_if(all.begin(), all.end(), [&](const Field& f) { return f.key == key; });
      if (it == all.end())
        throw std::runtime_error(origin + ": unknown config key '" + key +
                                 "' (see configs/*.yaml or `latentebm train --help` for the keys)");
      if (!kv.second.IsScalar())
        throw std::runtime_error(origin + ": " + key + " must be a single value");
      set_from_string(*it, kv.second.Scalar(), origin);
      cfg.origins.file.insert(key);
    }
  }
  cfg.origins.file_method = cfg.train.method;
  return cfg;
}

}  // namespace

Config parse_config(const std::string& yaml_text, const std::string& origin) {
  try {
    return from_node(YAML::Load(yaml_text), origin);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(origin + ": invalid YAML: " + e.what());
  }
}

Config load_config(const std::string& yaml_path) {
  std::ifstream in(yaml_path);
  if (!in) throw std::runtime_error("cannot read config file '" + yaml_path + "' (check the path; presets live in configs/)");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), yaml_path);
}

void apply_overrides(Config& cfg, const std::vector<std::string>& overrides) {
  auto all = fields(cfg);
  for (const auto& ov : overrides) {
    auto eq = ov.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::runtime_error("override '" + ov + "' must look like section.key=value (e.g. train.batch_size=64)");
    const std::string key = ov.substr(0, eq), value = ov.substr(eq + 1);
    auto it = std::find_if(all.begin(), all.end(), [&](const Field& f) { return f.key == key; });
    if (it == all.end()) throw std::runtime_error("override '" + ov + "': unknown config key '" + key + "'");
    set_from_string(*it, value, "command line");
    cfg.origins.cmdline.insert(key);
  }
}

std::string describe(const SampleConfig& s) {
  return s.method == SampleMethod::kSir ? fmt::format("sir ({} proposals)", s.sir_proposals)
                                        : fmt::format("langevin ({} steps, delta {})", s.steps, s.delta);
}

std::string to_yaml(const Config& cfg_in) {
  Config cfg = cfg_in;
  std::ostringstream os;
  std::string section;
  for (const auto& f : fields(cfg)) {
    const auto dot = f.key.find('.');
    const std::string s = f.key.substr(0, dot);
    if (s != section) {
      os << s << ":\n";
      section = s;
    }
    std::string v = to_string(f);
    if (std::holds_alternative<std::string*>(f.ptr) || std::holds_alternative<EnumRef>(f.ptr)) v = "\"" + v + "\"";
    os << "  " << f.key.substr(dot + 1) << ": " << v << "\n";
  }
  return os.str();
}

std::string structural_config(const Config& cfg_in) {
  Config cfg = cfg_in;
  std::string out;
  for (const auto& f : fields(cfg))
    if (f.structural && f.structural(cfg)) out += f.key + ": " + to_string(f) + "\n";
  return out;
}

std::vector<std::string> resolve_method(Config& c) {
  std::vector<std::string> notes;
  const MethodTraits& tr = traits(c.train.method);
  const std::string m = tr.name;
  if (tr.fixed_stages >= 0 && c.train.stages != tr.fixed_stages) {
    notes.push_back("train.method = " + m + ": train.stages " + std::to_string(c.train.stages) + " -> " +
                    std::to_string(tr.fixed_stages));
    c.train.stages = tr.fixed_stages;
  }
  if (tr.required_noise && c.train.prior_samples != *tr.required_noise) {
    notes.push_back("train.method = " + m + ": train.prior_samples " + enum_name(c.train.prior_samples) + " -> " +
                    enum_name(*tr.required_noise));
    c.train.prior_samples = *tr.required_noise;
  }
  auto all = fields(c);
  for (const auto& [key, value] : tr.reference_settings) {
    const bool pinned =
        c.origins.cmdline.count(key) > 0 || (c.origins.file.count(key) > 0 && c.origins.file_method == c.train.method);
    if (pinned) continue;
    auto it = std::find_if(all.begin(), all.end(), [&k = key](const Field& f) { return f.key == k; });
    const std::string before = to_string(*it);
    set_from_string(*it, value, "train.method = " + m);
    const std::string after = to_string(*it);
    if (before != after) notes.push_back("train.method = " + m + " (reference setting): " + key + " " + before + " -> " + after);
  }
  if (c.train.method == Method::kNonAdaptive && c.train.prior_samples != NoiseSource::kLangevin && c.train.stages > 1)
    notes.push_back("train.method = non-adaptive with train.prior_samples = " + std::string(enum_name(c.train.prior_samples)) +
                    ": the bank holds posterior samples under N(0, I), which never sample p_k for k >= 1 "
                    "(docs/RESULTS.md runs both variants)");
  return notes;
}

void validate(const Config& c) {
  std::vector<std::string> errs;
  auto need = [&](bool ok, const std::string& msg) {
    if (!ok) errs.push_back(msg);
  };
  need(c.model.nz >= 1, "model.nz must be >= 1");
  need(c.model.ngf >= 1, "model.ngf must be >= 1");
  need(c.model.sigma > 0 && std::isfinite(c.model.sigma), "model.sigma must be a positive number");
  need(c.model.ratio_hidden >= 1, "model.ratio_hidden must be >= 1");
  const MethodTraits& tr = traits(c.train.method);
  need(tr.fixed_stages < 0 || c.train.stages == tr.fixed_stages,
       "train.method = " + std::string(tr.name) + " needs train.stages = " + std::to_string(tr.fixed_stages));
  need(c.train.method != Method::kNonAdaptive || c.train.stages >= 1, "train.method = non-adaptive needs train.stages >= 1");
  need(!tr.required_noise || c.train.prior_samples == *tr.required_noise,
       "train.method = " + std::string(tr.name) + " draws prior samples by " +
           (tr.required_noise ? enum_name(*tr.required_noise) : "") + ": set train.prior_samples accordingly");
  need(c.train.stages >= 0, "train.stages (K) must be >= 0 (0 = Gaussian prior)");
  need(c.train.iterations >= 0, "train.iterations must be >= 0 (0 = use train.epochs)");
  need(c.train.iterations > 0 || c.train.epochs > 0, "train.epochs must be > 0 when train.iterations is 0");
  need(c.train.batch_size >= 1, "train.batch_size must be >= 1");
  need(c.train.batch_per_rank >= 0, "train.batch_per_rank must be >= 0 (0 = split train.batch_size over the ranks)");
  need(c.train.min_iterations >= 0, "train.min_iterations must be >= 0 (0 = no floor)");
  need(c.train.lr_scaling == LrScaling::kNone || c.train.lr_reference_batch >= 1,
       "train.lr_scaling = " + std::string(enum_name(c.train.lr_scaling)) +
           " needs train.lr_reference_batch: the global batch train.g_lr and train.e_lr were tuned at");
  need(c.train.lr_reference_batch >= 0, "train.lr_reference_batch must be >= 0");
  need(c.train.lr_warmup_iterations >= 0, "train.lr_warmup_iterations must be >= 0");
  need(c.train.langevin_steps >= 0, "train.langevin_steps must be >= 0");
  need(c.train.langevin_delta > 0 && std::isfinite(c.train.langevin_delta), "train.langevin_delta must be > 0");
  need(c.train.g_lr > 0, "train.g_lr must be > 0");
  need(c.train.e_lr > 0, "train.e_lr must be > 0");
  need(c.train.beta1 >= 0 && c.train.beta1 < 1, "train.beta1 must be in [0, 1)");
  need(c.train.beta2 >= 0 && c.train.beta2 < 1, "train.beta2 must be in [0, 1)");
  need(c.train.prior_langevin_steps >= 1, "train.prior_langevin_steps must be >= 1");
  need(c.train.prior_langevin_delta > 0, "train.prior_langevin_delta must be > 0");
  need(c.train.bank_langevin_steps >= 0, "train.bank_langevin_steps must be >= 0");
  need(c.train.noise_proposals >= 1, "train.noise_proposals must be >= 1 (N(0, I) proposals per importance noise sample)");
  need(c.train.plateau_window >= 1, "train.plateau_window must be >= 1 iteration");
  need(c.train.plateau_patience >= 1, "train.plateau_patience must be >= 1 window");
  need(c.train.plateau_tolerance >= 0 && std::isfinite(c.train.plateau_tolerance), "train.plateau_tolerance must be >= 0");
  need(c.train.min_stage_iterations >= 1, "train.min_stage_iterations must be >= 1");
  need(c.train.max_stage_iterations == 0 || c.train.max_stage_iterations >= c.train.min_stage_iterations,
       "train.max_stage_iterations must be 0 (no maximum) or >= train.min_stage_iterations");
  need(c.log.noise_reference_samples >= 0, "log.noise_reference_samples must be >= 0 (0 = no noise diagnostics)");
  need(c.log.noise_reference_steps >= 0, "log.noise_reference_steps must be >= 0");
  need(c.log.noise_reference_delta > 0, "log.noise_reference_delta must be > 0");
  need(c.log.tensorboard_images_every >= 0, "log.tensorboard_images_every must be >= 0 (0 = none during training)");
  need(c.train.max_rollbacks >= 0, "train.max_rollbacks must be >= 0");
  need(c.train.rollback_delta_factor > 0 && c.train.rollback_delta_factor < 1, "train.rollback_delta_factor must be in (0, 1)");
  need(c.train.max_skips >= 0, "train.max_skips must be >= 0");
  need(c.train.divergence_z_limit > 0, "train.divergence_z_limit must be > 0");
  need(c.train.divergence_loss_limit > 0, "train.divergence_loss_limit must be > 0");
  need(c.runtime.collective_timeout_s >= 0 && std::isfinite(c.runtime.collective_timeout_s),
       "runtime.collective_timeout_s must be >= 0 seconds (0 disables the watchdog)");
  need(c.data.train_limit >= 0 && c.data.test_limit >= 0, "data.train_limit / data.test_limit must be >= 0");
  need(!c.data.path.empty(), "data.path must name a prepared dataset (latentebm prepare)");
  need(c.log.log_every >= 1, "log.log_every must be >= 1");
  need(c.log.checkpoint_every >= 1, "log.checkpoint_every must be >= 1");
  need(c.log.keep_checkpoints >= 1, "log.keep_checkpoints must be >= 1");
  need(c.sample.steps >= 0, "sample.steps must be >= 0");
  need(c.sample.delta > 0, "sample.delta must be > 0");
  need(c.sample.sir_proposals >= 1, "sample.sir_proposals must be >= 1");
  need(c.sample.count >= 1, "sample.count must be >= 1");
  need(c.runtime.threads >= 1, "runtime.threads must be >= 1");
  need(c.eval.anomaly_every >= 0, "eval.anomaly_every must be >= 0 (0 = off)");
  need(c.eval.anomaly_window >= 1, "eval.anomaly_window must be >= 1");
  if (!errs.empty()) {
    std::string msg = "invalid config:";
    for (const auto& e : errs) msg += "\n  - " + e;
    throw std::runtime_error(msg);
  }
}

std::optional<std::string> resolve_batch(Config& c, int world) {
  // The command line beats the config file: train.batch_size given there is
  // the global batch even when the file (a GPU preset, a checkpoint's
  // config) sets a per-rank batch.
  const bool global_given = c.origins.cmdline.count("train.batch_size") > 0;
  const bool per_rank_given = c.origins.cmdline.count("train.batch_per_rank") > 0;
  if (global_given && per_rank_given && c.train.batch_per_rank > 0)
    throw std::runtime_error("train.batch_size and train.batch_per_rank are both given on the command line: give one (the "
                             "global batch, or the batch of each rank)");
  if (global_given && c.train.batch_per_rank > 0) {
    const std::string note = "train.batch_size = " + std::to_string(c.train.batch_size) +
                             " given on the command line is the global batch: the config's train.batch_per_rank = " +
                             std::to_string(c.train.batch_per_rank) + " is dropped";
    c.train.batch_per_rank = 0;
    return note;
  }
  if (c.train.batch_per_rank <= 0) return std::nullopt;
  const int64_t global = c.train.batch_per_rank * world;
  if (global == c.train.batch_size) return std::nullopt;
  const std::string note = "train.batch_per_rank = " + std::to_string(c.train.batch_per_rank) + " on " + std::to_string(world) +
                           " rank(s): train.batch_size (the global batch) " + std::to_string(c.train.batch_size) + " -> " +
                           std::to_string(global);
  c.train.batch_size = global;
  return note;
}

int64_t local_batch(const Config& c, int world, int rank) {
  const int64_t B = c.train.batch_size;
  return B / world + (rank < B % world ? 1 : 0);
}

std::string describe_local_batch(const Config& c, int world) {
  const int64_t least = local_batch(c, world, world - 1), most = local_batch(c, world, 0);
  return least == most ? std::to_string(most) : std::to_string(least) + "-" + std::to_string(most);
}

namespace {
// Iterations per epoch: whole batches while the data hold at least one
// (the remainder of an epoch is dropped), else the fraction of the data a
// batch sees, so that T counts images seen.
double iterations_per_epoch(const Config& c, int64_t n_train) {
  if (n_train >= c.train.batch_size) return static_cast<double>(n_train / c.train.batch_size);
  return static_cast<double>(n_train) / static_cast<double>(c.train.batch_size);
}
}  // namespace

int64_t total_iterations(const Config& c, int64_t n_train) {
  const int64_t T = c.train.iterations > 0
                        ? c.train.iterations
                        : std::max<int64_t>(1, static_cast<int64_t>(std::llround(c.train.epochs * iterations_per_epoch(c, n_train))));
  return std::max(T, c.train.min_iterations);
}

int64_t stage_length(const Config& c, int64_t n_train) {
  const int64_t T = total_iterations(c, n_train);
  return c.train.stages <= 1 ? T : T / c.train.stages;
}

std::vector<std::string> describe_schedule(const Config& c, int64_t n_train, int world) {
  std::vector<std::string> lines;
  const int64_t B = c.train.batch_size, T = total_iterations(c, n_train), S = stage_length(c, n_train);
  const std::string per_rank = describe_local_batch(c, world);
  std::string why = c.train.iterations > 0 ? "train.iterations"
                                           : fmt::format("{:g} epochs of {} examples", c.train.epochs, n_train);
  if (c.train.min_iterations > 0 && T == c.train.min_iterations) why += ", raised to train.min_iterations";
  lines.push_back(fmt::format("schedule: global batch {} ({} per rank x {} rank(s)) | T = {} iterations ({}; {:.1f} epochs "
                              "seen) | {} stage(s) of {}",
                              B, per_rank, world, T, why, static_cast<double>(T) * static_cast<double>(B) / static_cast<double>(n_train),
                              std::max<int64_t>(1, c.train.stages), S));
  if (c.train.lr_scaling != LrScaling::kNone) {
    const double ratio = static_cast<double>(B) / static_cast<double>(c.train.lr_reference_batch);
    const double scale = c.train.lr_scaling == LrScaling::kSqrt ? std::sqrt(ratio) : ratio;
    lines.push_back(fmt::format("learning rates: {} scaling, global batch {} / reference {} -> x{:.4g} (g_lr {:g}, e_lr {:g}), "
                                "reached over {} warm-up iterations",
                                enum_name(c.train.lr_scaling), B, c.train.lr_reference_batch, scale, c.train.g_lr * scale,
                                c.train.e_lr * scale, c.train.lr_warmup_iterations));
  }
  if (c.log.checkpoint_every > S)
    lines.push_back(fmt::format("warning: log.checkpoint_every = {} is longer than a stage ({} iterations): a failure can "
                                "lose a whole stage; set log.checkpoint_every to {} or less",
                                c.log.checkpoint_every, S, std::max<int64_t>(1, S / 2)));
  return lines;
}

void validate_against(const Config& c, int world, int64_t n_train, int64_t channels, int64_t height, int64_t width) {
  std::vector<std::string> errs;
  // Any rank count splits the global batch (the first B mod W ranks take one
  // more), and a shard smaller than its batch wraps around its examples; but
  // every rank needs at least one example per batch.
  if (c.train.batch_size < world)
    errs.push_back("train.batch_size = " + std::to_string(c.train.batch_size) + " is smaller than the " + std::to_string(world) +
                   " ranks: every rank needs at least one example per step; set train.batch_per_rank (e.g. train.batch_per_rank=" +
                   std::to_string(std::max<int64_t>(1, c.train.batch_size)) + ") or use fewer ranks");
  const int64_t T = total_iterations(c, n_train);
  if (c.train.stages > T)
    errs.push_back("train.stages = " + std::to_string(c.train.stages) + " needs at least that many iterations, but the schedule has " +
                   std::to_string(T));
  const int64_t side = generator_spec(c.model.generator).image_size;
  if (height != side || width != side)
    errs.push_back("model.generator = " + std::string(enum_name(c.model.generator)) + " makes " + std::to_string(side) + "x" +
                   std::to_string(side) + " images but the dataset holds " + std::to_string(height) + "x" +
                   std::to_string(width) + "; choose the generator that matches the data");
  if (channels != 1 && channels != 3)
    errs.push_back("the dataset has " + std::to_string(channels) + " channels; latentebm supports 1 or 3");
  if (!errs.empty()) {
    std::string msg = "invalid config for this dataset and rank count:";
    for (const auto& e : errs) msg += "\n  - " + e;
    throw std::runtime_error(msg);
  }
}

}  // namespace latentebm
