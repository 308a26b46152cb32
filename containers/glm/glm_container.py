"""The example GLM container of cdk-sagemaker-ml.

Entry points (one module so the image stays small and the tests run the real code):

  preprocess  processing job: raw CSV -> train/ and validation/ splits
  train       training job: fits a GLM from the config and hyperparameters
  evaluate    processing job: scores the model on the validation split, writes the report
  serve       hosting: GET /ping and POST /invocations on port 8080

The SageMaker directory tree is rooted at $SM_ROOT (default /opt/ml), so tests can lay it
out in a temporary folder and run these entry points unchanged.
"""
import csv
import glob
import io
import json
import math
import os
import sys
import tarfile
import traceback

import numpy as np
import pandas as pd

FAMILIES = {
    # family -> links it supports (statsmodels names), default first
    "gaussian": ["identity", "log", "inverse_power"],
    "poisson": ["log", "identity", "sqrt"],
    "gamma": ["inverse_power", "log", "identity"],
    "binomial": ["logit", "probit", "cloglog", "log"],
    "inverse_gaussian": ["inverse_squared", "inverse_power", "identity", "log"],
    "tweedie": ["log", "identity", "inverse_power"],
}


class ConfigError(Exception):
    """A problem with the job's configuration that the user must fix."""


def sm_root():
    return os.environ.get("SM_ROOT", "/opt/ml")


def sm_path(*parts):
    return os.path.join(sm_root(), *parts)


# ---------------------------------------------------------------- configuration


def find_one(directory, patterns):
    files = sorted(f for p in patterns for f in glob.glob(os.path.join(directory, p)))
    if not files:
        raise ConfigError(f"no {' or '.join(patterns)} file in {directory}")
    return files[0]


def load_config(directory):
    path = find_one(directory, ["*.json", "*.yaml", "*.yml"])
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if path.endswith(".json"):
        try:
            config = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"config {os.path.basename(path)} is not valid JSON: {error}")
    else:
        try:
            import yaml  # only needed for YAML configs
        except ImportError:
            raise ConfigError("a YAML config needs PyYAML in the image; use JSON")
        config = yaml.safe_load(text)
    return validate_config(config)


def validate_config(config):
    if not isinstance(config, dict):
        raise ConfigError("config must be a JSON object")
    for key in ("target", "predictors"):
        if key not in config:
            raise ConfigError(f"config is missing '{key}'")
    if not isinstance(config["predictors"], list) or not config["predictors"]:
        raise ConfigError("config 'predictors' must be a non-empty list of column names")
    family = config.get("family", "gaussian")
    if family not in FAMILIES:
        raise ConfigError(f"config 'family' must be one of {', '.join(FAMILIES)}, got '{family}'")
    link = config.get("link", FAMILIES[family][0])
    if link not in FAMILIES[family]:
        raise ConfigError(
            f"config 'link' '{link}' is not supported with family '{family}'; use one of {', '.join(FAMILIES[family])}")
    categorical = config.get("categorical", [])
    unknown = [c for c in categorical if c not in config["predictors"]]
    if unknown:
        raise ConfigError(f"config 'categorical' names columns that are not predictors: {', '.join(unknown)}")
    fraction = config.get("validation_fraction", 0.2)
    if not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise ConfigError(f"config 'validation_fraction' must be between 0 and 1, got {fraction}")
    constraints = config.get("constraints", [])
    if not isinstance(constraints, list) or not all(isinstance(c, str) for c in constraints):
        raise ConfigError("config 'constraints' must be a list of linear constraints such as \"age = 0.02\"")
    return {
        "target": config["target"],
        "predictors": list(config["predictors"]),
        "categorical": list(categorical),
        "weights": config.get("weights"),
        "family": family,
        "link": link,
        "constraints": constraints,
        "validation_fraction": float(fraction),
        "seed": int(config.get("seed", 42)),
    }


def read_csvs(directory):
    files = sorted(glob.glob(os.path.join(directory, "**", "*.csv"), recursive=True))
    if not files:
        raise ConfigError(f"no CSV files in {directory}")
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def check_columns(frame, config, need_target=True):
    needed = list(config["predictors"])
    if need_target:
        needed.append(config["target"])
    if config.get("weights") and need_target:
        needed.append(config["weights"])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"unknown column(s) {', '.join(missing)}; the data has {', '.join(map(str, frame.columns))}")


