"""PyGithub against forgebridge's demo (a simulated GitLab behind a GitHub-speaking
gateway, or a simulated Gitea: give `gitea` as the second argument): every
release call PyGithub makes, checked against the demo's seed. With the simulated
forge's URL as the third argument, a repository is first read by a number the
gateway never gave.

    python pygithub_check.py http://127.0.0.1:PORT [gitlab|gitea [SIMULATED_FORGE_URL]]

Exits non-zero, naming the first wrong answer."""
import json
import os
import sys
import urllib.request
import tempfile
from datetime import datetime

import github
from common import SEED as DEMO_SEED
from common import checker
from github import Auth, Github

BASE = sys.argv[1]
GITEA = sys.argv[2:3] == ["gitea"]
SEED = [(r["tag"], r["name"], r["body"], datetime.fromisoformat(r["published_at"])) for r in DEMO_SEED]
check = checker("PyGithub")


def seen(releases):
    return [(r.tag_name, r.name, r.body, r.published_at) for r in releases]


# per_page=1: the list is walked through the gateway's Link headers.
g = Github(base_url=BASE, auth=Auth.Token("glpat-demo"), per_page=1, retry=None, lazy=True)
repo = g.get_repo("demo/hello")

# The rate limit, which the gateway answers in front of another forge.
limits = g.get_rate_limit()
check("rate limit: core remaining", (limits.resources.core.remaining, limits.resources.core.limit), (5000, 5000))
check("rate limit: rate remaining", limits.rate.remaining, 5000)

# get_repo with a number the gateway never gave (another replica's, say), read
# from the simulated forge itself before anything here reads the repository:
# the gateway finds it by that number upstream.
if len(sys.argv) > 3:
    at = "/api/v1/repos/demo/hello" if GITEA else "/api/v4/projects/demo%2Fhello"
    with urllib.request.urlopen(f"{sys.argv[3]}{at}") as answer:
        number = json.load(answer)["id"]
    first = Github(base_url=BASE, auth=Auth.Token("glpat-demo"), retry=None).get_repo(number)
    check("get_repo(number the gateway never gave): names, url", (first.id, first.full_name, first.url), (number, "demo/hello", f"{BASE}/repos/demo/hello"))

# PyGithub's default: get_repo reads the repository, and its releases are then
# asked at the repository's `url` (the gateway's).
eager = Github(base_url=BASE, auth=Auth.Token("glpat-demo"), retry=None).get_repo("demo/hello")
check("get_repo: names", (eager.full_name, eager.name, eager.owner.login), ("demo/hello", "hello", "demo"))
check("get_repo: default branch, visibility", (eager.default_branch, eager.private, eager.visibility), ("main", False, "public"))
check("get_repo: url", eager.url, f"{BASE}/repos/demo/hello")
check("get_repo: its releases", [r.tag_name for r in eager.get_releases()], [t for t, *_ in SEED])
# get_repo with the repository's number: GET /repositories/{id}, answered from
# the upstream's project by that number, its URLs by path.
numbered = Github(base_url=BASE, auth=Auth.Token("glpat-demo"), retry=None).get_repo(eager.id)
check("get_repo(number): names, url", (numbered.id, numbered.full_name, numbered.url), (eager.id, "demo/hello", f"{BASE}/repos/demo/hello"))
check("get_repo(number): its releases", [r.tag_name for r in numbered.get_releases()], [t for t, *_ in SEED])

# A tag's git reference, by its name.
ref = eager.get_git_ref("tags/release/2.0")
check("get_git_ref: ref, object", (ref.ref, ref.object.type, len(ref.object.sha)), ("refs/tags/release/2.0", "commit", 40))

releases = list(repo.get_releases())
check("the release list, one per page", seen(releases), SEED)
check("the list's totalCount (from the last page's Link)", repo.get_releases().totalCount, 3)
for r in releases:
    check(f"{r.tag_name}: draft, prerelease", (r.draft, r.prerelease), (False, False))
    check(f"{r.tag_name}: url", r.url, f"{BASE}/repos/demo/hello/releases/{r.id}")

by_tag = repo.get_release("release/2.0")  # a tag with a slash, sent encoded
check("get by tag", (by_tag.id, by_tag.tag_name, by_tag.name), (releases[0].id, "release/2.0", "Two"))
by_id = repo.get_release(releases[2].id)
# A release got by id is lazy in PyGithub, and its tag_name is taken from the
# URL until the object is fetched: read another attribute first.
check("get by id", (by_id.name, by_id.tag_name), ("First stable", "v1.0.0"))
check("latest", repo.get_latest_release().tag_name, "release/2.0")

