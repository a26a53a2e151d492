#!/usr/bin/python3
"""check_deploy.py BIN_DIR: keeps the real-cluster deployment files honest.

No container engine and no Kafka are needed: every check reads the files
and asks the built binaries, the Debian package lists, librdkafka and
systemd-analyze what they accept.

  compose   deploy/compose.yaml parses; its `topics` script, run against a
            stub kafka-topics.sh, creates every topic of
            common/include/sm/topics.h once with its partition count
            (STOREMON_PARTITIONS for the store group and report-results,
            the aux count for the rest) and exactly the compaction that
            the records' keys allow, and stops on a topic whose existing
            partition count differs; services, dependencies, volumes,
            healthchecks; `docker compose config` when Compose v2 is here.
  commands  every flag of every command line (compose services, with
            the image's ENTRYPOINT, and systemd ExecStart lines) appears
            in the binary's --help, and the whole command line, with
            --dump-config added, is accepted by the binary.
  images    deploy/images/Dockerfile.*: Debian 12 build stage with the
            -dev packages of deploy/install-deps.sh, debian:12-slim
            runtime, non-root user, the ENTRYPOINT binary is the one built
            and copied; every runtime package exists in the apt lists
            (skipped when there are none) and the packages cover every
            shared library the built binary needs (dpkg -S).
  configs   deploy/config/*.conf load with --dump-config (also with
            every commented kafka.* example switched on), no comment
            after a value, and every kafka.* key and value (commented or
            not) is taken by librdkafka's rd_kafka_conf_set().
  systemd   units: user, Restart, KillSignal, TimeoutStopSec, state
            directories, hardening; systemd-analyze verify when present.
  readme    deploy/README.md's kafka-topics.sh commands create the same
            topics with the same partition counts and compaction.

Prints one line per check and "N passed, N failed[, N skipped]" last;
exits 1 when a check failed.
"""
import ctypes
import glob
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile

import yaml

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEPLOY = os.path.join(TOP, "deploy")
SERVICES = ("reporter", "gateway", "ingestor")

passed = failed = skipped = 0


def ok(msg):
    global passed
    passed += 1
    print("ok - " + msg)


def fail(msg):
    global failed
    failed += 1
    print("FAIL - " + msg)


def skip(msg):
    global skipped
    skipped += 1
    print("skip - " + msg)


def check(cond, msg, detail=""):
    if cond:
        ok(msg)
    else:
        fail(msg + (": " + detail if detail else ""))
    return cond


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          **kw)


# ---- what the sources say ----

def read_topics_h():
    """{name: group} and the two default partition counts."""
    text = open(os.path.join(TOP, "common/include/sm/topics.h")).read()
    macros = dict(re.findall(r'#define\s+(SM_TOPIC_\w+)\s+"([^"]+)"', text))
    groups = {}
    for macro, group in re.findall(
            r'X\((SM_TOPIC_\w+),\s*SM_TOPIC_GROUP_(\w+)\)', text):
        groups[macros[macro]] = group
    p = int(re.search(r"SM_TOPIC_DEFAULT_PARTITIONS\s+(\d+)", text).group(1))
    aux = int(
        re.search(r"SM_TOPIC_DEFAULT_AUX_PARTITIONS\s+(\d+)", text).group(1))
    return groups, p, aux


# Compaction keeps the last record per key.  Right for a topic whose key's
# latest record is all that matters; wrong (data loss) for the others.
COMPACTED = {"store-hours", "store-timezones", "reporter-progress"}


def install_deps_packages():
    text = open(os.path.join(DEPLOY, "install-deps.sh")).read()
    body = re.search(r"packages=\((.*?)\)", text, re.S).group(1)
    return set(re.sub(r"#.*", "", body).split())


def interpolate(s, env):
    """Compose's ${VAR:-default} / ${VAR} / $VAR, and $$ for a dollar."""
    s = s.replace("$$", "\0")

    def braced(m):
        name, dflt = m.group(1), m.group(3)
        v = env.get(name)
        if v is None or (v == "" and m.group(2)):
            v = dflt if dflt is not None else ""
        return v

    s = re.sub(r"\$\{(\w+)(:?-([^}]*))?\}", braced, s)
    s = re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), ""), s)
    return s.replace("\0", "$")


