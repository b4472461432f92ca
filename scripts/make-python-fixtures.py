#!/usr/bin/env python3
"""Run a small Python charms.reactive charm against fake hook tools.

The `probe` charm below is the Python build of the charm that the Rust test
`reactive-core/tests/python_upgrade.rs` defines: same config options, same
handlers, each logging `probe-ran: <name>` when it runs. This script runs it
through a few hooks with the real charms.reactive 1.5.3 and charmhelpers and
saves what a deployed unit would hold, for the Rust tests to refresh from.

How to run (needs network once, for the venv):

    python3 -m venv /tmp/pyreactive
    /tmp/pyreactive/bin/pip install charms.reactive==1.5.3
    /tmp/pyreactive/bin/python scripts/make-python-fixtures.py fixtures \
        tests/fixtures/python-upgrade

charmhelpers refuses to import on a platform it does not know (Debian, ...);
the hook runner below tells it the platform is Ubuntu, in this process only.

Commands:

* `fixtures OUT`: run install, leader-elected, config-changed,
  info-relation-joined, config-changed (port 9100 -> 9200), update-status;
  save the unit directory's `.unit-state.db` and `.juju-persistent-config`
  and the fake model (config, relation data published, hook log) into OUT,
  as `unit/...` and `model.json`. Then continue a copy with upgrade-charm,
  config-changed and update-status (the hooks a refresh runs, with the same
  charm) and save what each did as `python-continuation.json`: the
  reference the Rust charm must match.
* `continue UNIT_DIR MODEL_JSON HOOK...`: run the Python charm's HOOKs on a
  unit directory (e.g. one the Rust charm left) and print, as JSON, per
  hook: the handlers that ran, the config flags set during the hook and the
  `relation-set` calls.
"""

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile

UNIT = "probe/0"

METADATA = """\
name: probe
summary: Probe charm for refresh tests.
description: Probe charm for refresh tests.
provides:
  info:
    interface: probe-info
"""

CONFIG = """\
options:
  port:
    type: int
    default: 9100
    description: Port.
  mode:
    type: string
    default: fast
    description: Mode.
  debug:
    type: boolean
    default: false
    description: Debug.
  label:
    type: string
    default: ""
    description: Label.
"""

# The charm's handlers (charms.reactive style).
PROBE_PY = '''\
from charmhelpers.core import hookenv
from charms.reactive import (
    when, when_not, when_any, set_flag, clear_flag, only_once, data_changed,
    is_flag_set,
)


def note(name):
    hookenv.log("probe-ran: " + name)


@when_not("probe.installed")
def install():
    note("install")
    set_flag("probe.installed")


@when("probe.installed")
@when("config.changed")
def configure():
    note("configure")
    config = hookenv.config()
    for rid in hookenv.relation_ids("info"):
        hookenv.relation_set(rid, {"port": str(config["port"]),
                                   "mode": config["mode"]})
    set_flag("probe.configured")


@when("config.changed.port")
def port_changed():
    note("port_changed")


@when("config.set.debug")
def debug_on():
    note("debug_on")


@when("config.default.label")
def label_default():
    note("label_default")


@when("probe.installed")
def track_port():
    if data_changed("probe.port", hookenv.config("port")):
        note("track_port")


@only_once
def first_run():
    note("first_run")


@when("leadership.is_leader")
@when_not("leadership.set.token")
def set_token():
    note("set_token")
    hookenv.leader_set({"token": "t0k3n"})


@when("leadership.changed.token")
def token_changed():
    note("token_changed")


@when_any("info.joined")
def info_joined():
    note("info_joined")
    clear_flag("info.joined")
'''

# The hook runner: what layer-basic's and layer-leadership's hook stub and
# startup do around charms.reactive's main().
RUNNER = '''\
import os, sys
sys.path.insert(0, os.getcwd())
import charmhelpers.osplatform as _osplatform
_osplatform.get_platform = lambda: "ubuntu"
import yaml
from charmhelpers.core import hookenv, unitdata
from charms.reactive import set_flag, clear_flag, toggle_flag, main


def init_config_states():
    config = hookenv.config()
    with open(os.path.join(hookenv.charm_dir(), "config.yaml")) as f:
        options = (yaml.safe_load(f) or {}).get("options", {})
    defaults = {key: value.get("default") for key, value in options.items()}
    for opt in options:
        if config.changed(opt):
            set_flag("config.changed")
            set_flag("config.changed.{}".format(opt))
        toggle_flag("config.set.{}".format(opt), config.get(opt))
        toggle_flag("config.default.{}".format(opt),
                    config.get(opt) == defaults[opt])
    record_config_flags()


def record_config_flags():
    from charms.reactive import get_flags
    hookenv.log("config-flags: " + " ".join(
        sorted(f for f in get_flags() if f.startswith("config."))))


def clear_config_states():
    from charms.reactive import clear_flag
    config = hookenv.config()
    clear_flag("config.changed")
    for opt in config.keys():
        clear_flag("config.changed.{}".format(opt))
    unitdata.kv().flush()


def init_leadership():
    is_leader = hookenv.is_leader()
    toggle_flag("leadership.is_leader", is_leader)
    previous = unitdata.kv().getrange("leadership.settings.", strip=True)
    current = hookenv.leader_get()
    for key in set(previous) - set(current):
        current[key] = None
    changed = False
    for key, value in current.items():
        toggle_flag("leadership.changed.{}".format(key),
                    value != previous.get(key))
        changed = changed or value != previous.get(key)
        toggle_flag("leadership.set.{}".format(key), value is not None)
    toggle_flag("leadership.changed", changed)
    unitdata.kv().update(current, prefix="leadership.settings.")


def relation_flags():
    if hookenv.hook_name().endswith("-relation-joined"):
        set_flag("{}.joined".format(hookenv.relation_type()))


hookenv.atstart(init_config_states)
hookenv.atstart(init_leadership)
hookenv.atstart(relation_flags)
hookenv.atexit(clear_config_states)
main()
'''

