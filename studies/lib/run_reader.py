"""One run directory as one summary row (studies/README.md names the columns).

A study's summarize.py calls row(run_dir, study) for each run that its
run.sh wrote; the row's key columns come from the run's resolved
config.yaml and its directory name (<run>-s<seed>), its metric columns from
every file latentebm and the study scripts leave there:

  eval*.json       every evaluation, its columns named by what the JSON
                   itself records, never by its file name: the FD column by
                   its sampler (summary.fd_column), the suffix by its
                   checkpoint and stages: _at80 for the checkpoint at 80 % of
                   training, _k2 for the final checkpoint with 2 of its
                   stages (eval --stages 2), none for the final checkpoint
                   with all of them; _at80_k4 for the checkpoint at 80 %
                   with more stages than it had finished (the one still in
                   training included). Two files that give one column must
                   agree (to 1e-6, relative or absolute), else the row is
                   refused. Test
                   MSE and the FDs of test images come only from the
                   evaluations over the run's largest test selection (an
                   FD-only evaluation on 100 test images gives its FD alone).
  metrics.jsonl    each stage's NCE loss at its end (nce_end_stageK, the
                   mean of its last 5 logged values; lebm_loss_end for
                   LEBM's maximum-likelihood loss), the last diagnostics row
                   of each stage (nce_last_stageK, noise_mmd2_end_stageK,
                   noise_logp_end_stageK, reference_logp_end_stageK,
                   importance_ess_end_stageK) and the adaptive schedule's
                   stage starts (stage_startK)
  anomaly.json     auprc, auroc (mean over the run's last evaluations)
  score-*.log      `latentebm score --anomaly-label` of the final checkpoint:
                   score-prior-all.log -> auprc_score, score-prior-K.log ->
                   auprc_priorK (the prior cut to K stages; 0: N(0, I)),
                   score-terms.log -> auprc_recon_term, auprc_prior_term
                   (each term ranked alone; its first line is the joint
                   score's, auprc_score again); each with its auroc_* twin; and
                   anomaly_rate, the share of anomalies among the scored
                   images (the AUPRC of a random score)
  steering.json    bench_posterior_steering: steer_drift_likelihood,
                   steer_drift_ratios, steer_drift_base, steer_shift_ratios,
                   steer_shift_noise, steer_mse_prior, steer_mse_base,
                   steer_mse_other_noise

Standard library only."""
import glob
import json
import math
import os
import re

import summary

# methods whose stages train against a noise source on a stage schedule
STAGED_METHODS = ("adaptive-ce", "non-adaptive")
# methods whose prior loss is an NCE loss (its chance level: log 4 per stage of the multi-stage
# methods, log 2 for single-stage's one logistic regression)
NCE_METHODS = ("adaptive-ce", "non-adaptive", "single-stage")
# keys a study may vary that no key column names: written as `key=value` in the variant column where they
# differ from the presets' value
VARIANT_DEFAULTS = (("data.train_limit", 0), ("model.sigma", 0.3), ("train.max_stage_iterations", 0))
DIAGNOSTICS = (("nce_loss", "nce_last"), ("noise_mmd2", "noise_mmd2_end"), ("noise_logp", "noise_logp_end"),
               ("reference_logp", "reference_logp_end"), ("importance_ess", "importance_ess_end"))
STEERING = (("drift_likelihood", "steer_drift_likelihood"), ("drift_ratios", "steer_drift_ratios"),
            ("drift_base", "steer_drift_base"), ("shift_base", "steer_shift_ratios"),
            ("shift_noise", "steer_shift_noise"), ("mse_prior", "steer_mse_prior"), ("mse_base", "steer_mse_base"),
            ("mse_prior_other_noise", "steer_mse_other_noise"))
# Two evaluations of one checkpoint agree to this (an FD near 0, of the test images against the training
# split, moves by 1e-8 between a classifier trained in memory and the same one reloaded from its float32 cache)
_RTOL, _ATOL = 1e-6, 1e-6


# ---------------------------------------------------------------------------
# key columns

def read_config(path):
    """The resolved config.yaml latentebm writes (two levels, `section:` then
    `  key: value`) as {"section.key": value}: numbers as int or float,
    quoted strings unquoted; None when the file is missing."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    out, section = {}, None
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.fullmatch(r"(\w+):\s*", line)
        if m:
            section = m.group(1)
            continue
        m = re.fullmatch(r"\s+(\w+):\s*(.*?)\s*", line)
        if not m or section is None:
            raise ValueError(f"{path}: cannot read the line {line!r} (expected `section:` or `  key: value`)")
        out[f"{section}.{m.group(1)}"] = _scalar(m.group(2))
    return out


def _scalar(text):
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def dataset_of(path):
    """The dataset's name from data.path: ".../fashion-mnist.h5" -> "fashion-mnist"."""
    name = os.path.basename(str(path))
    return name[:-3] if name.endswith(".h5") else name


