"""sentry-cli (@sentry/cli, pinned in package-lock.json) against forgebridge's demo:
its release commands (list, new, info, finalize, delete), each checked against
the demo's seed, for the upstream the demo simulates.

    python sentry_cli_check.py SENTRY_CLI URL [UPSTREAM]

UPSTREAM is the simulated forge's dialect: gitlab (the default), github or
sentry (the same-dialect pass-through). The caller maps the organization
`demo` to the project demo/hello in the gateway's [projects]. Exits non-zero,
naming the first wrong answer."""
import os
import subprocess
import sys

from common import SEED
from common import checker

CLI, URL = sys.argv[1], sys.argv[2]
UPSTREAM = sys.argv[3] if len(sys.argv) > 3 else "gitlab"
check = checker(f"sentry-cli ({UPSTREAM} upstream)")
ENV = dict(
    os.environ,
    SENTRY_URL=URL,
    SENTRY_AUTH_TOKEN="sntrys_demo",
    SENTRY_ORG="demo",
    SENTRY_PROJECT="hello",
    SENTRY_DISABLE_UPDATE_CHECK="true",
    SENTRY_LOAD_DOTENV="0",
    NO_COLOR="1",
)


def cli(*args, ok=True):
    p = subprocess.run([CLI, "releases", *args], capture_output=True, text=True, timeout=60, env=ENV)
    if ok and p.returncode != 0:
        sys.exit(f"sentry-cli releases {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def table(out):
    """The rows of the table sentry-cli prints, as lists of cells."""
    rows = []
    for line in out.splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows[1:]  # without the header


def versions():
    # `releases list`: Released | Version | New Events | Last Event
    return [row[1] for row in table(cli("list").stdout)]


seed = [r["tag"] for r in SEED]
check("releases list", versions(), seed)

made = cli("new", "3.0.0")
check("releases new", made.stdout.strip(), "Created release 3.0.0")
# Sentry's create is idempotent: the same version again is 208, and a success.
again = cli("new", "3.0.0")
check("releases new, again", again.stdout.strip(), "Created release 3.0.0")
check("releases list after new", versions(), ["3.0.0", *seed])

info = table(cli("info", "3.0.0").stdout)
check("releases info", [row[0] for row in info], ["3.0.0"])

fin = cli("finalize", "3.0.0", ok=False)
if UPSTREAM == "github":
    # GitHub sets a release's publication time itself: refused, 501, nothing changed.
    check("releases finalize (refused)", (fin.returncode, "(http status: 501)" in fin.stderr), (1, True))
    check("the reason", "GitHub sets a release's publication time itself" in fin.stderr, True)
else:
    check("releases finalize", (fin.returncode, fin.stdout.strip()), (0, "Finalized release 3.0.0"))

gone = cli("delete", "3.0.0")
check("releases delete", gone.stdout.strip(), "Deleted release 3.0.0!")
# `info` of a version that is not there exits 1 and prints nothing.
missing = cli("info", "3.0.0", ok=False)
check("releases info after delete", (missing.returncode, missing.stdout.strip()), (1, ""))
check("releases list at the end", versions(), seed)
print(f"sentry-cli: every release command answered as Sentry would ({UPSTREAM} upstream)")
