// api.js - the console's only way to the server: the public REST API.
//
// Every screen calls the functions below and nothing else, so this file
// lists all the API the console uses.  The session token lives in
// sessionStorage (it ends with the tab, and is never written where another
// tab or a later visitor would find it) and goes out as
// `Authorization: Bearer`; no cookie is ever set or sent.  A failure comes
// back as an ApiError carrying the problem document's `detail` and
// `errors[]` (RFC 9457), which forms show in place.

const BASE = "/api/v1";
const TOKEN_KEY = "isacd.token";

export class ApiError extends Error {
  constructor(status, problem) {
    const detail = problem?.detail || problem?.title || `the server answered ${status}`;
    super(detail);
    this.status = status;
    this.type = problem?.type || "about:blank";
    this.detail = detail;
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
  }
}

let onExpired = () => {};
/** fn runs when the server refuses the stored token (401): sign in again. */
export function whenExpired(fn) {
  onExpired = fn;
}

/** The server ended the session some other way (a WebSocket closed 1008). */
export function sessionEnded() {
  const had = token();
  clearToken();
  if (had) onExpired(new ApiError(401, { detail: "your session has ended: sign in again" }));
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}
export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** A key for a creating POST: a retry (a double click) creates nothing new. */
export function idempotencyKey() {
  return crypto.randomUUID();
}

async function call(method, path, { body, query, key } = {}) {
  const headers = { Accept: "application/json" };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  let url = BASE + path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
    if ([...q].length) url += `?${q}`;
  }
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
    });
  } catch {
    throw new ApiError(0, { detail: "the server could not be reached; check the connection and try again" });
  }
  if (res.status === 204) {
    await res.text(); // read to its end: an unread answer counts as aborted
    return null;
  }
  let data = null;
  const type = res.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (res.ok) return data;
  const err = new ApiError(res.status, data);
  if (res.status === 401 && bearer) {
    clearToken();
    onExpired(err);
  }
  throw err;
}

const id = (value) => encodeURIComponent(value);

// ---- session and account ---------------------------------------------------
export const login = (email, password, totp) =>
  call("POST", "/auth/login", { body: totp ? { email, password, totp } : { email, password } });
export const logout = () => call("POST", "/auth/logout");
export const me = () => call("GET", "/me");
export const updateMe = (body) => call("PATCH", "/me", { body });
export const totpEnrol = () => call("POST", "/me/totp");
export const totpConfirm = (code) => call("POST", "/me/totp/confirm", { body: { code } });
export const totpRemove = (code) => call("DELETE", "/me/totp", { body: { code } });
export const tokens = (cursor) => call("GET", "/me/tokens", { query: { cursor } });
export const createToken = (body) => call("POST", "/me/tokens", { body });
export const revokeToken = (tokenId) => call("DELETE", `/me/tokens/${id(tokenId)}`);
export const exportMe = () => call("GET", "/me/export");
export const deleteMe = (password) => call("DELETE", "/me", { body: { password } });
export const acceptInvite = (body) => call("POST", "/invites/accept", { body });

// ---- organisations -----------------------------------------------------------
export const organisations = (cursor, limit = 200) => call("GET", "/organisations", { query: { cursor, limit } });
export const createOrganisation = (body) => call("POST", "/organisations", { body });
export const updateOrganisation = (orgId, body) => call("PATCH", `/organisations/${id(orgId)}`, { body });

// ---- communities -------------------------------------------------------------
export const communities = (cursor) => call("GET", "/communities", { query: { cursor, limit: 200 } });
export const community = (cid) => call("GET", `/communities/${id(cid)}`);
export const createCommunity = (body) => call("POST", "/communities", { body });
export const members = (cid, cursor) =>
  call("GET", `/communities/${id(cid)}/members`, { query: { cursor, limit: 200 } });
export const updateMember = (cid, uid, body) =>
  call("PATCH", `/communities/${id(cid)}/members/${id(uid)}`, { body });
export const removeMember = (cid, uid) => call("DELETE", `/communities/${id(cid)}/members/${id(uid)}`);
export const invites = (cid, cursor) => call("GET", `/communities/${id(cid)}/invites`, { query: { cursor } });
export const createInvite = (cid, body) => call("POST", `/communities/${id(cid)}/invites`, { body });
export const revokeInvite = (cid, inviteId) =>
  call("DELETE", `/communities/${id(cid)}/invites/${id(inviteId)}`);
export const askToJoin = (cid, body) => call("POST", `/communities/${id(cid)}/join-requests`, { body });
export const joinRequests = (cid, cursor) =>
  call("GET", `/communities/${id(cid)}/join-requests`, { query: { cursor } });
export const decideJoinRequest = (cid, rid, verdict) =>
  call("POST", `/communities/${id(cid)}/join-requests/${id(rid)}/${verdict === "approve" ? "approve" : "deny"}`);
