// A stock Yjs + graphql-ws client that co-edits a 1:1's shared notes with the server, as the
// session's Team Member (SPEC §6). Driven by tests/api/yjs_client.rs; see README.md.
//
// Environment: COACH_HTTP_URL (http://host:port), COACH_WS_URL (ws://host:port/graphql/ws),
// COACH_TOKEN (the member's bearer token), COACH_SESSION (the 1:1 id).
//
// Conversation with the driver, one JSON object per line:
//   stdout {"step":"ready"}                 loaded both notes, subscribed (Subscribed seen)
//   stdout {"step":"memberEdited",version}  this client's first round of edits is on the server
//   stdin  {"cmd":"finish",leaderVersion,memberVersion}
//                                           the driver's edits are done; wait for their events
//   stdout {"step":"summary",...}           final texts, deltas and counts; then exit 0
// Any failed check or the 20 s deadline: a message on stderr and exit code 1.

import { createInterface } from 'node:readline';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import * as Y from 'yjs';

const DEADLINE_MS = 20_000;
const env = (name) => {
  const value = process.env[name];
  if (!value) fail(`${name} is not set`);
  return value;
};

let wsClient = null;
function fail(message) {
  process.stderr.write(`yjs-client: FAILED: ${message}\n`);
  try {
    wsClient?.terminate();
  } catch {}
  process.exit(1);
}
const deadline = setTimeout(
  () => fail(`no result within ${DEADLINE_MS / 1000} s (last step: ${lastStep})`),
  DEADLINE_MS,
);
let lastStep = 'start';
process.on('unhandledRejection', (e) => fail(e?.stack ?? String(e)));
process.on('uncaughtException', (e) => fail(e?.stack ?? String(e)));

function check(condition, message) {
  if (!condition) fail(typeof message === 'function' ? message() : message);
}
function checkEq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, () => `${what}:\n  actual   ${a}\n  expected ${e}`);
}
function emit(object) {
  lastStep = object.step;
  process.stdout.write(`${JSON.stringify(object)}\n`);
}

const HTTP_URL = env('COACH_HTTP_URL');
const WS_URL = env('COACH_WS_URL');
const TOKEN = env('COACH_TOKEN');
const SESSION = env('COACH_SESSION');

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const unb64 = (text) => new Uint8Array(Buffer.from(text, 'base64'));