def help_text(binary, sub):
    argv = [binary] + ([sub] if sub else []) + ["--help"]
    r = run(argv)
    return r.returncode, r.stdout + r.stderr


def flags_of(args):
    """--name of every option in an argument list (--x=y counts as --x)."""
    return sorted({a.split("=", 1)[0] for a in args if a.startswith("--")})


def check_command(where, bindir, binary, sub, args, env=None):
    """Every flag is in --help, and the binary accepts the whole line."""
    path = os.path.join(bindir, binary)
    if not check(os.access(path, os.X_OK), f"{where}: {binary} is built"):
        return
    rc, text = help_text(path, sub)
    label = f"{binary} {sub}" if sub else binary
    check(rc == 0, f"{where}: {label} --help exits 0")
    for flag in flags_of(args):
        check(re.search(r"(^|\s)" + re.escape(flag) + r"(\s|=|$)", text, re.M)
              is not None, f"{where}: {flag} is an option of {label}")
    argv = [path] + ([sub] if sub else []) + args + ["--dump-config"]
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("SM_") or k == "STOREMON_BROKERS":
            del e[k]
    e.update(env or {})
    r = run(argv, env=e)
    check(r.returncode == 0, f"{where}: the command line loads (--dump-config)",
          (r.stderr or r.stdout).strip())
    return r


# ---- compose ----

STUB = r'''#!/usr/bin/python3
# A stand-in for kafka-topics.sh: records --create calls in a JSON state
# file and answers --describe like Kafka 3.7's TopicCommand.
import json, os, sys
state_file = os.environ["STUB_STATE"]
state = json.load(open(state_file)) if os.path.exists(state_file) else {}
a = sys.argv[1:]
def val(flag):
    return a[a.index(flag) + 1] if flag in a else None
topic = val("--topic")
if "--create" in a:
    configs = [a[i + 1] for i, x in enumerate(a) if x == "--config"]
    with open(os.environ["STUB_LOG"], "a") as log:
        log.write(json.dumps({"topic": topic, "partitions": val("--partitions"),
                              "replication": val("--replication-factor"),
                              "configs": configs,
                              "if_not_exists": "--if-not-exists" in a}) + "\n")
    if topic not in state:
        state[topic] = {"partitions": int(val("--partitions")),
                        "configs": configs}
    elif "--if-not-exists" not in a:
        sys.exit("Error: topic exists")
    json.dump(state, open(state_file, "w"))
elif "--list" in a:
    print("\n".join(sorted(state)))
elif "--describe" in a:
    t = state[topic]
    print("Topic: %s\tTopicId: x\tPartitionCount: %d\tReplicationFactor: 1\t"
          "Configs: %s" % (topic, t["partitions"], ",".join(t["configs"])))
    for p in range(t["partitions"]):
        print("\tTopic: %s\tPartition: %d\tLeader: 1\tReplicas: 1\tIsr: 1"
              % (topic, p))
'''


def run_topics_script(svc, tmp, host_env, preset=None):
    """Runs the topics service's script with the stub; returns
    (exit code, stderr, [create calls])."""
    env = {k: interpolate(str(v), host_env)
           for k, v in (svc.get("environment") or {}).items()}
    entry = svc.get("entrypoint") or []
    cmd = svc.get("command") or []
    argv = [interpolate(x, host_env) for x in list(entry) + list(cmd)]
    stubdir = os.path.join(tmp, "bin")
    os.makedirs(stubdir, exist_ok=True)
    stub = os.path.join(stubdir, "kafka-topics.sh")
    with open(stub, "w") as f:
        f.write(STUB)
    os.chmod(stub, 0o755)
    argv = [a.replace("/opt/kafka/bin/", stubdir + "/") for a in argv]
    state = os.path.join(tmp, "state.json")
    log = os.path.join(tmp, "creates.log")
    for p in (state, log):
        if os.path.exists(p):
            os.unlink(p)
    if preset:
        json.dump(preset, open(state, "w"))
    e = {"PATH": "/usr/bin:/bin", "STUB_STATE": state, "STUB_LOG": log}
    e.update(env)
    r = run(argv, env=e)
    calls = []
    if os.path.exists(log):
        calls = [json.loads(line) for line in open(log)]
    return r.returncode, r.stderr, calls