# A release's assets: in the release, and at its assets_url, one per page.
ASSETS = {r["tag"]: [tuple(a) for a in r["assets"]] for r in DEMO_SEED}
for r in releases:
    listed = list(r.get_assets())
    check(f"{r.tag_name}: assets, one per page", [(a.name, a.browser_download_url) for a in listed], ASSETS[r.tag_name])
    check(f"{r.tag_name}: assets in the release", [(a.id, a.name) for a in r.assets], [(a.id, a.name) for a in listed])
    for a in listed:
        check(f"{a.name}: url", a.url, f"{BASE}/repos/demo/hello/releases/assets/{a.id}")
        one = repo.get_release_asset(a.id)  # by its id alone, at its url
        check(f"{a.name}: get by id", (one.id, one.name, one.browser_download_url), (a.id, a.name, a.browser_download_url))

created = repo.create_git_release("v3.0.0", "Three", "Notes.", target_commitish="main")
check("created", (created.tag_name, created.name, created.body, created.draft), ("v3.0.0", "Three", "Notes.", False))
check("created: url", created.url, f"{BASE}/repos/demo/hello/releases/{created.id}")
updated = created.update_release("Three, renamed", "New notes.")
check("updated", (updated.id, updated.name, updated.body), (created.id, "Three, renamed", "New notes."))
again = repo.get_release("v3.0.0")
check("read after update", (again.id, again.name, again.body), (created.id, "Three, renamed", "New notes."))
check("latest after create", repo.get_latest_release().tag_name, "v3.0.0")
created.delete_release()
try:
    repo.get_release("v3.0.0")
    sys.exit("PyGithub: the deleted release is still there")
except github.UnknownObjectException as e:
    check("deleted release: status", e.status, 404)
    check("deleted release: GitHub's error body", sorted(e.data), ["documentation_url", "message", "status"])

if GITEA:
    # Gitea keeps drafts as GitHub does.
    draft = repo.create_git_release("v4.0.0", "Draft", "", draft=True)
    check("draft", (draft.tag_name, draft.draft), ("v4.0.0", True))
    draft.delete_release()
else:
    # What GitLab cannot do is refused, in GitHub's error shape, and nothing is created.
    try:
        repo.create_git_release("v4.0.0", "Draft", "", draft=True)
        sys.exit("PyGithub: a draft release was accepted")
    except github.GithubException as e:
        check("draft: status", e.status, 501)
        check("draft: message names GitLab", "GitLab" in e.data.get("message", ""), True)

# A file uploaded at the release's upload_url (the gateway's): Gitea takes it
# as the request body named in the query; GitLab keeps it in the project and
# links it to the release.
with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    f.write("hello from PyGithub")
target = repo.get_release("v1.0.0")
up = target.upload_asset(f.name, label="Notes", content_type="text/plain", name="notes.txt")
check("upload_asset: name, size", (up.name, up.size), ("notes.txt", 19))
check("upload_asset: then listed", [a.name for a in target.get_assets()][-1], "notes.txt")
# Renamed: the forge's asset (GitLab's link, Gitea's attachment) takes the
# new name; GitHub's label goes where the forge keeps one.
renamed = up.update_asset("notes-v1.txt", label="Notes")
check("update_asset: renamed", (renamed.id, renamed.name), (up.id, "notes-v1.txt"))
check("update_asset: then listed", [a.name for a in target.get_assets()][-1], "notes-v1.txt")
check("uploaded asset deleted", up.delete_asset(), True)
os.unlink(f.name)

try:
    repo.get_release("v9.9.9")
    sys.exit("PyGithub: a missing tag was found")
except github.UnknownObjectException as e:
    check("missing tag: status", e.status, 404)

check("the list at the end", seen(repo.get_releases()), SEED)

# An asset deleted (by its id alone), then gone from its release.
v11 = repo.get_release("v1.1.0")
doomed = v11.assets[-1]
check("asset deleted", doomed.delete_asset(), True)
left = [a.name for a in repo.get_release("v1.1.0").get_assets()]
check("assets after the delete", left, [a.name for a in v11.assets[:-1]])
try:
    repo.get_release_asset(doomed.id).name  # lazy: read once an attribute is asked for
    sys.exit("PyGithub: the deleted asset is still there")
except github.UnknownObjectException as e:
    check("deleted asset: status", e.status, 404)
print("PyGithub: all release calls answered as GitHub would")