def name_and_seed(run_dir):
    """(run, seed) of a run directory named <run>-s<seed>."""
    m = re.fullmatch(r"(.+)-s(\d+)", os.path.basename(os.path.normpath(run_dir)))
    if not m:
        raise ValueError(f"{run_dir}: a run directory is named <run>-s<seed> (bench/reproduce.sh's layout)")
    return m.group(1), int(m.group(2))


def keys_from_config(cfg, run, seed, study):
    """The key columns of a run with resolved config cfg (read_config)."""
    method = cfg["train.method"]
    if cfg.get("train.seed", seed) != seed:
        raise ValueError(f"run {run}-s{seed}: its config.yaml trains seed {cfg['train.seed']}, not {seed}")
    variant = [f"{k}={cfg[k]:g}" for k, default in VARIANT_DEFAULTS
               if k in cfg and not math.isclose(float(cfg[k]), default, rel_tol=1e-9, abs_tol=1e-12)]
    staged = method in STAGED_METHODS
    return {"study": study, "dataset": dataset_of(cfg["data.path"]), "iterations": int(cfg["train.iterations"]),
            "method": method, "noise": cfg["train.prior_samples"] if staged else "",
            "schedule": cfg["train.stage_schedule"] if staged else "",
            "g_lr_schedule": cfg.get("train.g_lr_schedule", "constant"), "g_lr": float(cfg["train.g_lr"]),
            "e_lr": float(cfg["train.e_lr"]), "variant": ";".join(variant), "run": run, "seed": seed,
            "device": cfg.get("runtime.device", "cpu")}


# ---------------------------------------------------------------------------
# metric columns

def _merge(out, new, source, sources):
    for k, v in new.items():
        if v is None:
            continue
        if k in out and not math.isclose(out[k], v, rel_tol=_RTOL, abs_tol=_ATOL):
            raise ValueError(f"{source} gives {k} = {v!r}, but {sources[k]} gave {out[k]!r}: two evaluations "
                             "claim one column (a mislabelled file?)")
        out.setdefault(k, v)
        sources.setdefault(k, source)


def eval_columns(evals, iterations):
    """{column: value} of a run's eval JSONs [(path, dict)], suffixed by what
    each records (the module's docstring gives the rule)."""
    # per checkpoint, the stages an evaluation uses unless told (--stages): all of them at the end, the
    # stages finished by then at a checkpoint before the end (the fewest any evaluation there used)
    default = {}
    for _, e in evals:
        it, k = e.get("iteration"), e.get("prior_stages", 0)
        default[it] = max(default.get(it, k), k) if it == iterations else min(default.get(it, k), k)
    images = max((e.get("reconstruction_mse", {}).get("images", 0) for _, e in evals
                  if isinstance(e.get("reconstruction_mse"), dict)), default=0)
    out, sources = {}, {}
    for path, e in evals:
        it = e.get("iteration")
        if it is None:
            raise ValueError(f"{path} records no iteration: evaluate with a latentebm of 2026-12 or later")
        suffix = f"_at{round(100 * it / iterations)}" if it < iterations else ""
        if e.get("prior_stages", default[it]) != default[it]:
            suffix += f"_k{e['prior_stages']}"
        got = summary.eval_metrics(e, suffix)
        if isinstance(e.get("reconstruction_mse"), dict) and e["reconstruction_mse"].get("images", 0) < images:
            got = {k: v for k, v in got.items() if not k.startswith(("mse", "fd_recon"))}
        elif summary.value(e, "fd_classifier_test_images") is not None:
            got["fd_test" + suffix] = summary.value(e, "fd_classifier_test_images")
        if summary.fd_column(e):
            acc = e["fd_classifier"].get("classifier_test_accuracy")
            if acc is not None:
                got["fd_classifier_accuracy"] = float(acc)
        _merge(out, got, path, sources)
    return out


def metrics_columns(run_dir, method):
    """Per-stage columns from RUN/metrics.jsonl (empty when it is missing)."""
    path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.exists(path):
        return {}
    out = {}
    ends = summary.stage_end_losses(run_dir) or {}
    if method == "lebm":
        if ends:
            out["lebm_loss_end"] = ends[max(ends)]
    elif method in NCE_METHODS:
        out.update({f"nce_end_stage{k}": v for k, v in ends.items()})
    last, starts = {}, None
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if "nce_loss" in r and "noise_mmd2" in r and "stage" in r:
                last[int(r["stage"])] = r
            if "stage_starts" in r:
                starts = r["stage_starts"]
    if method in NCE_METHODS:
        for k, r in sorted(last.items()):
            out.update({f"{col}_stage{k}": float(r[key]) for key, col in DIAGNOSTICS if r.get(key) is not None})
    if starts:
        out.update({f"stage_start{k}": float(s) for k, s in enumerate(starts) if k > 0})
    return out