def check_topic_calls(label, calls, groups, p, aux):
    by_topic = {}
    for c in calls:
        by_topic.setdefault(c["topic"], []).append(c)
    check(set(by_topic) == set(groups),
          f"{label}: creates exactly the topics of topics.h",
          f"created {sorted(by_topic)}, topics.h {sorted(groups)}")
    for name, group in sorted(groups.items()):
        cs = by_topic.get(name, [])
        if not check(len(cs) == 1, f"{label}: {name} created once",
                     f"{len(cs)} times"):
            continue
        c = cs[0]
        want = aux if group == "AUX" else p
        check(c["partitions"] == str(want),
              f"{label}: {name} has {want} partitions ({group})",
              f"got {c['partitions']}")
        compact = "cleanup.policy=compact" in c["configs"]
        check(compact == (name in COMPACTED),
              f"{label}: {name} {'is' if name in COMPACTED else 'is not'} "
              "compacted", f"configs {c['configs']}")
        check(c["if_not_exists"], f"{label}: {name} --if-not-exists")


def check_compose(bindir, groups, p, aux):
    path = os.path.join(DEPLOY, "compose.yaml")
    try:
        doc = yaml.safe_load(open(path))
    except Exception as e:  # noqa: BLE001 - any parse error is the finding
        fail(f"compose.yaml parses: {e}")
        return None
    ok("compose.yaml parses (PyYAML)")
    services = doc.get("services") or {}
    check(set(services) >= {"kafka", "topics", *SERVICES},
          "compose: services kafka, topics, reporter, gateway, ingestor",
          str(sorted(services)))
    kafka = services.get("kafka", {})
    kenv = {k: str(v) for k, v in (kafka.get("environment") or {}).items()}
    check(str(kafka.get("image", "")).startswith("apache/kafka:"),
          "compose: kafka is the apache/kafka image")
    check(set(kenv.get("KAFKA_PROCESS_ROLES", "").split(",")) ==
          {"broker", "controller"}, "compose: kafka is broker and controller "
          "(KRaft, one node)")
    for k in ("KAFKA_NODE_ID", "KAFKA_CONTROLLER_QUORUM_VOTERS",
              "KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS",
              "KAFKA_CONTROLLER_LISTENER_NAMES", "CLUSTER_ID"):
        check(bool(kenv.get(k)), f"compose: kafka sets {k}")
    check(kenv.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "").startswith(
        kenv.get("KAFKA_NODE_ID", "?") + "@"),
        "compose: the quorum voter is this node")
    for k in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
              "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"):
        check(kenv.get(k) == "1", f"compose: {k} = 1 on one node")
    check(kenv.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE") == "false",
          "compose: no auto-created topics")
    check(bool(kafka.get("healthcheck")), "compose: kafka has a healthcheck")

    topics = services.get("topics", {})
    dep = (topics.get("depends_on") or {}).get("kafka", {})
    check(dep.get("condition") == "service_healthy",
          "compose: topics waits for a healthy kafka")
    env = topics.get("environment") or {}
    m = re.fullmatch(r"\$\{STOREMON_PARTITIONS:-(\d+)\}", str(env.get("P")))
    check(m is not None and int(m.group(1)) == p,
          f"compose: P = ${{STOREMON_PARTITIONS:-{p}}} "
          "(SM_TOPIC_DEFAULT_PARTITIONS)", str(env.get("P")))
    check(str(env.get("AUX")) == str(aux),
          f"compose: AUX = {aux} (SM_TOPIC_DEFAULT_AUX_PARTITIONS)")

    with tempfile.TemporaryDirectory() as tmp:
        rc, err, calls = run_topics_script(topics, tmp, {})
        check(rc == 0, "compose: the topics script runs (stub kafka-topics.sh)",
              err.strip())
        check_topic_calls("topics (default P)", calls, groups, p, aux)
        rc, err, calls = run_topics_script(topics, tmp,
                                           {"STOREMON_PARTITIONS": "7"})
        check(rc == 0, "compose: the topics script runs with "
              "STOREMON_PARTITIONS=7", err.strip())
        check_topic_calls("topics (P=7)", calls, groups, 7, aux)
        preset = {"store-polls": {"partitions": p + 1, "configs": []}}
        rc, err, _ = run_topics_script(topics, tmp, {}, preset)
        check(rc != 0 and "store-polls" in err,
              "compose: an existing topic with another partition count "
              "stops the script", f"exit {rc}, stderr {err.strip()!r}")
        preset = {"store-hours": {"partitions": p, "configs": []}}
        rc, err, _ = run_topics_script(topics, tmp, {}, preset)
        check(rc != 0 and "store-hours" in err,
              "compose: an existing store-hours without compaction stops "
              "the script", f"exit {rc}, stderr {err.strip()!r}")

    for name in SERVICES:
        svc = services.get(name, {})
        dep = (svc.get("depends_on") or {}).get("topics", {})
        check(dep.get("condition") == "service_completed_successfully",
              f"compose: {name} waits for the topics")
        build = svc.get("build") or {}
        check(build.get("dockerfile") == f"deploy/images/Dockerfile.{name}"
              and os.path.normpath(os.path.join(DEPLOY, build.get(
                  "context", ""))) == TOP,
              f"compose: {name} builds deploy/images/Dockerfile.{name} "
              "from the repository root")
    check("load" in (services.get("ingestor", {}).get("profiles") or []),
          "compose: the ingestor is under the `load` profile")
    data_vols = [v for v in services.get("ingestor", {}).get("volumes", [])
                 if str(v).endswith(":/data:ro")]
    check(bool(data_vols), "compose: the ingestor reads /data read-only")
    gw = services.get("gateway", {})
    check(any(str(x).split(":")[-1] == "8080" for x in gw.get("ports", [])),
          "compose: gateway publishes port 8080")
    hc = " ".join(map(str, (gw.get("healthcheck") or {}).get("test", [])))
    check("curl" in hc and "/healthz" in hc,
          "compose: gateway healthcheck is curl /healthz")
    named = set(doc.get("volumes") or {})
    for name, target in (("reporter", "/var/lib/storemon/reporter"),
                         ("gateway", "/var/lib/storemon/gateway")):
        vols = [str(v) for v in services.get(name, {}).get("volumes", [])]
        check(any(v.split(":")[0] in named and v.split(":")[1] == target
                  for v in vols), f"compose: {name} keeps {target} in a "
              "named volume")

    if shutil.which("docker") and run(["docker", "compose", "version"]
                                      ).returncode == 0:
        r = run(["docker", "compose", "-f", path, "config", "-q"])
        check(r.returncode == 0, "compose: docker compose config accepts it",
              r.stderr.strip())
    else:
        skip("compose: `docker compose config` (Compose v2 is not installed)")
    return services


