#!/usr/bin/env python3
"""Writes GitLab-shaped release JSON for the benchmarks: list1.json (~4 KB),
list20.json (~80 KB), list100.json (~1 MB) and release.json (one release), built
from the release example of the GitLab Releases API docs, deterministically."""
import json
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else "bench/out/data"

LINE = "- Escape label and milestone titles to prevent XSS in GLFM autocomplete. !2740\r\n"


def release(i, desc_lines):
    tag = f"v{i // 100}.{i // 10 % 10}.{i % 10}"
    base = "https://gitlab.example.com/root/awesome-app"
    return {
        "tag_name": tag,
        "description": "## CHANGELOG\r\n\r\n" + LINE * desc_lines,
        "name": f"Awesome app {tag}",
        "created_at": "2019-01-03T01:56:19.539Z",
        "released_at": "2019-01-03T01:56:19.539Z",
        "upcoming_release": False,
        "author": {
            "id": 1, "name": "Administrator", "username": "root", "state": "active",
            "avatar_url": "https://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=80&d=identicon",
            "web_url": "https://gitlab.example.com/root",
        },
        "commit": {
            "id": f"{i:040x}", "short_id": f"{i:08x}", "title": "Update README.md",
            "created_at": "2019-01-03T01:55:38.000Z", "parent_ids": ["f8d3d94cbd347e924aa7b715845e439d00e80ca4"],
            "message": "Update README.md", "author_name": "Administrator", "author_email": "admin@example.com",
            "authored_date": "2019-01-03T01:55:38.000Z", "committer_name": "Administrator",
            "committer_email": "admin@example.com", "committed_date": "2019-01-03T01:55:38.000Z",
        },
        "milestones": [
            {
                "id": 51, "iid": 1, "project_id": 24, "title": "v1.0-rc",
                "description": "Voluptate fugiat possimus quis quod aliquam expedita.", "state": "closed",
                "created_at": "2019-07-12T19:45:44.256Z", "updated_at": "2019-07-12T19:45:44.256Z",
                "due_date": "2019-08-16", "start_date": "2019-07-30",
                "web_url": f"{base}/-/milestones/1", "issue_stats": {"total": 98, "closed": 76},
            }
        ],
        "commit_path": f"/root/awesome-app/commit/{i:040x}",
        "tag_path": f"/root/awesome-app/-/tags/{tag}",
        "assets": {
            "count": 6,
            "sources": [
                {"format": f, "url": f"{base}/-/archive/{tag}/awesome-app-{tag}.{f}"}
                for f in ("zip", "tar.gz", "tar.bz2", "tar")
            ],
            "links": [
                {"id": 2 * i + 1, "name": f"awesome-{tag}.msi", "url": f"{base}/-/releases/{tag}/downloads/awesome.msi",
                 "direct_asset_url": f"{base}/-/releases/{tag}/downloads/awesome.msi", "link_type": "other"},
                {"id": 2 * i + 2, "name": f"awesome-{tag}.dmg", "url": f"{base}/-/releases/{tag}/downloads/awesome.dmg",
                 "direct_asset_url": f"{base}/-/releases/{tag}/downloads/awesome.dmg", "link_type": "package"},
            ],
            "evidence_file_path": f"{base}/-/releases/{tag}/evidence.json",
        },
        "evidences": [
            {"sha": "760d6cdfb0879c3ffedec13af470e0f71cf52c6cde4d",
             "filepath": f"{base}/-/releases/{tag}/evidence.json", "collected_at": "2019-01-03T01:56:19.539Z"}
        ],
        "_links": {
            "closed_issues_url": f"{base}/-/issues?release_tag={tag}&scope=all&state=closed",
            "closed_merge_requests_url": f"{base}/-/merge_requests?release_tag={tag}&scope=all&state=closed",
            "edit_url": f"{base}/-/releases/{tag}/edit",
            "merged_merge_requests_url": f"{base}/-/merge_requests?release_tag={tag}&scope=all&state=merged",
            "opened_issues_url": f"{base}/-/issues?release_tag={tag}&scope=all&state=opened",
            "opened_merge_requests_url": f"{base}/-/merge_requests?release_tag={tag}&scope=all&state=opened",
            "self": f"{base}/-/releases/{tag}",
        },
    }


def dump(path, value):
    with open(path, "w") as f:
        json.dump(value, f, separators=(",", ":"))
    return len(json.dumps(value, separators=(",", ":")))


if __name__ == "__main__":
    import os
    os.makedirs(OUT, exist_ok=True)
    sizes = {
        "list1.json": dump(f"{OUT}/list1.json", [release(100, 8)]),
        "list20.json": dump(f"{OUT}/list20.json", [release(100 - i, 8) for i in range(20)]),
        "list100.json": dump(f"{OUT}/list100.json", [release(100 - i, 80) for i in range(100)]),
        "release.json": dump(f"{OUT}/release.json", release(100, 8)),
    }
    for k, v in sizes.items():
        print(f"{k}: {v} bytes", file=sys.stderr)
