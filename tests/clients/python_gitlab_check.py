"""python-gitlab against forgebridge's demo with GitLab clients accepted: the
same-dialect pass-through (GitLab client, simulated GitLab upstream), or a
simulated GitHub or Gitea upstream translated (give `github` or `gitea` as the
second argument).
Every release call python-gitlab makes, checked against the demo's seed.

    python python_gitlab_check.py http://127.0.0.1:PORT [github|gitea [SIMULATED_FORGE_URL]]

Exits non-zero, naming the first wrong answer."""
import json
import sys
import urllib.request

import gitlab
from common import SEED as DEMO_SEED
from common import checker

BASE = sys.argv[1]
# GitHub's paging says how many pages there are, not how many releases: the
# gateway sends no X-Total then, as GitLab itself does for very long lists.
TOTAL = None if sys.argv[2:3] == ["github"] else 3
SEED = [(r["tag"], r["name"], r["body"], r["published_at"]) for r in DEMO_SEED]
check = checker("python-gitlab")


def seen(releases):
    fields = ("tag_name", "name", "description", "released_at")
    return [tuple(getattr(r, f, None) for f in fields) for r in releases]


gl = gitlab.Gitlab(BASE, private_token="glpat-demo", retry_transient_errors=False)
project = gl.projects.get("demo/hello", lazy=True)  # sent as demo%2Fhello

# GET /version: the simulated GitLab's answer through the pass-through, the
# gateway's own (the API level of its GitLab mapping) in front of other forges;
# the same words either way.
check("gl.version()", gl.version(), ("15.11.0", "forgebridge"))

# A project's number the gateway never gave (a CI job's, or another replica's):
# read from the simulated forge itself, before anything here reads the project.
# The gateway finds the project by that number upstream.
if len(sys.argv) > 3:
    root = "/api/v1" if sys.argv[2] == "gitea" else ""
    with urllib.request.urlopen(f"{sys.argv[3]}{root}/repos/demo/hello") as answer:
        number = json.load(answer)["id"]
    numbered = gl.projects.get(number)
    check("projects.get(number the gateway never gave): paths", (numbered.id, numbered.path_with_namespace), (number, "demo/hello"))
    check("its releases, by that number", seen(numbered.releases.list(get_all=True)), SEED)

# python-gitlab's default: projects.get reads the project (goreleaser reads its
# default branch so).
full = gl.projects.get("demo/hello")
check("projects.get: paths", (full.path_with_namespace, full.path, full.namespace["full_path"]), ("demo/hello", "hello", "demo"))
check("projects.get: default branch, visibility", (full.default_branch, full.visibility), ("main", "public"))
check("projects.get: an integer id", isinstance(full.id, int), True)
# ... and then asks for its releases by that id (/projects/{id}/releases),
# which the gateway knows from the read in front of a forge that has no ids.
check("releases of the project read, by its id", seen(full.releases.list(get_all=True)), SEED)
check("one of them, by its id", full.releases.get("v1.1.0").tag_name, "v1.1.0")

# A tag, by its name (sent as release%2F2.0); one that does not exist is a 404.
tag = project.tags.get("release/2.0")
check("tags.get: name, commit", (tag.name, len(tag.commit["id"]), tag.target == tag.commit["id"]), ("release/2.0", 40, True))
try:
    project.tags.get("v9.9.9")
    check("tags.get of a tag that does not exist", "found", "GitlabGetError 404")
except gitlab.exceptions.GitlabGetError as e:
    check("tags.get of a tag that does not exist", e.response_code, 404)

# per_page=1: python-gitlab walks the list through the paging headers.
pages = project.releases.list(iterator=True, per_page=1)
releases = list(pages)
check("the release list, one per page", seen(releases), SEED)
check("total pages", (pages.total_pages, pages.total), (3, TOTAL))

one = project.releases.get("release/2.0")  # a tag with a slash, sent encoded
check("get by tag", seen([one]), SEED[:1])

# Each release's links, one per page through the paging headers, as the release lists them.
for r in DEMO_SEED:
    release = project.releases.get(r["tag"])
    links = list(release.links.list(iterator=True, per_page=1))
    want = [tuple(a) for a in r["assets"]]
    check(f"{r['tag']}: links, one per page", [(l.name, l.url) for l in links], want)
    check(
        f"{r['tag']}: links in the release",
        [(l["id"], l["name"]) for l in release.assets["links"]],
        [(l.id, l.name) for l in links],
    )
    for l in links:
        one = release.links.get(l.id)
        check(f"{r['tag']}: link {l.name}", (one.id, one.name, one.url), (l.id, l.name, l.url))

created = project.releases.create({"tag_name": "v3.0.0", "name": "Three", "description": "Notes.", "ref": "main"})
check("created", (created.tag_name, created.name, created.description), ("v3.0.0", "Three", "Notes."))
created.name = "Three, renamed"
created.description = "New notes."
created.save()
again = project.releases.get("v3.0.0")
check("read after update", (again.name, again.description), ("Three, renamed", "New notes."))
project.releases.delete("v3.0.0")
try:
    project.releases.get("v3.0.0")
    sys.exit("python-gitlab: the deleted release is still there")