# ---------------------------------------------------------------- the model


def sanitize(name):
    return "".join(ch if ch.isalnum() else "_" for ch in str(name))


def design(frame, predictors, categorical, levels):
    """The design matrix: intercept, numeric predictors, one-hot categoricals (first level dropped)."""
    columns = {"const": np.ones(len(frame))}
    for name in predictors:
        if name in categorical:
            values = frame[name].astype(str)
            for level in levels[name][1:]:
                columns[f"{sanitize(name)}_{sanitize(level)}"] = (values == level).astype(float).to_numpy()
        else:
            try:
                columns[sanitize(name)] = pd.to_numeric(frame[name]).astype(float).to_numpy()
            except (ValueError, TypeError):
                raise ConfigError(f"column '{name}' is not numeric; list it under 'categorical'")
    return pd.DataFrame(columns)


def statsmodels_family(name, link):
    import statsmodels.api as sm
    links = sm.families.links
    # statsmodels 0.14 names link classes in CamelCase; 0.13 (Debian's) in lowercase.
    link_classes = {
        "identity": "Identity", "log": "Log", "logit": "Logit", "probit": "Probit", "cloglog": "CLogLog",
        "sqrt": "Sqrt", "inverse_power": "InversePower", "inverse_squared": "InverseSquared",
    }
    link_class = getattr(links, link_classes[link], None) or getattr(links, link)
    families = {
        "gaussian": sm.families.Gaussian, "poisson": sm.families.Poisson, "gamma": sm.families.Gamma,
        "binomial": sm.families.Binomial, "inverse_gaussian": sm.families.InverseGaussian,
        "tweedie": sm.families.Tweedie,
    }
    return families[name](link=link_class())


def inverse_link(link, eta):
    if link == "identity":
        return eta
    if link == "log":
        return np.exp(eta)
    if link == "logit":
        return 1.0 / (1.0 + np.exp(-eta))
    if link == "probit":
        from scipy.stats import norm
        return norm.cdf(eta)
    if link == "cloglog":
        return 1.0 - np.exp(-np.exp(eta))
    if link == "sqrt":
        return eta ** 2
    if link == "inverse_power":
        return 1.0 / eta
    if link == "inverse_squared":
        return 1.0 / np.sqrt(eta)
    raise ValueError(link)


def predict(model, frame):
    check_columns(frame, model["config"], need_target=False)
    for name in model["config"]["categorical"]:
        unseen = set(frame[name].astype(str)) - set(model["levels"][name])
        if unseen:
            raise ConfigError(f"column '{name}' has levels not seen in training: {', '.join(sorted(unseen))}")
    x = design(frame, model["config"]["predictors"], model["config"]["categorical"], model["levels"])
    beta = np.array([model["coefficients"][c] for c in x.columns])
    return inverse_link(model["config"]["link"], x.to_numpy() @ beta)


# ---------------------------------------------------------------- entry points


def preprocess():
    base = sm_path("processing")
    config = load_config(os.path.join(base, "input", "config"))
    frame = read_csvs(os.path.join(base, "input", "raw"))
    check_columns(frame, config)
    columns = config["predictors"] + [config["target"]] + ([config["weights"]] if config["weights"] else [])
    before = len(frame)
    frame = frame[columns].dropna()
    rng = np.random.default_rng(config["seed"])
    is_validation = rng.random(len(frame)) < config["validation_fraction"]
    out = os.path.join(base, "output", "processed")
    for name, part in (("train", frame[~is_validation]), ("validation", frame[is_validation])):
        os.makedirs(os.path.join(out, name), exist_ok=True)
        part.to_csv(os.path.join(out, name, "data.csv"), index=False)
    print(f"preprocess rows_in={before} rows_kept={len(frame)} train={int((~is_validation).sum())} "
          f"validation={int(is_validation.sum())}")