# One fake hook tool, installed under every tool's name. The model is a JSON
# file: config, leader, leader settings, relations, published data, log.
HOOK_TOOL = '''\
#!PYTHON
import json, os, sys
path = os.environ["FAKE_MODEL"]
with open(path) as f:
    model = json.load(f)
tool = os.path.basename(sys.argv[0])
args = [a for a in sys.argv[1:] if a != "--format=json"]
out = None


def opt(name):
    if name in args:
        i = args.index(name)
        value = args[i + 1]
        del args[i:i + 2]
        return value
    return None


if tool == "config-get":
    out = model["config"]
elif tool == "juju-log":
    while args and args[0].startswith("-"):
        args = args[2:] if args[0] in ("-l", "--log-level") else args[1:]
    model["log"].append({"hook": os.environ["JUJU_HOOK_NAME"],
                         "message": " ".join(args)})
elif tool == "is-leader":
    out = model["leader"]
elif tool == "leader-get":
    out = model["leader_settings"] if args in ([], ["-"]) else \\
        model["leader_settings"].get(args[0])
elif tool == "leader-set":
    for pair in args:
        key, _, value = pair.partition("=")
        model["leader_settings"][key] = value
elif tool == "relation-ids":
    out = sorted(r for r, rel in model["relations"].items()
                 if rel["endpoint"] == args[0])
elif tool == "relation-list":
    rid = opt("-r") or os.environ["JUJU_RELATION_ID"]
    out = model["relations"][rid]["units"]
elif tool == "relation-get":
    rid = opt("-r") or os.environ["JUJU_RELATION_ID"]
    out = model["relations"][rid]["data"].get(args[-1], {})
elif tool == "relation-set":
    if "--help" in args:
        pass
    else:
        rid = opt("-r") or os.environ["JUJU_RELATION_ID"]
        bag = model["relations"][rid]["published"]
        changes = {}
        for pair in args:
            key, _, value = pair.partition("=")
            changes[key] = value
        model["relation_sets"].append({"hook": os.environ["JUJU_HOOK_NAME"],
                                       "relation": rid, "settings": changes})
        for key, value in changes.items():
            if value == "":
                bag.pop(key, None)
            else:
                bag[key] = value
elif tool in ("status-set", "application-version-set", "open-port"):
    pass
elif tool == "unit-get":
    out = "10.0.0.1"
else:
    sys.stderr.write("fake hook tool: unknown tool " + tool + "\\n")
    sys.exit(1)
with open(path, "w") as f:
    json.dump(model, f, indent=1, sort_keys=True)
if out is not None:
    print(json.dumps(out))
'''

TOOLS = ["config-get", "juju-log", "is-leader", "leader-get", "leader-set",
         "relation-ids", "relation-list", "relation-get", "relation-set",
         "status-set", "application-version-set", "open-port", "unit-get"]


def new_model():
    return {
        "config": {"port": 9100, "mode": "fast", "debug": False, "label": ""},
        "leader": True,
        "leader_settings": {},
        "relations": {},
        "log": [],
        "relation_sets": [],
    }


def make_charm(unit_dir):
    os.makedirs(os.path.join(unit_dir, "reactive"), exist_ok=True)
    for name, text in (("metadata.yaml", METADATA), ("config.yaml", CONFIG),
                       ("reactive/probe.py", PROBE_PY),
                       ("hook_runner.py", RUNNER)):
        with open(os.path.join(unit_dir, name), "w") as f:
            f.write(text)


def make_tools(bin_dir):
    os.makedirs(bin_dir, exist_ok=True)
    tool = os.path.join(bin_dir, "fake-hook-tool")
    with open(tool, "w") as f:
        f.write(HOOK_TOOL.replace("PYTHON", sys.executable, 1))
    os.chmod(tool, 0o755)
    for name in TOOLS:
        link = os.path.join(bin_dir, name)
        if not os.path.exists(link):
            os.symlink(tool, link)