# ---- images ----

def parse_dockerfile(path):
    text = open(path).read()
    text = re.sub(r"\\\n", " ", text)
    stages, cur = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            cur = {"from": rest.split()[0], "as": None, "lines": []}
            m = re.search(r"\bAS\s+(\S+)", rest, re.I)
            if m:
                cur["as"] = m.group(1)
            stages.append(cur)
        elif cur is not None:
            cur["lines"].append((word, rest.strip()))
    return stages


def apt_packages(stage):
    pkgs = []
    for word, rest in stage["lines"]:
        if word != "RUN":
            continue
        for cmd in re.split(r"&&|;", rest):
            toks = cmd.split()
            if "apt-get" in toks and "install" in toks:
                i = toks.index("install")
                pkgs += [t for t in toks[i + 1:] if not t.startswith("-")]
    return pkgs


def instr(stage, word):
    return [rest for w, rest in stage["lines"] if w == word]


def apt_lists_available():
    return bool(glob.glob("/var/lib/apt/lists/*_Packages*"))


def needed_packages(binary):
    """Debian packages of the shared libraries binary needs (sanitizer
    runtimes and libc left out: the base image has libc6)."""
    r = run(["objdump", "-p", binary])
    if r.returncode != 0:
        return None
    libs = re.findall(r"NEEDED\s+(\S+)", r.stdout)
    ldd = run(["ldd", binary]).stdout
    out = {}
    for lib in libs:
        if re.match(r"lib(asan|ubsan|lsan|tsan)\.", lib) or lib in (
                "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2",
                "librt.so.1", "ld-linux-x86-64.so.2", "libgcc_s.so.1"):
            continue
        m = re.search(r"^\s*" + re.escape(lib) + r"\s+=>\s+(\S+)", ldd, re.M)
        if not m:
            out[lib] = None
            continue
        real = os.path.realpath(m.group(1))
        pkg = None
        for cand in (real, m.group(1), real.replace("/usr/lib/", "/lib/")):
            s = run(["dpkg", "-S", cand])
            if s.returncode == 0:
                pkg = s.stdout.split(":")[0].strip()
                break
        out[lib] = pkg
    return out


