"""giteapy (the Python client generated from Gitea's API description) against
forgebridge's demo with Gitea clients accepted, in front of a simulated GitLab
(or GitHub: give `github` as the second argument). Every release call it makes,
checked against the demo's seed.

    python giteapy_check.py http://127.0.0.1:PORT [github]

Exits non-zero, naming the first wrong answer."""
import os
import sys
import tempfile
import urllib.request
from datetime import datetime

import giteapy
from common import SEED as DEMO_SEED
from common import checker
from giteapy.rest import ApiException

BASE = sys.argv[1]
GITHUB = sys.argv[2:] == ["github"]
SEED = [(r["tag"], r["name"], r["body"], datetime.fromisoformat(r["published_at"])) for r in DEMO_SEED]
check = checker("giteapy")


def seen(releases):
    return [(r.tag_name, r.name, r.body, r.published_at) for r in releases]


def status_of(call):
    try:
        call()
    except ApiException as e:
        return e.status
    return 200


cfg = giteapy.Configuration()
cfg.host = BASE + "/api/v1"
cfg.api_key["Authorization"] = "glpat-demo"
cfg.api_key_prefix["Authorization"] = "token"
api = giteapy.RepositoryApi(giteapy.ApiClient(cfg))
O, R = "demo", "hello"

# The repository, as tea and Gitea's SDKs read it before its releases.
repo = api.repo_get(O, R)
check("repo_get: names", (repo.full_name, repo.name, repo.owner.login), (f"{O}/{R}", R, O))
check("repo_get: default branch, private", (repo.default_branch, repo.private), ("main", False))

# GET /version, which Gitea's SDKs ask first: the gateway answers with the API
# level of its Gitea mapping.
check("the server version", giteapy.MiscellaneousApi(giteapy.ApiClient(cfg)).get_version().version, "1.22.0")

# giteapy pages with `page` and the older `per_page`; it reads no headers, so
# it walks pages until one comes back empty.
walked, page = [], 1
while True:
    got = api.repo_list_releases(O, R, page=page, per_page=1)
    if not got:
        break
    walked += got
    page += 1
check("the release list, one per page", seen(walked), SEED)
check("one page of two", seen(api.repo_list_releases(O, R, page=1, per_page=2)), SEED[:2])

for r, want in zip(walked, DEMO_SEED):
    one = api.repo_get_release(O, R, r.id)
    check(f"{want['tag']}: get by id", seen([one]), seen([r]))
    check(f"{want['tag']}: author", one.author.login, "demo")
    assets = api.repo_list_release_attachments(O, R, r.id)
    check(f"{want['tag']}: attachments", [(a.name, a.browser_download_url) for a in assets], [tuple(a) for a in want["assets"]])
    check(f"{want['tag']}: attachments in the release", [a.id for a in one.assets], [a.id for a in assets])
    for a in assets:
        got = api.repo_get_release_attachment(O, R, r.id, a.id)
        check(f"{want['tag']}: attachment {a.name}", (got.id, got.name), (a.id, a.name))

created = api.repo_create_release(
    O, R, body=giteapy.CreateReleaseOption(tag_name="v3.0.0", name="Three", body="Notes.", target_commitish="main")
)
check("created", (created.tag_name, created.name, created.body), ("v3.0.0", "Three", "Notes."))
edited = api.repo_edit_release(O, R, created.id, body=giteapy.EditReleaseOption(name="Three, renamed", body="New notes."))
check("edited", (edited.id, edited.name, edited.body), (created.id, "Three, renamed", "New notes."))
again = api.repo_get_release(O, R, created.id)
check("read after edit", (again.name, again.body), ("Three, renamed", "New notes."))
# A second release on the same tag: Gitea's 409, whatever the forge behind.
check(
    "duplicate: status",
    status_of(lambda: api.repo_create_release(O, R, body=giteapy.CreateReleaseOption(tag_name="v3.0.0"))),
    409,
)
if not GITHUB:
    # What GitLab cannot do is refused with 501, and nothing is created.
    check(
        "draft: status",
        status_of(lambda: api.repo_create_release(O, R, body=giteapy.CreateReleaseOption(tag_name="v4.0.0", draft=True))),
        501,
    )
api.repo_delete_release(O, R, created.id)
check("deleted release: status", status_of(lambda: api.repo_get_release(O, R, created.id)), 404)
check("the list at the end", seen(api.repo_list_releases(O, R, per_page=50)), SEED)

# An attachment deleted, then gone from its release.
v11 = next(r for r in walked if r.tag_name == "v1.1.0")
assets = api.repo_list_release_attachments(O, R, v11.id)
api.repo_delete_release_attachment(O, R, v11.id, assets[-1].id)
left = api.repo_list_release_attachments(O, R, v11.id)
check("attachments after the delete", [a.name for a in left], [a.name for a in assets[:-1]])
check(
    "deleted attachment: status",
    status_of(lambda: api.repo_get_release_attachment(O, R, v11.id, assets[-1].id)),
    404,
)

# An attachment renamed: the forge's asset takes the new name.
renamed = api.repo_edit_release_attachment(O, R, v11.id, left[0].id, body=giteapy.EditAttachmentOptions(name="renamed.tar.gz"))
check("attachment renamed", (renamed.id, renamed.name), (left[0].id, "renamed.tar.gz"))
check("attachment renamed, read again", api.repo_get_release_attachment(O, R, v11.id, left[0].id).name, "renamed.tar.gz")

# A file uploaded as Gitea's SDKs send one (the form field `attachment`):
# GitLab keeps it in the project and links it to the release; GitHub
# Enterprise (the simulated GitHub is addressed at /api/v3) takes it at its
# upload root beside the API. Either way the file comes back as it went.
with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    f.write("hello from giteapy")
up = api.repo_create_release_attachment(O, R, v11.id, f.name, name="notes.txt")
check("attachment uploaded", (up.name, up.size), ("notes.txt", 18))
listed = api.repo_list_release_attachments(O, R, v11.id)
check("attachment uploaded, listed", listed[-1].name, "notes.txt")
with urllib.request.urlopen(up.browser_download_url) as got:
    check("attachment uploaded, downloaded", got.read(), b"hello from giteapy")
api.repo_delete_release_attachment(O, R, v11.id, up.id)
os.unlink(f.name)
print("giteapy: all release calls answered as Gitea would")
