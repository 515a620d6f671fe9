// octokit (@octokit/rest) against forgebridge's demo (a simulated GitLab, or
// Gitea, behind a GitHub-speaking gateway): every release call, checked against
// the demo's seed.
//
//     node octokit_check.mjs http://127.0.0.1:PORT [gitlab|gitea]
//
// Exits non-zero, naming the first wrong answer.
import { Octokit } from "@octokit/rest";
import { deepStrictEqual } from "node:assert/strict";
import { readFileSync } from "node:fs";

const baseUrl = process.argv[2];
const upstream = process.argv[3] ?? "gitlab";
const repo = { owner: "demo", repo: "hello" };
// The releases the demo starts with, newest first: the file the Python checks
// read too, copied beside this script.
const SEED = JSON.parse(readFileSync(new URL("./demo_seed.json", import.meta.url), "utf8"))
  .map((r) => [r.tag, r.name, r.body, r.published_at]);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const o = new Octokit({ baseUrl, auth: "glpat-demo", log: quiet, request: { retries: 0 } });

function check(what, got, want) {
  try {
    deepStrictEqual(got, want);
  } catch {
    console.error(`octokit: ${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    process.exit(1);
  }
}
const seen = (rs) => rs.map((r) => [r.tag_name, r.name, r.body, r.published_at]);
async function status(call) {
  try {
    const r = await call();
    return [r.status, r.data];
  } catch (e) {
    if (e.status === undefined) throw e;
    return [e.status, e.response?.data];
  }
}

// per_page=1: octokit walks the list through the gateway's Link headers.
const pages = [];
for await (const page of o.paginate.iterator(o.rest.repos.listReleases, { ...repo, per_page: 1 })) {
  check("page status", page.status, 200);
  pages.push(page.data);
}
check("pages of one", pages.map((p) => p.length), [1, 1, 1]);
const releases = pages.flat();
check("the release list, one per page", seen(releases), SEED);
for (const r of releases) {
  check(`${r.tag_name}: draft, prerelease`, [r.draft, r.prerelease], [false, false]);
  check(`${r.tag_name}: url`, r.url, `${baseUrl}/repos/demo/hello/releases/${r.id}`);
}

const byTag = await o.rest.repos.getReleaseByTag({ ...repo, tag: "release/2.0" });
check("get by tag", [byTag.status, byTag.data.id, byTag.data.name], [200, releases[0].id, "Two"]);
const byId = await o.rest.repos.getRelease({ ...repo, release_id: releases[2].id });
check("get by id", [byId.data.tag_name, byId.data.name], ["v1.0.0", "First stable"]);
const latest = await o.rest.repos.getLatestRelease(repo);
check("latest", latest.data.tag_name, "release/2.0");

// A release's assets: in the release, and listed one per page through the Link headers.
const ASSETS = Object.fromEntries(
  JSON.parse(readFileSync(new URL("./demo_seed.json", import.meta.url), "utf8")).map((r) => [r.tag, r.assets]));
for (const r of releases) {
  const listed = await o.paginate(o.rest.repos.listReleaseAssets, { ...repo, release_id: r.id, per_page: 1 });
  check(`${r.tag_name}: assets, one per page`, listed.map((a) => [a.name, a.browser_download_url]), ASSETS[r.tag_name]);
  check(`${r.tag_name}: assets in the release`, r.assets.map((a) => a.id), listed.map((a) => a.id));
  for (const a of listed) {
    const one = await o.rest.repos.getReleaseAsset({ ...repo, asset_id: a.id });
    check(`${a.name}: get by id`, [one.data.id, one.data.name, one.data.url], [a.id, a.name, a.url]);
    // The file itself: GitHub's redirect to it, not followed here (the demo's
    // files are not served anywhere).
    const file = await o.rest.repos.getReleaseAsset({
      ...repo, asset_id: a.id, headers: { accept: "application/octet-stream" }, request: { redirect: "manual" },
    });
    check(`${a.name}: download redirect`, [file.status, file.headers.location], [302, a.browser_download_url]);
  }
}

const created = await o.rest.repos.createRelease({ ...repo, tag_name: "v3.0.0", name: "Three", body: "Notes.", target_commitish: "main" });
check("create: status", created.status, 201);
check("create: Location is the release's url", created.headers.location, created.data.url);
check("create: named where GitHub names a request", created.headers["x-github-request-id"], created.headers["x-request-id"]);
check("create: request id given", typeof created.headers["x-request-id"], "string");
check("created", [created.data.tag_name, created.data.name, created.data.body, created.data.draft], ["v3.0.0", "Three", "Notes.", false]);
const id = created.data.id;
const updated = await o.rest.repos.updateRelease({ ...repo, release_id: id, name: "Three, renamed", body: "New notes." });
check("updated", [updated.status, updated.data.id, updated.data.name, updated.data.body], [200, id, "Three, renamed", "New notes."]);
const again = await o.rest.repos.getReleaseByTag({ ...repo, tag: "v3.0.0" });
check("read after update", [again.data.id, again.data.name], [id, "Three, renamed"]);
const deleted = await o.rest.repos.deleteRelease({ ...repo, release_id: id });
check("delete: status", deleted.status, 204);
const [gone, goneBody] = await status(() => o.rest.repos.getReleaseByTag({ ...repo, tag: "v3.0.0" }));
check("deleted release: status", gone, 404);
check("deleted release: GitHub's error body", Object.keys(goneBody).sort(), ["documentation_url", "message", "status"]);

// A file uploaded at the release's upload_url (the gateway's): Gitea takes
// it as the request body named in the query; GitLab keeps it in the project
// and links it to the release.
const v10 = (await o.rest.repos.getReleaseByTag({ ...repo, tag: "v1.0.0" })).data;
check("upload_url is the gateway's", v10.upload_url, `${baseUrl}/repos/demo/hello/releases/${v10.id}/assets{?name,label}`);
const upload = () =>
  o.rest.repos.uploadReleaseAsset({
    ...repo,
    release_id: v10.id,
    url: v10.upload_url,
    name: "notes.txt",
    data: "hello from octokit",
    headers: { "content-type": "text/plain" },
  });
const up = await upload();
check("upload: status, name, size", [up.status, up.data.name, up.data.size], [201, "notes.txt", 18]);
// The file back, where the asset's download (followed) leads: the bytes sent.
const back = await o.rest.repos.getReleaseAsset({
  ...repo, asset_id: up.data.id, headers: { accept: "application/octet-stream" },
});
check("upload: the file back", [back.status, Buffer.from(back.data).toString()], [200, "hello from octokit"]);
const listed = await o.rest.repos.listReleaseAssets({ ...repo, release_id: v10.id });
check("upload: then listed", listed.data.map((a) => a.name).at(-1), "notes.txt");
const renamed = await o.rest.repos.updateReleaseAsset({ ...repo, asset_id: up.data.id, name: "notes-v1.txt", label: "Notes" });
check("update: status, id, name", [renamed.status, renamed.data.id, renamed.data.name], [200, up.data.id, "notes-v1.txt"]);
const rm = await o.rest.repos.deleteReleaseAsset({ ...repo, asset_id: up.data.id });
check("uploaded asset deleted", rm.status, 204);
if (upstream === "gitea") {
  // Gitea keeps drafts as GitHub does.
  const draft = await o.rest.repos.createRelease({ ...repo, tag_name: "v4.0.0", draft: true });
  check("draft", [draft.status, draft.data.draft], [201, true]);
  await o.rest.repos.deleteRelease({ ...repo, release_id: draft.data.id });
} else {
  // What GitLab cannot do is refused, in GitHub's error shape, and nothing is created.
  const [draft, draftBody] = await status(() => o.rest.repos.createRelease({ ...repo, tag_name: "v4.0.0", draft: true }));
  check("draft: status", draft, 501);
  check("draft: message names GitLab", draftBody.message.includes("GitLab"), true);
}
const [missing] = await status(() => o.rest.repos.getRelease({ ...repo, release_id: 12345 }));
check("unknown id: status", missing, 404);

const end = await o.paginate(o.rest.repos.listReleases, { ...repo, per_page: 2 });
check("the list at the end, two per page", seen(end), SEED);

// An asset deleted by its id, then gone from its release.
const v11 = (await o.rest.repos.getReleaseByTag({ ...repo, tag: "v1.1.0" })).data;
const doomed = v11.assets[v11.assets.length - 1];
const removed = await o.rest.repos.deleteReleaseAsset({ ...repo, asset_id: doomed.id });
check("asset delete: status", removed.status, 204);
const left = await o.paginate(o.rest.repos.listReleaseAssets, { ...repo, release_id: v11.id, per_page: 1 });
check("assets after the delete", left.map((a) => a.name), v11.assets.slice(0, -1).map((a) => a.name));
const [goneAsset] = await status(() => o.rest.repos.getReleaseAsset({ ...repo, asset_id: doomed.id }));
check("deleted asset: status", goneAsset, 404);
console.log("octokit: all release calls answered as GitHub would");