def check_images(bindir):
    deps = install_deps_packages()
    dev = {x for x in deps if x.endswith("-dev")}
    lists = apt_lists_available()
    entrypoints = {}
    for name in SERVICES:
        path = os.path.join(DEPLOY, "images", f"Dockerfile.{name}")
        binary = f"storemon-{name}"
        if not check(os.path.exists(path), f"images: Dockerfile.{name} exists"):
            continue
        stages = parse_dockerfile(path)
        check(len(stages) >= 2, f"images/{name}: multi-stage")
        build, final = stages[0], stages[-1]
        check(build["from"] in ("debian:12", "debian:bookworm")
              and build["as"] is not None,
              f"images/{name}: build stage FROM debian:12 AS …", build["from"])
        check(final["from"] in ("debian:12-slim", "debian:bookworm-slim"),
              f"images/{name}: runtime stage FROM debian:12-slim",
              final["from"])
        bpk = set(apt_packages(build))
        check(dev <= bpk and {"cmake", "pkg-config"} <= bpk,
              f"images/{name}: build stage installs install-deps.sh's -dev "
              "packages, cmake and pkg-config",
              f"missing {sorted((dev | {'cmake', 'pkg-config'}) - bpk)}")
        runs = " ".join(instr(build, "RUN"))
        check("-DCMAKE_BUILD_TYPE=Release" in runs and
              f"--target {binary}" in runs,
              f"images/{name}: Release build of target {binary}")
        rpk = apt_packages(final)
        check(not any(p.endswith("-dev") for p in rpk) and "cmake" not in rpk,
              f"images/{name}: no build tools in the runtime stage")
        copies = " ".join(instr(final, "COPY"))
        check(f"--from={build['as']}" in copies and
              f"/bin/{binary}" in copies,
              f"images/{name}: copies {binary} from the build stage")
        users = instr(final, "USER")
        check(bool(users) and users[-1].split(":")[0] not in ("0", "root"),
              f"images/{name}: runs as a non-root user",
              str(users))
        ep = instr(final, "ENTRYPOINT")
        try:
            ep = json.loads(ep[-1]) if ep else []
        except ValueError:
            ep = []
        check(bool(ep) and os.path.basename(ep[0]) == binary,
              f"images/{name}: ENTRYPOINT is {binary} (exec form)", str(ep))
        entrypoints[name] = ep
        for env_line in instr(final, "ENV"):
            for var in re.findall(r"(SM_[A-Z0-9_]+)=", env_line):
                svc = var.split("_")[1].lower()
                setting = "--" + var.split("_", 2)[2].lower().replace("_", "-")
                sub = "run" if binary == "storemon-reporter" else (
                    "load" if binary == "storemon-ingestor" else None)
                _, text = help_text(os.path.join(bindir, binary), sub)
                check(svc == name and re.search(
                    r"(^|\s)" + re.escape(setting) + r"\s", text) is not None,
                    f"images/{name}: ENV {var} names the setting {setting}")
        if name == "gateway":
            check("8080" in " ".join(instr(final, "EXPOSE")),
                  "images/gateway: EXPOSE 8080")
        if lists:
            for pkg in rpk:
                r = run(["apt-cache", "show", "--no-all-versions", pkg])
                check(r.returncode == 0 and "Package: " + pkg in r.stdout,
                      f"images/{name}: package {pkg} exists (apt-cache)")
        else:
            skip(f"images/{name}: runtime package names not checked "
                 "(no apt lists here: run apt-get update)")
        built = os.path.join(bindir, binary)
        if not os.path.exists(built):
            fail(f"images/{name}: {built} is built")
            continue
        need = needed_packages(built)
        if need is None:
            skip(f"images/{name}: shared libraries not checked (no objdump)")
            continue
        for lib, pkg in sorted(need.items()):
            check(pkg is not None and pkg in rpk,
                  f"images/{name}: {lib} comes from a runtime package "
                  f"({pkg})", f"runtime packages {rpk}")
    return entrypoints