def score_log(path):
    """(auprc, auroc) of `latentebm score --anomaly-label`'s log (its line
    "auprc A auroc B images N anomalies M"), and of each term ranked alone
    where it prints them: {"": (a, b), "recon_term": ..., "prior_term": ...,
    "rate": M / N}; {} when missing."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r"(?:(reconstruction|prior) term alone: )?auprc (\S+) auroc (\S+)", line)
                if m:
                    term = {"reconstruction": "recon_term", "prior": "prior_term", None: ""}[m.group(1)]
                    out[term] = (float(m.group(2)), float(m.group(3)))
                m = re.search(r"images (\d+) anomalies (\d+)", line)
                if m and int(m.group(1)) > 0:
                    out["rate"] = int(m.group(2)) / int(m.group(1))
    except OSError:
        pass
    return out


def anomaly_columns(run_dir):
    """auprc / auroc of anomaly.json and of the score logs of the final checkpoint."""
    out = {}
    a = summary.load(os.path.join(run_dir, "anomaly.json"))
    if a:
        out.update({"auprc": float(a["auprc_mean"]), "auroc": float(a["auroc_mean"])})
    for path in sorted(glob.glob(os.path.join(run_dir, "score-*.log"))):
        tag = os.path.basename(path)[len("score-"):-len(".log")]
        got = score_log(path)
        if tag == "terms":  # its first line is the joint score's, as score-prior-all.log's
            named = {t: got[t] for t in ("recon_term", "prior_term") if t in got}
            if "" in got:
                named["score"] = got[""]
        elif tag == "prior-all":
            named = {"score": got[""]} if "" in got else {}
        elif re.fullmatch(r"prior-\d+", tag):
            named = {"prior" + tag[len("prior-"):]: got[""]} if "" in got else {}
        else:
            raise ValueError(f"{path}: unknown score log (score-prior-K.log, score-prior-all.log, score-terms.log)")
        for name, (auprc, auroc) in named.items():
            if f"auprc_{name}" in out and (out[f"auprc_{name}"], out[f"auroc_{name}"]) != (auprc, auroc):
                raise ValueError(f"{path}: AUPRC / AUROC {auprc} / {auroc} differ from another score log's "
                                 f"{out[f'auprc_{name}']} / {out[f'auroc_{name}']} for the same checkpoint")
            out[f"auprc_{name}"], out[f"auroc_{name}"] = auprc, auroc
        if "rate" in got:
            out["anomaly_rate"] = got["rate"]  # the share of anomalies among the scored images: a random score's AUPRC
    return out


def steering_columns(path):
    """bench_posterior_steering's JSON as steer_* columns ({} when missing)."""
    s = summary.load(path)
    return {col: float(s[key]) for key, col in STEERING if s and s.get(key) is not None}


def load_evals(run_dir):
    """[(path, eval JSON)] of RUN/eval*.json, eval.json first: where files agree
    on a column to 1e-6, the run's own evaluation gives its value."""
    paths = sorted(glob.glob(os.path.join(run_dir, "eval*.json")), key=lambda p: (os.path.basename(p) != "eval.json", p))
    evals = [(p, summary.load(p)) for p in paths]
    return [(p, e) for p, e in evals if e is not None]


def metrics(run_dir, method, iterations, extra_evals=()):
    """Every metric column of one run directory; extra_evals: paths of more
    eval JSONs of this run kept elsewhere (bench/fd_sampler.sh's)."""
    out = eval_columns(load_evals(run_dir) + [(p, summary.load(p)) for p in extra_evals], iterations)
    out.update(metrics_columns(run_dir, method))
    out.update(anomaly_columns(run_dir))
    out.update(steering_columns(os.path.join(run_dir, "steering.json")))
    return out


def row(run_dir, study, keys=None, extra_evals=()):
    """One summary row: the key columns (from config.yaml, or `keys` for a run
    that kept none) and every metric column of run_dir (and of extra_evals)."""
    if keys is None:
        run, seed = name_and_seed(run_dir)
        cfg = read_config(os.path.join(run_dir, "config.yaml"))
        if cfg is None:
            raise ValueError(f"{run_dir} has no config.yaml: pass its key columns (run_reader.row(..., keys=...))")
        keys = keys_from_config(cfg, run, seed, study)
    return {**keys, **metrics(run_dir, keys["method"], keys["iterations"], extra_evals)}


def run_dirs(root):
    """The run directories <run>-s<seed> directly under root, sorted; not the
    links bench/reproduce.sh makes where two names are the same run."""
    return sorted(p for p in glob.glob(os.path.join(root, "*-s*"))
                  if os.path.isdir(p) and not os.path.islink(p) and re.fullmatch(r".+-s\d+", os.path.basename(p)))