except gitlab.exceptions.GitlabGetError as e:
    check("deleted release: status", e.response_code, 404)

try:
    project.releases.get("v9.9.9")
    sys.exit("python-gitlab: a missing tag was found")
except gitlab.exceptions.GitlabGetError as e:
    check("missing tag: status", e.response_code, 404)

check("the list at the end", seen(project.releases.list(get_all=True)), SEED)

# A link deleted, then gone from its release.
v11 = project.releases.get("v1.1.0")
doomed = v11.assets["links"][-1]
v11.links.delete(doomed["id"])
left = [l.name for l in v11.links.list(get_all=True)]
check("links after the delete", left, [l["name"] for l in v11.assets["links"][:-1]])
try:
    v11.links.get(doomed["id"])
    sys.exit("python-gitlab: the deleted link is still there")
except gitlab.exceptions.GitlabGetError as e:
    check("deleted link: status", e.response_code, 404)

# A link made to a file kept elsewhere: GitLab keeps it; the forges whose
# releases keep files themselves refuse it, with the reason, and make nothing.
UPSTREAM = (sys.argv[2:] or ["gitlab"])[0]
made = {"name": "checksums.sha256", "url": "https://downloads.example.com/hello/checksums.sha256", "link_type": "other"}
if UPSTREAM == "gitlab":
    link = v11.links.create(made)
    check("link made", (link.name, link.url, link.link_type), (made["name"], made["url"], "other"))
    check("link listed", [l.name for l in v11.links.list(get_all=True)][-1], made["name"])
    link.link_type = "package"
    link.save()
    check("link edited", v11.links.get(link.id).link_type, "package")
    v11.links.delete(link.id)
else:
    try:
        v11.links.create(made)
        sys.exit("python-gitlab: a link was made on a forge that keeps files itself")
    except gitlab.exceptions.GitlabCreateError as e:
        check("link refused: status", e.response_code, 501)
        check("link refused: the reason", "upload the file to the release" in str(e.error_message), True)
    check("nothing linked", [l.name for l in v11.links.list(get_all=True)], left)

# A file attached as python-gitlab's documentation and glab do: kept in the
# project (`project.upload`), then linked to the release at the URL that
# answer gives. GitHub Enterprise and Gitea keep files in releases only: the
# gateway holds the kept file, and the link uploads it to the release, from
# where it downloads as it went.
# (The project read first: python-gitlab writes a lazy project's path into
# the upload's URL encoded twice.)
uploaded = gl.projects.get("demo/hello").upload("hello.txt", filedata=b"hello from python-gitlab")
check("file kept: its markdown", uploaded["markdown"], f"[hello.txt]({uploaded['url']})")
attached = v11.links.create({"name": "hello.txt", "url": f"{BASE}/demo/hello{uploaded['url']}"})
check("file linked", attached.name, "hello.txt")
check("file linked, listed", [l.name for l in v11.links.list(get_all=True)][-1], "hello.txt")
if UPSTREAM != "gitlab":
    with urllib.request.urlopen(attached.url) as got:
        check("file linked, downloaded", got.read(), b"hello from python-gitlab")
v11.links.delete(attached.id)

# A release created with links to files kept first (semantic-release's and
# release-it's GitLab way): in front of GitHub and Gitea the gateway makes
# the release, then uploads the held files to it.
full = gl.projects.get("demo/hello")
notes = full.upload("notes.txt", filedata=b"release notes")
four = project.releases.create({
    "tag_name": "v4.0.0", "name": "Four", "description": "With a file.", "ref": "main",
    "assets": {"links": [{"name": "notes.txt", "url": f"{BASE}/demo/hello{notes['url']}"}]},
})
check("created with a file", [l["name"] for l in four.assets["links"]], ["notes.txt"])
if UPSTREAM != "gitlab":
    with urllib.request.urlopen(four.assets["links"][0]["url"]) as got:
        check("created with a file, downloaded", got.read(), b"release notes")
project.releases.delete("v4.0.0")

# A link renamed (python-gitlab sends what changed), in every forge; a new
# URL only where the link is GitLab's own.
first = v11.links.list(get_all=True)[0]
first.name = "renamed.tar.gz"
first.save()
check("link renamed", v11.links.get(first.id).name, "renamed.tar.gz")
first.url = "https://downloads.example.com/elsewhere.tar.gz"
if UPSTREAM == "gitlab":
    first.save()
    check("link moved", v11.links.get(first.id).url, first.url)
else:
    try:
        first.save()
        sys.exit("python-gitlab: a file's URL was changed on a forge that keeps the file")
    except gitlab.exceptions.GitlabUpdateError as e:
        check("link moved, refused: status", e.response_code, 501)
print("python-gitlab: all release calls answered as GitLab would")