# ---- commands of the compose services ----

def check_compose_commands(bindir, services, entrypoints):
    for name in SERVICES:
        svc = services.get(name) or {}
        ep = entrypoints.get(name)
        if not ep:
            fail(f"commands/{name}: no ENTRYPOINT to run the command with")
            continue
        args = [interpolate(str(a), {}) for a in ep[1:] +
                list(svc.get("command") or [])]
        binary = os.path.basename(ep[0])
        sub = None
        if binary in ("storemon-reporter", "storemon-ingestor"):
            sub, args = args[0], args[1:]
            want = ("run",) if binary == "storemon-reporter" else ("load",
                                                                   "stream")
            check(sub in want, f"commands/{name}: subcommand {sub}")
        check_command(f"compose/{name}", bindir, binary, sub, args)


# ---- configuration files ----

LIBRDKAFKA = None


def rdkafka():
    global LIBRDKAFKA
    if LIBRDKAFKA is None:
        try:
            lib = ctypes.CDLL("librdkafka.so.1")
        except OSError:
            LIBRDKAFKA = False
            return False
        lib.rd_kafka_conf_new.restype = ctypes.c_void_p
        lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                          ctypes.c_char_p, ctypes.c_char_p,
                                          ctypes.c_size_t]
        lib.rd_kafka_conf_set.restype = ctypes.c_int
        lib.rd_kafka_conf_destroy.argtypes = [ctypes.c_void_p]
        LIBRDKAFKA = lib
    return LIBRDKAFKA


def rdkafka_conf_set(key, value):
    lib = rdkafka()
    conf = lib.rd_kafka_conf_new()
    err = ctypes.create_string_buffer(512)
    r = lib.rd_kafka_conf_set(conf, key.encode(), value.encode(), err, 512)
    lib.rd_kafka_conf_destroy(conf)
    return r, err.value.decode()


CONF_CMDS = {
    "reporter": [("storemon-reporter", "run")],
    "gateway": [("storemon-gateway", None)],
    "ingestor": [("storemon-ingestor", "load"), ("storemon-ingestor",
                                                 "stream")],
}


def check_configs(bindir):
    lib = rdkafka()
    if lib:
        r, _ = rdkafka_conf_set("no.such.property", "1")
        check(r != 0, "configs: librdkafka refuses an unknown property "
              "(the check below can fail)")
    for name, cmds in CONF_CMDS.items():
        path = os.path.join(DEPLOY, "config", f"{name}.conf")
        if not check(os.path.exists(path), f"configs: {name}.conf exists"):
            continue
        lines = open(path).read().splitlines()
        active = [(i + 1, l) for i, l in enumerate(lines)
                  if l.strip() and not l.lstrip().startswith("#")]
        bad = [n for n, l in active if "#" in l]
        check(not bad, f"configs/{name}: no comment after a value",
              f"lines {bad}")
        check(any(re.match(r"\s*brokers\s*=\s*\S", l) for _, l in active),
              f"configs/{name}: sets brokers")
        m = [l for _, l in active if re.match(r"\s*log-level\s*=", l)]
        check(all(l.split("=", 1)[1].strip() in
                  ("err", "warn", "notice", "info", "debug") for l in m),
              f"configs/{name}: log-level is a level")
        m = [l for _, l in active if re.match(r"\s*progress\s*=", l)]
        check(all(l.split("=", 1)[1].strip() in ("auto", "on", "off")
                  for l in m), f"configs/{name}: progress is auto, on or off")
        kafka = []
        for n, l in enumerate(lines, 1):
            mm = re.match(r"^\s*(#\s*)?kafka\.([A-Za-z0-9._-]+)\s*=\s*(.*?)\s*$",
                          l)
            if mm:
                kafka.append((n, mm.group(1) is not None, mm.group(2),
                              mm.group(3)))
        check(any(c for _, c, _, _ in kafka) and any(
            k.startswith(("sasl.", "ssl.")) for _, _, k, _ in kafka),
            f"configs/{name}: commented SASL/SSL examples")
        if lib:
            for n, _, key, value in kafka:
                r, err = rdkafka_conf_set(key, value)
                check(r == 0, f"configs/{name}:{n}: librdkafka takes "
                      f"{key} = {value if 'password' not in key else '****'}",
                      err)
        else:
            skip(f"configs/{name}: kafka.* properties not checked "
                 "(librdkafka.so.1 not loadable)")
        with tempfile.TemporaryDirectory() as tmp:
            on = os.path.join(tmp, f"{name}-all.conf")
            with open(on, "w") as f:
                for l in lines:
                    f.write(re.sub(r"^\s*#\s*(kafka\.)", r"\1", l) + "\n")
            for binary, sub in cmds:
                label = f"{binary} {sub}" if sub else binary
                for cfg, what in ((path, ""), (on, " with every kafka.* "
                                               "example on")):
                    argv = [os.path.join(bindir, binary)] + ([sub] if sub
                                                             else [])
                    argv += ["--config", cfg, "--dump-config"]
                    e = {k: v for k, v in os.environ.items()
                         if not k.startswith("SM_") and
                         k != "STOREMON_BROKERS"}
                    r = run(argv, env=e)
                    good = r.returncode == 0 and re.search(
                        r"^brokers = \S.*# " + re.escape(cfg) + r":\d+",
                        r.stdout, re.M)
                    check(bool(good), f"configs/{name}: {label} --config "
                          f"{name}.conf{what} --dump-config",
                          (r.stderr or r.stdout).strip()[:300])


