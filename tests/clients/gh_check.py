"""GitHub CLI (gh) against forgebridge's demo served over TLS in GitHub
Enterprise's layout (/api/v3): `gh api` for every release route, with its
paging, and `gh release create` (with `--verify-tag` too, and with a file),
`upload`, `list`, `view`, `edit` and `delete` (through the gateway's GraphQL
endpoint too). Checked against the demo's seed.

    python gh_check.py HOST:PORT [UPSTREAM]

UPSTREAM is the simulated forge's dialect (gitlab, the demo's, by default):
in front of GitLab `gh release upload` and `delete-asset` are checked (and
`gh release create` with a file, a draft first, refused); in front of Gitea
and GitHub, `gh release create` with a file and `gh release upload`.

gh must be on PATH and trust the gateway's certificate (SSL_CERT_FILE); the
caller sets GH_HOST, GH_ENTERPRISE_TOKEN and GH_CONFIG_DIR. Exits non-zero,
naming the first wrong answer."""
import json
import os
import subprocess
import sys
import tempfile

from common import SEED as DEMO_SEED
from common import checker

HOST = sys.argv[1]
UPSTREAM = (sys.argv[2:] or ["gitlab"])[0]
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

# `gh release list` lists through GitHub's GraphQL API (the gateway reads it
# through its REST routes): one line per release, title, "Latest", tag, date.
def release_list(*args):
    out = gh("release", "list", "-R", REPO, *args).stdout
    return [tuple(line.split("\t")[:3]) for line in out.splitlines()]


latest = api("repos/demo/hello/releases/latest")["tag_name"]
listed_by_gh = [(name, "Latest" if tag == latest else "", tag) for tag, name, _ in SEED]
check("gh release list", release_list(), listed_by_gh)
check("gh release list --limit 1", release_list("--limit", "1"), listed_by_gh[:1])


# `gh release view` (and edit, delete) look the release up through GraphQL too.
def viewed(tag):
    out = gh("release", "view", tag, "-R", REPO).stdout
    return dict(line.split(":\t", 1) for line in out.splitlines() if ":\t" in line)


seen = viewed("release/2.0")
check("gh release view", (seen["title"], seen["tag"], seen["draft"]), ("Two", "release/2.0", "false"))

made = gh("release", "create", "v3.0.0", "-R", REPO, "--title", "Three", "--notes", "Notes.", "--target", "main")
check("gh release create prints the release's page", made.stdout.strip().endswith("/releases/v3.0.0"), True)
created = api("repos/demo/hello/releases/tags/v3.0.0")
check("created", (created["name"], created["body"], created["draft"]), ("Three", "Notes.", False))
updated = api("-X", "PATCH", f"repos/demo/hello/releases/{created['id']}", "-f", "name=Three, renamed")
check("updated", (updated["id"], updated["name"], updated["body"]), (created["id"], "Three, renamed", "Notes."))
gh("release", "edit", "v3.0.0", "-R", REPO, "--title", "Three, edited")
check("gh release edit", viewed("v3.0.0")["title"], "Three, edited")
gh("release", "delete", "v3.0.0", "-y", "-R", REPO)
gone = gh("api", "repos/demo/hello/releases/tags/v3.0.0", ok=False)
check("deleted release", (gone.returncode, "Not Found (HTTP 404)" in gone.stderr), (1, True))
missing = gh("release", "view", "v3.0.0", "-R", REPO, ok=False)
check("gh release view of a deleted release", (missing.returncode, "release not found" in missing.stderr), (1, True))

# `--verify-tag` asks whether the tag exists (through GraphQL, the gateway
# reading the tag's git reference) before it creates anything. The deleted
# release's tag is still there; a tag never made is not, and gh stops.
ref = api("repos/demo/hello/git/ref/tags/v3.0.0")
check("the tag outlives its release", (ref["ref"], len(ref["object"]["sha"])), ("refs/tags/v3.0.0", 40))
gh("release", "create", "v3.0.0", "-R", REPO, "--verify-tag", "--title", "Three again", "--notes", "Again.")
check("gh release create --verify-tag, the tag there", viewed("v3.0.0")["title"], "Three again")
gh("release", "delete", "v3.0.0", "-y", "-R", REPO)
refused = gh("release", "create", "v9.9.9", "-R", REPO, "--verify-tag", "--notes", "x", ok=False)
check(
    "gh release create --verify-tag, no such tag",
    (refused.returncode, "tag v9.9.9 doesn't exist in the repo" in refused.stderr),
    (1, True),
)
check("nothing made", gh("api", "repos/demo/hello/releases/tags/v9.9.9", ok=False).returncode, 1)

