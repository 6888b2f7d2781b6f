// A hostile client in its own process (so its own work is not timed as the
// service's): POSTs a file's bytes and prints {status, ms, body} as JSON, where
// ms is the time until the response arrived (the service may answer before the
// whole body is sent).
import process from 'node:process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const [url, file, headers] = process.argv.slice(2);
const body = readFileSync(file);
const start = performance.now();
const req = http.request(url, { method: 'POST', headers: { ...JSON.parse(headers), 'content-length': body.length } });
req.on('response', (res) => {
  const ms = performance.now() - start;
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (d) => (text += d));
  res.on('end', () => {
    process.stdout.write(JSON.stringify({ status: res.statusCode, ms, body: text }));
    process.exit(0);
  });
});
req.on('error', () => {}); // EPIPE / reset after an early answer
req.end(body);
