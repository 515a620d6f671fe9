"""A DoltHub script, written as DoltHub's API docs show one (Python `requests`,
pinned in requirements.txt, with an `authorization: token …` header), against
forgebridge's demo: the release list walked by `next_page_token`, a release
created, the same again (refused), and the list read back, each checked
against the demo's seed, for the upstream the demo simulates.

    python dolthub_requests_check.py URL [UPSTREAM]

UPSTREAM is the simulated forge's dialect: gitlab (the default), github,
sentry, or dolthub (the same-dialect pass-through). Exits non-zero, naming the
first wrong answer."""
import sys

import requests

from common import SEED
from common import checker

URL = sys.argv[1].rstrip("/")
UPSTREAM = sys.argv[2] if len(sys.argv) > 2 else "gitlab"
check = checker(f"DoltHub script ({UPSTREAM} upstream)")
RELEASES = f"{URL}/api/v1alpha1/demo/hello/releases"
headers = {"authorization": "token dhat.demo"}


def releases():
    """Every release, page after page, as DoltHub's list gives them."""
    out, params, pages = [], {}, 0
    while True:
        pages += 1
        check("a list that ends", pages <= 20, True)
        res = requests.get(RELEASES, headers=headers, params=params, timeout=30)
        check(f"GET {res.url}", res.status_code, 200)
        body = res.json()
        check("list status", body["status"], "Success")
        check("list database", (body["database_owner"], body["database_name"]), ("demo", "hello"))
        out.extend(body["releases"])
        token = body.get("next_page_token")
        if not token:
            return out
        params = {"next_page_token": token}


listed = releases()
check("tags", [r["release_tag"] for r in listed], [r["tag"] for r in SEED])
for got, want in zip(listed, SEED):
    tag = want["tag"]
    # Sentry keeps no title or notes: the tag, and none.
    title, notes = (tag, "") if UPSTREAM == "sentry" else (want["name"], want["body"])
    check(f"{tag} title", got["release_title"], title)
    check(f"{tag} description", got["release_description"], notes)
    check(f"{tag} created", got["release_created_at"], want["published_at"])

new = {
    "tag": "v3.0.0",
    "title": "Three",
    "commitSha": "main",
    "description": "The third.",
    "createTagIfNotExists": True,
}
res = requests.post(RELEASES, headers=headers, json=new, timeout=30)
check("create status", res.status_code, 200)
made = res.json()
check("create answer status", made["status"], "Success")
check("created tag", made["release_tag"], "v3.0.0")
check("created database", (made["database_owner"], made["database_name"]), ("demo", "hello"))

res = requests.post(RELEASES, headers=headers, json=new, timeout=30)
check("duplicate status", res.status_code, 400)
check("duplicate answer status", res.json()["status"], "Error")

after = [r["release_tag"] for r in releases()]
check("v3.0.0 listed once", after.count("v3.0.0"), 1)
check("the seed still listed", [t for t in after if t != "v3.0.0"], [r["tag"] for r in SEED])
print(f"DoltHub script ({UPSTREAM} upstream): {len(listed)} releases listed, one created, the duplicate refused")