def read_hyperparameters():
    path = sm_path("input", "config", "hyperparameters.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def train():
    config = load_config(sm_path("input", "data", "config"))
    hp = read_hyperparameters()
    try:
        max_iter = int(hp.get("max_iter", 100))
        tol = float(hp.get("tol", 1e-8))
    except ValueError as error:
        raise ConfigError(f"hyperparameters max_iter and tol must be numbers: {error}")
    frame = read_csvs(sm_path("input", "data", "train"))
    check_columns(frame, config)
    levels = {name: sorted(frame[name].astype(str).unique().tolist()) for name in config["categorical"]}
    x = design(frame, config["predictors"], config["categorical"], levels)
    y = pd.to_numeric(frame[config["target"]]).astype(float).to_numpy()

    import statsmodels.api as sm
    weights = frame[config["weights"]].astype(float).to_numpy() if config["weights"] else None
    glm = sm.GLM(y, x, family=statsmodels_family(config["family"], config["link"]), var_weights=weights)
    if config["constraints"]:
        try:
            result = glm.fit_constrained(config["constraints"], start_params=None, fit_kwds={"maxiter": max_iter})
        except Exception as error:  # patsy raises several kinds for a bad constraint
            raise ConfigError(f"config 'constraints' could not be applied ({error}); "
                              f"coefficients are named {', '.join(x.columns)}")
    else:
        result = glm.fit(maxiter=max_iter, tol=tol)

    model = {
        "config": config,
        "levels": levels,
        "coefficients": {name: float(value) for name, value in zip(x.columns, result.params)},
        "metrics": {"train_deviance": float(result.deviance), "train_aic": float(result.aic),
                    "train_rows": int(len(frame))},
    }
    os.makedirs(sm_path("model"), exist_ok=True)
    with open(sm_path("model", "model.json"), "w", encoding="utf-8") as handle:
        json.dump(model, handle, indent=2)
    # The training step's metric definitions match these lines.
    print(f"train_deviance={result.deviance:.6g}")
    print(f"train_aic={result.aic:.6g}")
    log_to_mlflow(model)


def log_to_mlflow(model):
    """Logs parameters, metrics and the model when MLFLOW_TRACKING_URI is set; never fails the job."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        return
    try:
        import mlflow
        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME", "glm"))
        with mlflow.start_run(run_name=os.environ.get("TRAINING_JOB_NAME")):
            config = model["config"]
            mlflow.log_params({"family": config["family"], "link": config["link"], "target": config["target"],
                               "predictors": ",".join(config["predictors"])})
            mlflow.log_metrics(model["metrics"])
            mlflow.log_artifact(sm_path("model", "model.json"))
    except Exception as error:  # tracking is best effort
        print(f"warning: MLflow logging failed: {error}", file=sys.stderr)


def load_model(directory):
    path = os.path.join(directory, "model.json")
    if not os.path.exists(path):
        archive = os.path.join(directory, "model.tar.gz")
        if not os.path.exists(archive):
            raise ConfigError(f"no model.json or model.tar.gz in {directory}")
        with tarfile.open(archive) as tar:
            member = tar.getmember("model.json")
            handle = tar.extractfile(member)
            return json.load(handle)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def deviance(family, link, y, mu, weights=None):
    return float(statsmodels_family(family, link).deviance(y, mu, var_weights=weights))


def evaluate():
    base = sm_path("processing")
    model = load_model(os.path.join(base, "model"))
    config = model["config"]
    frame = read_csvs(os.path.join(base, "validation"))
    check_columns(frame, config)
    y = pd.to_numeric(frame[config["target"]]).astype(float).to_numpy()
    mu = predict(model, frame)
    weights = frame[config["weights"]].astype(float).to_numpy() if config["weights"] else None
    model_deviance = deviance(config["family"], config["link"], y, mu, weights)
    null_mu = np.full_like(y, np.average(y, weights=weights))
    null_deviance = deviance(config["family"], config["link"], y, null_mu, weights)
    report = {
        "metrics": {
            "deviance": model_deviance,
            "null_deviance": null_deviance,
            "deviance_explained": 1.0 - model_deviance / null_deviance if null_deviance > 0 else 0.0,
            "rmse": float(math.sqrt(np.mean((y - mu) ** 2))),
            "rows": int(len(frame)),
        },
    }
    out = os.path.join(base, "output", "evaluation")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "evaluation.json"), "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
    print(json.dumps(report))


# ---------------------------------------------------------------- serving


def parse_payload(body, content_type, predictors):
    content_type = (content_type or "text/csv").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ConfigError(f"body is not valid JSON: {error}")
        rows = data.get("instances") if isinstance(data, dict) else data
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list) or not rows:
            raise ConfigError("JSON body must be an object, a list of objects, or {\"instances\": [...]}")
        if all(isinstance(r, list) for r in rows):
            return pd.DataFrame(rows, columns=predictors) if all(len(r) == len(predictors) for r in rows) else _bad_width(predictors)
        if not all(isinstance(r, dict) for r in rows):
            raise ConfigError("JSON rows must all be objects (column -> value) or all be lists")
        return pd.DataFrame(rows)
    if content_type == "text/csv":
        text = body.decode("utf-8").strip()
        if not text:
            raise ConfigError("CSV body is empty")
        rows = list(csv.reader(io.StringIO(text)))
        if rows and [c.strip() for c in rows[0]] == [str(p) for p in predictors]:
            rows = rows[1:]  # a header row is allowed
        if not rows or any(len(r) != len(predictors) for r in rows):
            _bad_width(predictors)
        return pd.DataFrame(rows, columns=predictors)
    raise UnsupportedMedia(f"content type '{content_type}' is not supported; use text/csv or application/json")


def _bad_width(predictors):
    raise ConfigError(f"each row needs {len(predictors)} values, in this order: {', '.join(predictors)}")


class UnsupportedMedia(Exception):
    pass


def make_app(model_dir=None):
    model = load_model(model_dir or sm_path("model"))
    predictors = model["config"]["predictors"]

    def app(environ, start_response):
        def reply(status, payload, content_type="application/json"):
            data = payload.encode("utf-8")
            start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
            return [data]

        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/ping" and method == "GET":
            return reply("200 OK", "{}")
        if path != "/invocations":
            return reply("404 Not Found", json.dumps({"error": f"no route {path}"}))
        if method != "POST":
            return reply("405 Method Not Allowed", json.dumps({"error": "use POST"}))
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            if size:
                body = environ["wsgi.input"].read(size)
            elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
                body = environ["wsgi.input"].read()  # the server de-chunks to the end of the body
            else:
                body = b""
            frame = parse_payload(body, environ.get("CONTENT_TYPE"), predictors)
            predictions = [float(v) for v in predict(model, frame)]
        except UnsupportedMedia as error:
            return reply("415 Unsupported Media Type", json.dumps({"error": str(error)}))
        except ConfigError as error:
            return reply("400 Bad Request", json.dumps({"error": str(error)}))
        accept = (environ.get("HTTP_ACCEPT") or "application/json").split(",")[0].strip()
        if accept == "text/csv":
            return reply("200 OK", "\n".join(repr(p) for p in predictions) + "\n", "text/csv")
        return reply("200 OK", json.dumps({"predictions": predictions}))

    return app


def serve(port=None):
    port = int(port or os.environ.get("SAGEMAKER_BIND_TO_PORT", 8080))
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        from wsgiref.simple_server import make_server
        print(f"serving on port {port} (wsgiref)")
        make_server("0.0.0.0", port, make_app()).serve_forever()
        return

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"0.0.0.0:{port}")
            self.cfg.set("workers", int(os.environ.get("MODEL_SERVER_WORKERS", 2)))
            self.cfg.set("timeout", int(os.environ.get("MODEL_SERVER_TIMEOUT", 60)))

        def load(self):
            return make_app()

    Server().run()


def main(argv):
    command = argv[0] if argv else ""
    commands = {"preprocess": preprocess, "train": train, "evaluate": evaluate, "serve": serve}
    if command not in commands:
        print(f"usage: one of {', '.join(commands)}", file=sys.stderr)
        return 2
    try:
        commands[command]()
        return 0
    except ConfigError as error:
        message = f"{command} failed: {error}"
    except Exception:  # anything else is a bug: keep the trace for the failure reason
        message = f"{command} failed unexpectedly:\n{traceback.format_exc()}"
    print(message, file=sys.stderr)
    if command == "train":
        # SageMaker shows this file's content as the job's FailureReason.
        os.makedirs(sm_path("output"), exist_ok=True)
        with open(sm_path("output", "failure"), "w", encoding="utf-8") as handle:
            handle.write(message[:1000])
    return 1