def run_hook(unit_dir, model_path, bin_dir, hook, relation_id=None):
    env = {
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "FAKE_MODEL": model_path,
        "JUJU_UNIT_NAME": UNIT,
        "JUJU_HOOK_NAME": hook,
        "JUJU_CHARM_DIR": unit_dir,
        "CHARM_DIR": unit_dir,
        "JUJU_MODEL_NAME": "test",
    }
    if relation_id:
        env["JUJU_RELATION_ID"] = relation_id
        env["JUJU_RELATION"] = relation_id.split(":")[0]
        env["JUJU_REMOTE_UNIT"] = "consumer/0"
    subprocess.run([sys.executable, "hook_runner.py"], cwd=unit_dir, env=env,
                   check=True)


def load(path):
    with open(path) as f:
        return json.load(f)


def save(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=1, sort_keys=True)
        f.write("\n")


def summary(model_path, hook, log_start, sets_start):
    model = load(model_path)
    ran, flags = [], []
    for entry in model["log"][log_start:]:
        message = entry["message"]
        if message.startswith("probe-ran: "):
            ran.append(message[len("probe-ran: "):])
        elif message.startswith("config-flags: "):
            flags = message[len("config-flags: "):].split()
    return {"hook": hook, "ran": ran, "config_flags": flags,
            "relation_sets": model["relation_sets"][sets_start:]}


def run_hooks(unit_dir, model_path, bin_dir, hooks):
    results = []
    for hook in hooks:
        model = load(model_path)
        log_start, sets_start = len(model["log"]), len(model["relation_sets"])
        rid = None
        if "-relation-" in hook:
            rid = sorted(model["relations"])[0]
        run_hook(unit_dir, model_path, bin_dir, hook, rid)
        results.append(summary(model_path, hook, log_start, sets_start))
    return results


def kv_rows(db):
    with sqlite3.connect(db) as conn:
        return {k: json.loads(v) for k, v in conn.execute(
            "select key, data from kv order by key")}


# A fixed directory, so that the only_once mark (named by the handler's
# file path) is the same in every run.
FIXTURE_WORK = "/tmp/reactive-rs-python-fixture"


def fixtures(out):
    work = FIXTURE_WORK
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    unit_dir = os.path.join(work, "unit")
    bin_dir = os.path.join(work, "bin")
    model_path = os.path.join(work, "model.json")
    make_charm(unit_dir)
    make_tools(bin_dir)
    save(model_path, new_model())
    history = run_hooks(unit_dir, model_path, bin_dir,
                        ["install", "leader-elected", "config-changed"])
    model = load(model_path)
    model["relations"]["info:1"] = {
        "endpoint": "info", "units": ["consumer/0"],
        "data": {"consumer/0": {"ingress-address": "10.0.0.2"}},
        "published": {},
    }
    save(model_path, model)
    history += run_hooks(unit_dir, model_path, bin_dir,
                         ["info-relation-joined"])
    model = load(model_path)
    model["config"]["port"] = 9200
    save(model_path, model)
    history += run_hooks(unit_dir, model_path, bin_dir,
                         ["config-changed", "update-status"])

    os.makedirs(os.path.join(out, "unit"), exist_ok=True)
    for name in (".unit-state.db", ".juju-persistent-config"):
        shutil.copy2(os.path.join(unit_dir, name),
                     os.path.join(out, "unit", name))
    model = load(model_path)
    model["history"] = history
    model["log"] = []
    model["relation_sets"] = []
    save(os.path.join(out, "model.json"), model)
    save(os.path.join(out, "unit-state.json"),
         kv_rows(os.path.join(unit_dir, ".unit-state.db")))

    continuation = run_hooks(unit_dir, model_path, bin_dir,
                             ["upgrade-charm", "config-changed",
                              "update-status"])
    save(os.path.join(out, "python-continuation.json"), continuation)
    mode = stat.S_IMODE(os.stat(
        os.path.join(unit_dir, ".juju-persistent-config")).st_mode)
    print("persistent config mode: %o" % mode)
    shutil.rmtree(work)


def continue_(unit_dir, model_json, hooks):
    work = tempfile.mkdtemp(prefix="probe-py-")
    bin_dir = os.path.join(work, "bin")
    model_path = os.path.join(work, "model.json")
    make_charm(unit_dir)
    make_tools(bin_dir)
    model = load(model_json)
    model.setdefault("log", [])
    model.setdefault("relation_sets", [])
    save(model_path, model)
    results = run_hooks(unit_dir, model_path, bin_dir, hooks)
    print(json.dumps(results, sort_keys=True))
    shutil.rmtree(work)


def main(argv):
    if len(argv) == 2 and argv[0] == "fixtures":
        fixtures(argv[1])
    elif len(argv) >= 3 and argv[0] == "continue":
        continue_(argv[1], argv[2], argv[3:])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