export const retention = (cid) => call("GET", `/communities/${id(cid)}/retention`);
export const threatPicture = (cid, weeks) => call("GET", `/communities/${id(cid)}/threat-picture`, { query: { weeks } });
export const benchmark = (cid) => call("GET", `/communities/${id(cid)}/assessment-benchmark`);
export const updateCommunity = (cid, body) => call("PATCH", `/communities/${id(cid)}`, { body });
export const audit = (cid, cursor) => call("GET", `/communities/${id(cid)}/audit`, { query: { cursor } });

// ---- channels ------------------------------------------------------------------
export const channels = (cid) => call("GET", `/communities/${id(cid)}/channels`, { query: { limit: 200 } });
export const channel = (chid) => call("GET", `/channels/${id(chid)}`);
export const createChannel = (cid, body) => call("POST", `/communities/${id(cid)}/channels`, { body });
export const updateChannel = (chid, body) => call("PATCH", `/channels/${id(chid)}`, { body });
export const deleteChannel = (chid) => call("DELETE", `/channels/${id(chid)}`);
export const readers = (chid, cursor) => call("GET", `/channels/${id(chid)}/members`, { query: { cursor } });
export const addReader = (chid, userId) => call("POST", `/channels/${id(chid)}/members`, { body: { user_id: userId } });
export const removeReader = (chid, userId) => call("DELETE", `/channels/${id(chid)}/members/${id(userId)}`);

// ---- posts -----------------------------------------------------------------------
export const posts = (chid, query) => call("GET", `/channels/${id(chid)}/posts`, { query });
export const createPost = (chid, body, key) => call("POST", `/channels/${id(chid)}/posts`, { body, key });
export const post = (pid) => call("GET", `/posts/${id(pid)}`);
export const updatePost = (pid, body) => call("PATCH", `/posts/${id(pid)}`, { body });
export const deletePost = (pid) => call("DELETE", `/posts/${id(pid)}`);
export const revisions = (pid, cursor) => call("GET", `/posts/${id(pid)}/revisions`, { query: { cursor } });
export const comments = (pid, cursor) => call("GET", `/posts/${id(pid)}/comments`, { query: { cursor } });
export const createComment = (pid, body, key) => call("POST", `/posts/${id(pid)}/comments`, { body: { body }, key });
export const deleteComment = (pid, commentId) => call("DELETE", `/posts/${id(pid)}/comments/${id(commentId)}`);
export const sightings = (pid) => call("GET", `/posts/${id(pid)}/sightings`);
export const createSighting = (pid, note, key) =>
  call("POST", `/posts/${id(pid)}/sightings`, { body: note ? { note } : {}, key });
export const stix = (pid) => call("GET", `/posts/${id(pid)}/stix`);

// ---- indicators and search ---------------------------------------------------------
export const indicator = (type, value, cursor) => call("GET", "/indicators", { query: { type, value, cursor } });
export const lookup = (indicators) => call("POST", "/indicators/lookup", { body: { indicators } });
export const search = (query) => call("GET", "/search", { query });

// ---- realtime ---------------------------------------------------------------------------
export const realtimeTicket = () => call("POST", "/realtime/tickets");

// ---- the agency: advisories, articles, self-assessment, threat picture -------------------
export const advisories = (cursor) => call("GET", "/advisories", { query: { cursor } });
export const advisory = (aid) => call("GET", `/advisories/${id(aid)}`);
export const createAdvisory = (body, key) => call("POST", "/advisories", { body, key });
export const updateAdvisory = (aid, body) => call("PATCH", `/advisories/${id(aid)}`, { body });
export const withdrawAdvisory = (aid) => call("POST", `/advisories/${id(aid)}/withdraw`);
export const acknowledge = (aid, body) => call("POST", `/advisories/${id(aid)}/acks`, { body });
export const acks = (aid, communityId) =>
  call("GET", `/advisories/${id(aid)}/acks`, { query: { community_id: communityId } });
export const articles = (query) => call("GET", "/articles", { query });
export const article = (slug) => call("GET", `/articles/${id(slug)}`);
export const createArticle = (body) => call("POST", "/articles", { body });
export const updateArticle = (slug, body) => call("PATCH", `/articles/${id(slug)}`, { body });
export const questionnaire = () => call("GET", "/assessment");
export const assessments = (orgId, cursor) => call("GET", `/organisations/${id(orgId)}/assessments`, { query: { cursor } });
export const submitAssessment = (orgId, body, key) =>
  call("POST", `/organisations/${id(orgId)}/assessments`, { body, key });
export const insightsThreat = (query) => call("GET", "/insights/threat-picture", { query });
export const insightsAssessments = (groupBy) => call("GET", "/insights/assessments", { query: { group_by: groupBy } });