# ---- systemd ----

def parse_unit(path):
    sections, cur = {}, None
    for raw in open(path).read().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            cur = sections.setdefault(line.strip("[]"), {})
            continue
        k, _, v = line.partition("=")
        cur.setdefault(k.strip(), []).append(v.strip())
    return sections


def check_systemd(bindir):
    units = sorted(glob.glob(os.path.join(DEPLOY, "systemd", "*.service")))
    names = [os.path.basename(u) for u in units]
    for want in ("storemon-reporter.service", "storemon-gateway.service"):
        check(want in names, f"systemd: {want} exists")
    host = socket.gethostname()
    for unit in units:
        base = os.path.basename(unit)
        svc = parse_unit(unit).get("Service", {})
        one = {k: v[-1] for k, v in svc.items()}
        per_connection = one.get("StandardInput") == "socket"
        check(one.get("User") not in (None, "", "root", "0"),
              f"systemd/{base}: runs as a dedicated user")
        if not per_connection:
            check(one.get("Restart") == "on-failure",
                  f"systemd/{base}: Restart=on-failure")
        check(one.get("KillSignal") == "SIGTERM",
              f"systemd/{base}: KillSignal=SIGTERM")
        check(bool(one.get("TimeoutStopSec")),
              f"systemd/{base}: TimeoutStopSec")
        for k, v in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                     ("ProtectHome", "yes"), ("PrivateTmp", "yes")):
            check(one.get(k) == v, f"systemd/{base}: {k}={v}")
        exec_start = one.get("ExecStart", "")
        argv = shlex.split(exec_start.replace("%i", "1-127.0.0.1:7070-"
                                              "127.0.0.1:40000")
                           .replace("%H", host))
        if not check(bool(argv) and os.path.isabs(argv[0]),
                     f"systemd/{base}: ExecStart with an absolute path"):
            continue
        binary = os.path.basename(argv[0])
        args = argv[1:]
        sub = None
        if binary in ("storemon-reporter", "storemon-ingestor"):
            sub, args = args[0], args[1:]
        # /etc/storemon/X.conf is where deploy/config/X.conf is installed.
        mapped = [re.sub(r"^/etc/storemon/(\w+\.conf)$",
                         os.path.join(DEPLOY, "config", r"\1"), a)
                  for a in args]
        check(any(re.match(r"/etc/storemon/\w+\.conf$", a) for a in args),
              f"systemd/{base}: --config /etc/storemon/….conf")
        check_command(f"systemd/{base}", bindir, binary, sub, mapped)
        state = [a for a in (svc.get("StateDirectory") or [])]
        if binary in ("storemon-reporter", "storemon-gateway"):
            opt = "--state-dir" if binary == "storemon-reporter" else "--db"
            val = args[args.index(opt) + 1] if opt in args else ""
            d = val if opt == "--state-dir" else os.path.dirname(val)
            check(bool(state) and d == "/var/lib/" + state[0],
                  f"systemd/{base}: {opt} is in StateDirectory "
                  f"(/var/lib/{state[0] if state else '?'})", d)
            rw = " ".join(svc.get("ReadWritePaths") or [])
            check(d in rw.split(), f"systemd/{base}: ReadWritePaths={d}")
    sockets = sorted(glob.glob(os.path.join(DEPLOY, "systemd", "*.socket")))
    for s in sockets:
        base = os.path.basename(s)
        sock = parse_unit(s).get("Socket", {})
        if sock.get("Accept", ["no"])[-1] == "yes":
            tmpl = base.replace(".socket", "@.service")
            check(tmpl in names, f"systemd/{base}: Accept=yes has {tmpl}")
    sa = shutil.which("systemd-analyze")
    if not sa:
        skip("systemd: systemd-analyze verify (not installed)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for u in units + sockets:
            text = open(u).read().replace("/usr/local/bin/", bindir + "/")
            with open(os.path.join(tmp, os.path.basename(u)), "w") as f:
                f.write(text)
        for u in units + sockets:
            base = os.path.basename(u)
            r = run([sa, "verify", "--man=no", os.path.join(tmp, base)],
                    cwd=tmp)
            out = (r.stdout + r.stderr).strip()
            check(r.returncode == 0 and not out,
                  f"systemd/{base}: systemd-analyze verify is silent", out)


# ---- README ----

def check_readme(groups, p, aux):
    path = os.path.join(DEPLOY, "README.md")
    if not check(os.path.exists(path), "readme: deploy/README.md exists"):
        return
    text = re.sub(r"\\\n\s*", " ", open(path).read())
    creates = {}
    for line in text.splitlines():
        if "kafka-topics.sh" not in line or "--create" not in line:
            continue
        toks = shlex.split(line.strip().lstrip("$ "), comments=True)
        if "--topic" not in toks:
            continue
        t = toks[toks.index("--topic") + 1]
        creates.setdefault(t, []).append(toks)
    check(set(creates) == set(groups),
          "readme: kafka-topics.sh --create for every topic of topics.h",
          f"{sorted(creates)}")
    for name, group in sorted(groups.items()):
        for toks in creates.get(name, [])[:1]:
            n = toks[toks.index("--partitions") + 1] if "--partitions" in \
                toks else ""
            want = ("$AUX",) if group == "AUX" else ("$P",)
            check(n in want, f"readme: {name} --partitions {want[0]}", n)
            configs = [toks[i + 1] for i, x in enumerate(toks)
                       if x == "--config"]
            compact = "cleanup.policy=compact" in configs
            check(compact == (name in COMPACTED),
                  f"readme: {name} {'is' if name in COMPACTED else 'is not'} "
                  "compacted", str(configs))
    m = re.search(r"^\s*P=(\d+)\b", text, re.M)
    a = re.search(r"^\s*AUX=(\d+)\b", text, re.M)
    check(m is not None and int(m.group(1)) == p and a is not None and
          int(a.group(1)) == aux, f"readme: P={p} and AUX={aux} by default")


def check_dockerignore():
    path = os.path.join(TOP, ".dockerignore")
    if not check(os.path.exists(path), ".dockerignore exists"):
        return
    pats = {l.strip().lstrip("/") for l in open(path)
            if l.strip() and not l.startswith("#")}
    check(any(p.startswith("build") for p in pats),
          ".dockerignore: build directories")
    check("run" in pats, ".dockerignore: run/")
    check(not any(p in ("deploy", "deploy/images", "common", "schemas",
                        "reporter", "api-gateway", "ingestor", "tools",
                        "cmake", "CMakeLists.txt") for p in pats),
          ".dockerignore: keeps what the image build needs")


def main():
    if len(sys.argv) != 2:
        print("usage: check_deploy.py BIN_DIR", file=sys.stderr)
        return 2
    bindir = os.path.abspath(sys.argv[1])
    groups, p, aux = read_topics_h()
    check(len(groups) == 8, f"topics.h: {len(groups)} topics, P={p}, "
          f"aux={aux}")
    services = check_compose(bindir, groups, p, aux) or {}
    entrypoints = check_images(bindir)
    check_compose_commands(bindir, services, entrypoints)
    check_configs(bindir)
    check_systemd(bindir)
    check_readme(groups, p, aux)
    check_dockerignore()
    if skipped:
        print(f"{passed} passed, {failed} failed, {skipped} skipped")
    else:
        print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
