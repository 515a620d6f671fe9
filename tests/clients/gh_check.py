"""GitHub CLI (gh) against forgebridge's demo served over TLS in GitHub
Enterprise's layout (/api/v3): `gh api` for every release route, with its
paging, and `gh release create`. Checked against the demo's seed.

    python gh_check.py HOST:PORT

gh must be on PATH and trust the gateway's certificate (SSL_CERT_FILE); the
caller sets GH_HOST, GH_ENTERPRISE_TOKEN and GH_CONFIG_DIR. Exits non-zero,
naming the first wrong answer."""
import json
import subprocess
import sys

from common import SEED as DEMO_SEED
from common import checker

HOST = sys.argv[1]
REPO = f"{HOST}/demo/hello"
SEED = [(r["tag"], r["name"], r["body"]) for r in DEMO_SEED]
check = checker("gh")


def gh(*args, ok=True):
    p = subprocess.run(["gh", *args], capture_output=True, text=True, timeout=30)
    if ok and p.returncode != 0:
        sys.exit(f"gh {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def api(*args):
    return json.loads(gh("api", *args).stdout)


def listed(path):
    # --paginate follows the gateway's Link headers; --jq runs on each page.
    out = gh("api", path, "--paginate", "--jq", ".[] | [.tag_name, .name, .body]").stdout
    return [tuple(json.loads(line)) for line in out.splitlines()]


check("the release list, one per page", listed("repos/demo/hello/releases?per_page=1"), SEED)

one = api("repos/demo/hello/releases/tags/release%2F2.0")
check("get by tag", (one["tag_name"], one["name"]), ("release/2.0", "Two"))
check("url, in the Enterprise layout", one["url"], f"https://{HOST}/api/v3/repos/demo/hello/releases/{one['id']}")
by_id = api(f"repos/demo/hello/releases/{one['id']}")
check("get by id", by_id["tag_name"], "release/2.0")
check("latest", api("repos/demo/hello/releases/latest")["tag_name"], "release/2.0")

# Each asset of a release, at its url.
with_assets = api("repos/demo/hello/releases/tags/v1.1.0")
for a in with_assets["assets"]:
    got = api(f"repos/demo/hello/releases/assets/{a['id']}")
    check(f"{a['name']}: get by id", (got["id"], got["name"], got["browser_download_url"]), (a["id"], a["name"], a["browser_download_url"]))
check("assets of v1.1.0", len(with_assets["assets"]), 2)

made = gh("release", "create", "v3.0.0", "-R", REPO, "--title", "Three", "--notes", "Notes.", "--target", "main")
check("gh release create prints the release's page", made.stdout.strip().endswith("/releases/v3.0.0"), True)
created = api("repos/demo/hello/releases/tags/v3.0.0")
check("created", (created["name"], created["body"], created["draft"]), ("Three", "Notes.", False))
updated = api("-X", "PATCH", f"repos/demo/hello/releases/{created['id']}", "-f", "name=Three, renamed")
check("updated", (updated["id"], updated["name"], updated["body"]), (created["id"], "Three, renamed", "Notes."))
gh("api", "-X", "DELETE", f"repos/demo/hello/releases/{created['id']}")
gone = gh("api", "repos/demo/hello/releases/tags/v3.0.0", ok=False)
check("deleted release", (gone.returncode, "Not Found (HTTP 404)" in gone.stderr), (1, True))

# `gh release list/view/delete` ask GitHub's GraphQL API, which is not a release
# route: the gateway answers 404 naming it, and gh says so.
listing = gh("release", "list", "-R", REPO, ok=False)
check("gh release list (GraphQL)", (listing.returncode != 0, "/api/graphql" in listing.stderr), (True, True))

check("the list at the end, two per page", listed("repos/demo/hello/releases?per_page=2"), SEED)

# An asset deleted by its id, then gone.
doomed = with_assets["assets"][-1]
gh("api", "-X", "DELETE", f"repos/demo/hello/releases/assets/{doomed['id']}")
after = api("repos/demo/hello/releases/tags/v1.1.0")
check("assets after the delete", [a["name"] for a in after["assets"]], [a["name"] for a in with_assets["assets"][:-1]])
gone_asset = gh("api", f"repos/demo/hello/releases/assets/{doomed['id']}", ok=False)
check("deleted asset", (gone_asset.returncode, "Not Found (HTTP 404)" in gone_asset.stderr), (1, True))
print("gh: all release calls answered as GitHub would")
