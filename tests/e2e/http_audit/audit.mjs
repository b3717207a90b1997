// Runs every graphql-http server audit (GraphQL-over-HTTP spec conformance) against the URL
// given as the first argument, prints a JSON summary on stdout and exits 1 when any MUST
// audit fails ("error") or any SHOULD audit is not met ("warn"). MAY audits report "notice".
//
//   node audit.mjs http://127.0.0.1:8000/graphql
//
// Exit codes: 0 all MUST and SHOULD audits pass, 1 some failed, 2 bad usage or a fatal error.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const results = [];
// One at a time: the reasons stay attributable and the server sees a realistic load.
for (const { id, name, fn } of serverAudits({ url, fetchFn: fetch })) {
  let result;
  try {
    result = await fn();
  } catch (error) {
    // An audit only throws on a fatal problem (the server is unreachable, say).
    result = { id, name, status: 'error', reason: `audit crashed: ${error?.stack ?? error}` };
  }
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    entry.reason = result.reason;
    if (result.response) {
      entry.httpStatus = result.response.status;
      entry.contentType = result.response.headers.get('content-type');
    }
  }
  results.push(entry);
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const { status } of results) counts[status] = (counts[status] ?? 0) + 1;

console.log(JSON.stringify({ url, total: results.length, counts, audits: results }, null, 2));
process.exit(counts.error > 0 || counts.warn > 0 ? 1 : 0);