# Files: `gh release create` with one creates a draft, uploads the file to
# the release's upload_url and then publishes it; `gh release upload` adds one.
files = tempfile.mkdtemp()
for name, text in [("notes.txt", "hello from gh\n"), ("more.txt", "and more\n")]:
    with open(os.path.join(files, name), "w") as f:
        f.write(text)
notes, more = os.path.join(files, "notes.txt"), os.path.join(files, "more.txt")


def downloaded(tag, pattern):
    """What `gh release download` fetches of a release's files (through the
    asset's download redirect), by name."""
    into = tempfile.mkdtemp()
    gh("release", "download", tag, "-p", pattern, "-D", into, "-R", REPO)
    out = {}
    for name in sorted(os.listdir(into)):
        with open(os.path.join(into, name)) as f:
            out[name] = f.read()
    return out

if UPSTREAM == "gitlab":
    # GitLab keeps the file in the project and links it to the release.
    gh("release", "upload", "v1.1.0", notes, "-R", REPO)
    got = api("repos/demo/hello/releases/tags/v1.1.0")["assets"]
    check("gh release upload: linked", [a["name"] for a in got][-1], "notes.txt")
    check("gh release download: the file back", downloaded("v1.1.0", "notes.txt"), {"notes.txt": "hello from gh\n"})
    gh("release", "delete-asset", "v1.1.0", "notes.txt", "-y", "-R", REPO)
    got = api("repos/demo/hello/releases/tags/v1.1.0")["assets"]
    check("gh release delete-asset", "notes.txt" in [a["name"] for a in got], False)
    # With a file, gh makes a draft first, which GitLab has not.
    refused = gh("release", "create", "v5.0.0", notes, "-R", REPO, ok=False)
    check("gh release create with a file, refused: no drafts", (refused.returncode, "GitLab has no draft releases" in refused.stderr), (1, True))
    check("nothing made", gh("api", "repos/demo/hello/releases/tags/v5.0.0", ok=False).returncode, 1)
else:
    gh("release", "create", "v5.0.0", notes, "-R", REPO, "--title", "Five", "--notes", "With a file.")
    five = viewed("v5.0.0")
    check("gh release create with a file", (five["title"], five["draft"], five.get("asset")), ("Five", "false", "notes.txt"))
    gh("release", "upload", "v5.0.0", more, "-R", REPO)
    got = api("repos/demo/hello/releases/tags/v5.0.0")["assets"]
    check("gh release upload", [(a["name"], a["size"]) for a in got], [("notes.txt", 14), ("more.txt", 9)])
    check("gh release download: the files back", downloaded("v5.0.0", "*.txt"), {"notes.txt": "hello from gh\n", "more.txt": "and more\n"})
    gh("release", "delete", "v5.0.0", "-y", "-R", REPO)

# Notes GitHub would write (`--generate-notes`): another forge writes none, so
# the create is refused with the reason rather than made without them.
if UPSTREAM != "github":
    refused = gh("release", "create", "v6.0.0", "-R", REPO, "--generate-notes", ok=False)
    check("gh release create --generate-notes, refused", (refused.returncode, "does not write a release's notes" in refused.stderr), (1, True))
    check("nothing made", gh("api", "repos/demo/hello/releases/tags/v6.0.0", ok=False).returncode, 1)

check("the list at the end, two per page", listed("repos/demo/hello/releases?per_page=2"), SEED)

# An asset deleted by its id, then gone.
doomed = with_assets["assets"][-1]
gh("api", "-X", "DELETE", f"repos/demo/hello/releases/assets/{doomed['id']}")
after = api("repos/demo/hello/releases/tags/v1.1.0")
check("assets after the delete", [a["name"] for a in after["assets"]], [a["name"] for a in with_assets["assets"][:-1]])
gone_asset = gh("api", f"repos/demo/hello/releases/assets/{doomed['id']}", ok=False)
check("deleted asset", (gone_asset.returncode, "(HTTP 404)" in gone_asset.stderr), (1, True))
print("gh: all release calls answered as GitHub would")