async function gql(query, variables = {}) {
  const response = await fetch(`${HTTP_URL}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(DEADLINE_MS),
  });
  const body = await response.json();
  if (body.errors) fail(`GraphQL errors for ${query.split('{')[0].trim() || 'query'}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const NOTES = `query($id: ID!, $since: String) { oneOnOne(id: $id) {
  lastSeq leader { id } member { id }
  sharedNotes { author { id } version text stateVector update(since: $since) }
} }`;

async function notes(since) {
  const { oneOnOne } = await gql(NOTES, { id: SESSION, since });
  check(oneOnOne, 'the member cannot see the session');
  return oneOnOne;
}

/** A Y.Doc holding exactly the given base64 v1 update. */
function docFrom(update) {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, unb64(update), 'remote');
  return doc;
}
const textOf = (doc) => doc.getText('content').toString();
const deltaOf = (doc) => doc.getText('content').toDelta();
/** A state vector as a plain object, for comparisons. */
const svObject = (bytes) => Object.fromEntries([...Y.decodeStateVector(bytes)].sort(([a], [b]) => a - b));

// ---------------------------------------------------------------------------------------------
// Load both notes and subscribe.

const start = await notes(null);
const leaderId = start.leader.id;
const memberId = start.member.id;
const [leaderNote, memberNote] = start.sharedNotes;
checkEq([leaderNote.author.id, memberNote.author.id], [leaderId, memberId], 'sharedNotes order');

const leaderDoc = docFrom(leaderNote.update);
const memberDoc = docFrom(memberNote.update);
// Untouched copies of the starting state, caught up with `update(since:)` at the end.
const leaderAtStart = docFrom(leaderNote.update);
const memberAtStart = docFrom(memberNote.update);
checkEq(textOf(leaderDoc), leaderNote.text, 'leader note loaded from update');
checkEq(textOf(memberDoc), memberNote.text, 'member note loaded from update');
checkEq(svObject(Y.encodeStateVector(leaderDoc)), svObject(unb64(leaderNote.stateVector)), 'leader state vector');
checkEq(svObject(Y.encodeStateVector(memberDoc)), svObject(unb64(memberNote.stateVector)), 'member state vector');

const EVENTS = `subscription($id: ID!, $after: Int) { oneOnOneEvents(oneOnOneId: $id, afterSeq: $after) {
  __typename
  ... on Subscribed { seq }
  ... on SharedNoteEdited { seq authorId update version text }
} }`;

const counts = { updatesSent: 0, leaderEvents: 0, memberEchoes: 0, otherEvents: 0 };
const seen = { leaderVersion: leaderNote.version, memberVersion: memberNote.version, seq: start.lastSeq };
let waiters = [];
const notify = () => {
  const ready = waiters.filter((w) => w.condition());
  waiters = waiters.filter((w) => !ready.includes(w));
  ready.forEach((w) => w.resolve());
};
const until = (condition) =>
  condition() ? Promise.resolve() : new Promise((resolve) => waiters.push({ condition, resolve }));

let subscribed = false;
wsClient = createClient({
  url: WS_URL,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${TOKEN}` },
  retryAttempts: 0,
  // Lazy (the default): the socket opens with the subscription and closes after it.
});
const unsubscribe = wsClient.subscribe(
  { query: EVENTS, variables: { id: SESSION, after: start.lastSeq } },
  {
    next(message) {
      if (message.errors) fail(`subscription errors: ${JSON.stringify(message.errors)}`);
      const event = message.data.oneOnOneEvents;
      if (!subscribed) {
        checkEq(event.__typename, 'Subscribed', 'first event');
        subscribed = true;
      } else if (event.__typename === 'SharedNoteEdited') {
        check(event.seq > seen.seq, `seq went from ${seen.seq} to ${event.seq}`);
        seen.seq = event.seq;
        if (event.authorId === leaderId) {
          // Nobody else writes the leader's note: after each event our copy is the server's.
          Y.applyUpdate(leaderDoc, unb64(event.update), 'remote');
          checkEq(textOf(leaderDoc), event.text, `leader note after event v${event.version}`);
          seen.leaderVersion = event.version;
          counts.leaderEvents += 1;
        } else {
          checkEq(event.authorId, memberId, 'event author');
          // Our own edits come back too (harmless), and so do edits from our "other device".
          Y.applyUpdate(memberDoc, unb64(event.update), 'remote');
          seen.memberVersion = event.version;
          counts.memberEchoes += 1;
        }
      } else {
        counts.otherEvents += 1;
      }
      notify();
    },
    error(e) {
      fail(`subscription error: ${e?.code ?? ''} ${e?.reason ?? e?.message ?? JSON.stringify(e)}`);
    },
    complete() {},
  },
);
await until(() => subscribed);

// Local edits to our note go to the server one transaction (= one update) at a time, in order.
const ytext = memberDoc.getText('content');
const outbox = [];
memberDoc.on('update', (update, origin) => {
  if (origin !== 'remote') outbox.push(update);
});
const APPLY = `mutation($id: ID!, $u: String!) { applySharedNoteUpdate(oneOnOneId: $id, update: $u) { version text stateVector } }`;
async function send(update) {
  const { applySharedNoteUpdate: note } = await gql(APPLY, { id: SESSION, u: b64(update) });
  counts.updatesSent += 1;
  return note;
}
/** Runs one local transaction, sends its update, checks the server now has our text. */
async function edit(what, change) {
  memberDoc.transact(change, 'local');
  check(outbox.length === 1, `${what}: expected one update, got ${outbox.length}`);
  const note = await send(outbox.shift());
  checkEq(note.text, ytext.toString(), `server text after "${what}"`);
  checkEq(svObject(unb64(note.stateVector)), svObject(Y.encodeStateVector(memberDoc)), `state vector after "${what}"`);
  seen.memberVersion = Math.max(seen.memberVersion, note.version);
  return note;
}
/** The UTF-16 index just after the first occurrence of `needle`. */
function after(needle) {
  const i = ytext.toString().indexOf(needle);
  check(i >= 0, `"${needle}" not in ${JSON.stringify(ytext.toString())}`);
  return i + needle.length;
}

emit({ step: 'ready' });

// Round 1, while the driver edits the leader's note through `updateSharedNote`.
// The member note starts as "Hi 😀 there" (written by the server's text diff).
await edit('bold insert after an emoji', () => ytext.insert(after('😀'), ' 𝄞bold👩‍💻', { bold: true }));
await edit('plain line after a ZWJ sequence', () => ytext.insert(ytext.length, '\nnext: 😀👩‍💻 end'));
await edit('insert between two non-BMP characters', () => ytext.insert(after('next: 😀'), 'x'));
await edit('delete a range with a surrogate pair', () => ytext.delete(after('Hi'), ' 😀'.length));
await edit('italic across a non-BMP character', () => ytext.format(after('next: '), '😀x'.length, { italic: true }));
// A whole-document sync on top: everything in it is already on the server.
{
  const note = await send(Y.encodeStateAsUpdate(memberDoc));
  checkEq(note.text, ytext.toString(), 'server text after a redundant full-state update');
}
emit({ step: 'memberEdited', version: seen.memberVersion, text: ytext.toString() });

// The driver now edits our note from the server side too ("another device"), then tells us the
// versions to wait for.
const lines = createInterface({ input: process.stdin });
const command = await new Promise((resolve) => lines.once('line', (line) => resolve(JSON.parse(line))));
checkEq(command.cmd, 'finish', 'driver command');
lastStep = 'waiting for events';
await until(() => seen.leaderVersion >= command.leaderVersion && seen.memberVersion >= command.memberVersion);

// Round 2: edit on top of the server-made change, deleting what it inserted.
await edit('delete the server-inserted emoji', () => ytext.delete(after('Hi') + ' 𝄞bold👩‍💻'.length, '🎉'.length));
await edit('italic insert after the last emoji', () => ytext.insert(ytext.length, ' 😀fin', { italic: true }));
lastStep = 'catching up';

// Catch-up: `update(since:)` for our state vectors adds nothing; for the start copies it brings
// them to exactly our live copies; a fresh full load agrees with them, formatting included.
const leaderSv = b64(Y.encodeStateVector(leaderDoc));
const memberSv = b64(Y.encodeStateVector(memberDoc));
{
  const { oneOnOne } = await gql(
    `query($id: ID!, $l: String, $m: String, $ls: String, $ms: String) { oneOnOne(id: $id) {
      a: sharedNotes { text update(since: $l) } b: sharedNotes { update(since: $m) }
      c: sharedNotes { update(since: $ls) } d: sharedNotes { update(since: $ms) } full: sharedNotes { update }
    } }`,
    {
      id: SESSION,
      l: leaderSv,
      m: memberSv,
      ls: b64(Y.encodeStateVector(leaderAtStart)),
      ms: b64(Y.encodeStateVector(memberAtStart)),
    },
  );
  const [serverLeaderText, serverMemberText] = oneOnOne.a.map((n) => n.text);
  checkEq(textOf(leaderDoc), serverLeaderText, 'leader note: live copy vs server');
  checkEq(textOf(memberDoc), serverMemberText, 'member note: live copy vs server');

  const beforeLeader = Y.encodeStateAsUpdate(leaderDoc);
  Y.applyUpdate(leaderDoc, unb64(oneOnOne.a[0].update), 'remote');
  Y.applyUpdate(memberDoc, unb64(oneOnOne.b[1].update), 'remote');
  checkEq(textOf(leaderDoc), serverLeaderText, 'leader note after an empty catch-up');
  checkEq(Buffer.compare(Buffer.from(beforeLeader), Buffer.from(Y.encodeStateAsUpdate(leaderDoc))), 0, 'leader catch-up changed nothing');
  check(outbox.length === 0, 'catch-up produced local updates');

  Y.applyUpdate(leaderAtStart, unb64(oneOnOne.c[0].update), 'remote');
  Y.applyUpdate(memberAtStart, unb64(oneOnOne.d[1].update), 'remote');
  checkEq(deltaOf(leaderAtStart), deltaOf(leaderDoc), 'leader note: start copy caught up');
  checkEq(deltaOf(memberAtStart), deltaOf(memberDoc), 'member note: start copy caught up');
  check(leaderAtStart.store.pendingStructs === null, 'leader catch-up left pending structs');
  check(memberAtStart.store.pendingStructs === null, 'member catch-up left pending structs');

  checkEq(deltaOf(docFrom(oneOnOne.full[0].update)), deltaOf(leaderDoc), 'leader note: fresh full load');
  checkEq(deltaOf(docFrom(oneOnOne.full[1].update)), deltaOf(memberDoc), 'member note: fresh full load');
}

unsubscribe();
await wsClient.dispose();
wsClient = null;
lines.close();
clearTimeout(deadline);
emit({
  step: 'summary',
  leaderText: textOf(leaderDoc),
  memberText: textOf(memberDoc),
  leaderDelta: deltaOf(leaderDoc),
  memberDelta: deltaOf(memberDoc),
  counts,
});
