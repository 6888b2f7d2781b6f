/**
 * The dashboard's pages, rendered on the server with hono/jsx. No inline script
 * or style (the Content-Security-Policy forbids both): behaviour comes from
 * /ui/assets/app.<hash>.js, which reads the `data-*` attributes set here.
 */
import type { Child, FC } from 'hono/jsx';
import type { ApiScope } from '../../config.js';
import type { HealthReport } from '../../types.js';
import { ASSET_PATHS } from './assets.js';
import type { FeatureLine } from './feature-summary.js';

export interface Viewer {
  /** undefined: API keys are off (loopback-only service), nothing to sign out of. */
  scope: ApiScope | undefined;
}

const NAV: ReadonlyArray<readonly [string, string]> = [
  ['/ui', 'Overview'],
  ['/ui/image', 'Look up'],
  ['/ui/upload', 'Upload'],
  ['/ui/groups', 'Groups'],
  ['/ui/admin', 'Admin'],
];

export const Layout: FC<{ title: string; path: string; viewer?: Viewer; children?: Child }> = ({ title, path, viewer, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · featcache`}</title>
      <link rel="stylesheet" href={ASSET_PATHS.css} />
      <script src={ASSET_PATHS.js} defer></script>
    </head>
    <body>
      <header>
        <strong>featcache</strong>
        {viewer && (
          <nav>
            {NAV.map(([href, label]) => (
              <a href={href} aria-current={href === path ? 'page' : undefined}>
                {label}
              </a>
            ))}
            <a href="/docs">API docs</a>
          </nav>
        )}
        {viewer?.scope && (
          <form method="post" action="/ui/logout" class="signout">
            <span class="scope">{`${viewer.scope} key`}</span> <button type="submit">Sign out</button>
          </form>
        )}
      </header>
      <main>
        <h1>{title}</h1>
        {children}
      </main>
    </body>
  </html>
);

export const LoginPage: FC<{ error?: string }> = ({ error }) => (
  <Layout title="Sign in" path="/ui/login">
    <p>The dashboard uses the service's API keys: a read key to look, a write key for the admin actions.</p>
    {error && (
      <p class="error" role="alert">
        {error}
      </p>
    )}
    <form method="post" action="/ui/login" class="card">
      <label>
        API key <input type="password" name="key" autocomplete="current-password" required minlength={1} maxlength={1024} autofocus />
      </label>
      <button type="submit">Sign in</button>
    </form>
  </Layout>
);

export const ErrorNote: FC<{ status: number; body: unknown }> = ({ status, body }) => {
  const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return (
    <p class="error" role="alert">
      {`${status} ${err?.code ?? ''}: ${err?.message ?? 'request failed'}`}
    </p>
  );
};

const Chart: FC<{ id: string; label: string; unit: string }> = ({ id, label, unit }) => (
  <figure class="chart" data-chart={id} data-unit={unit}>
    <figcaption>
      {label} <output data-now={id}>–</output>
    </figcaption>
    <svg viewBox="0 0 300 80" preserveAspectRatio="none" role="img" aria-label={`${label} over the last minutes`}>
      <polyline points="" />
    </svg>
  </figure>
);

export interface Stats {
  cache_operations: number;
  cached_images: number;
  cache_hits: number;
  cache_misses: number;
  hit_rate: number;
  extracted_images?: number;
  feature_version: string;
  extracted_feature_version?: string;
}

export const OverviewPage: FC<{ viewer: Viewer; health: HealthReport | undefined; stats: Stats | undefined; error?: Child }> = ({ viewer, health, stats, error }) => (
  <Layout title="Overview" path="/ui" viewer={viewer}>
    {error}
    <section class="grid" data-poll="/ui/api/analysis/cache/stats">
      <div class="card">
        <h2>Health</h2>
        {health ? (
          <dl>
            <dt>Status</dt>
            <dd data-field="status" class={health.status}>
              {health.status}
              {health.reason ? ` (${health.reason})` : ''}
            </dd>
            <dt>Redis</dt>
            <dd>{`${health.redis_version ?? '?'}, ${health.topology.mode}, latency ${health.latency_ms ?? '?'} ms`}</dd>
            <dt>Memory</dt>
            <dd>{`${health.used_memory_human ?? '?'} (policy ${health.maxmemory_policy ?? '?'})`}</dd>
            <dt>Clients</dt>
            <dd>{String(health.connected_clients ?? '?')}</dd>
          </dl>
        ) : (
          <p>No health report.</p>
        )}
      </div>
      <div class="card">
        <h2>Topology</h2>
        {health && (
          <table>
            <thead>
              <tr>
                <th>Node</th>
                <th>Role</th>
                <th>Connected</th>
              </tr>
            </thead>
            <tbody>
              {health.topology.nodes.map((n) => (
                <tr>
                  <td>
                    {n.address}
                    {n.address === health.topology.master ? ' (master)' : ''}
                  </td>
                  <td>{n.role}</td>
                  <td>{n.connected ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div class="card">
        <h2>Counters</h2>
        {stats && (
          <dl>
            <dt>Cached images</dt>
            <dd data-stat="cached_images">{String(stats.cached_images)}</dd>
            <dt>Extracted images</dt>
            <dd data-stat="extracted_images">{String(stats.extracted_images ?? 0)}</dd>
            <dt>Hit rate</dt>
            <dd data-stat="hit_rate">{`${(stats.hit_rate * 100).toFixed(1)} %`}</dd>
            <dt>Operations</dt>
            <dd data-stat="cache_operations">{String(stats.cache_operations)}</dd>
            <dt>Versions</dt>
            <dd class="mono">{stats.feature_version}</dd>
          </dl>
        )}
      </div>
    </section>
    <section class="charts" aria-label="Live charts (every 2 s, last 5 minutes)">
      <Chart id="hit_rate" label="Hit rate" unit="%" />
      <Chart id="ops" label="Operations/s" unit="/s" />
      <Chart id="memory" label="Redis memory" unit="MB" />
      <Chart id="rss" label="Service memory (RSS)" unit="MB" />
      <Chart id="cached" label="Cached images" unit="" />
      <Chart id="extracted" label="Extracted images" unit="" />
    </section>
  </Layout>
);

export const FeatureTable: FC<{ lines: FeatureLine[] }> = ({ lines }) => (
  <table class="features">
    <thead>
      <tr>
        <th>Feature</th>
        <th>Kind</th>
        <th>Size</th>
        <th>Value</th>
      </tr>
    </thead>
    <tbody>
      {lines.map((l) => (
        <tr>
          <td>{l.name}</td>
          <td>{l.kind}</td>
          <td>{l.size}</td>
          <td class="mono">{l.preview}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

export interface RecordView {
  image_id: string;
  version: string;
  source: string;
  created_at: string;
  lines: FeatureLine[];
  /** From GET .../meta; undefined when that call failed (the record vanished meanwhile, or Redis did not answer). */
  meta: RecordMetaView | undefined;
}

/** The answer of GET /analysis/cache/image/{id}/meta that the page shows. */
export interface RecordMetaView {
  ttl_seconds: number | null;
  stored_bytes: number;
  memory_bytes: number | null;
  groups: string[];
  groups_complete: boolean;
}

const UNKNOWN = 'unknown (the metadata request failed)';

export const LookupPage: FC<{ viewer: Viewer; id: string; source: string; record?: RecordView; error?: Child }> = ({ viewer, id, source, record, error }) => (
  <Layout title="Look up an image" path="/ui/image" viewer={viewer}>
    <form method="get" action="/ui/image" class="card inline">
      <label>
        Image ID <input name="id" value={id} required />
      </label>
      <label>
        Source{' '}
        <select name="source">
          {['any', 'stored', 'extracted'].map((s) => (
            <option value={s} selected={s === source}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Look up</button>
    </form>
    {error}
    {record && (
      <section class="card" id="record">
        <h2>{record.image_id}</h2>
        <dl>
          <dt>Source</dt>
          <dd>{record.source}</dd>
          <dt>Version</dt>
          <dd class="mono">{record.version}</dd>
          <dt>Created</dt>
          <dd>{record.created_at}</dd>
          <dt>TTL</dt>
          <dd data-field="ttl">{!record.meta ? UNKNOWN : record.meta.ttl_seconds === null ? 'no expiry' : `${record.meta.ttl_seconds} s left`}</dd>
          <dt>Size in Redis</dt>
          <dd data-field="size">
            {!record.meta
              ? UNKNOWN
              : `${record.meta.stored_bytes} B encoded` + (record.meta.memory_bytes === null ? '' : `, ${record.meta.memory_bytes} B with key and overhead (MEMORY USAGE)`)}
          </dd>
          <dt>Groups</dt>
          <dd data-field="groups">
            {!record.meta
              ? UNKNOWN
              : record.meta.groups.length === 0
                ? 'none'
                : record.meta.groups.map((g) => (
                    <a class="tag" href={`/ui/groups?group=${encodeURIComponent(g)}`}>
                      {g}
                    </a>
                  ))}
            {record.meta && !record.meta.groups_complete && ' (search stopped early: the group keys were not all scanned)'}
          </dd>
        </dl>
        <FeatureTable lines={record.lines} />
      </section>
    )}
  </Layout>
);

export const UploadPage: FC<{ viewer: Viewer }> = ({ viewer }) => (
  <Layout title="Search by upload" path="/ui/upload" viewer={viewer}>
    <form id="upload-form" class="card">
      <label>
        Image <input type="file" name="image" accept="image/*" required />
      </label>
      <label>
        Compare with (optional, verified one by one) <input type="file" name="others" accept="image/*" multiple />
      </label>
      <label>
        Max distance <input type="number" name="max_distance" value="8" min="0" max="12" />
      </label>
      <button type="submit">Search</button>
      <output id="upload-status" aria-live="polite"></output>
    </form>
    <section class="card" hidden id="upload-features">
      <h2>Features</h2>
      <div data-slot="features"></div>
    </section>
    <section class="card" hidden id="upload-similar">
      <h2>Near-duplicates in the cache</h2>
      <table>
        <thead>
          <tr>
            <th>Image ID</th>
            <th>Distance</th>
            <th>Orientation</th>
          </tr>
        </thead>
        <tbody data-slot="neighbors"></tbody>
      </table>
    </section>
    <section class="card" hidden id="upload-verified">
      <h2>Verified matches</h2>
      <div data-slot="verified"></div>
    </section>
  </Layout>
);

export interface GroupsAnswer {
  groups: string[][];
  edges: Array<{ a: string; b: string; verdict: string; reasons: string[]; inliers: number }>;
  missing: string[];
  without_orb: string[];
  stats: Record<string, number>;
  /** The IDs asked about (set by the page, not the API). */
  ids?: string[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The analysed images in no group (the answer lists groups, missing and judged-by-hash IDs, not these). */
function alone(a: GroupsAnswer): string[] {
  const grouped = new Set(a.groups.flat());
  const missing = new Set(a.missing);
  return (a.ids ?? []).filter((id) => !grouped.has(id) && !missing.has(id));
}

const Thumb: FC<{ id: string }> = ({ id }) => (
  <figure class="thumb" data-image-id={id}>
    <img alt="" hidden />
    <figcaption>
      <a href={`/ui/image?id=${encodeURIComponent(id)}&source=extracted`}>{id}</a>
    </figcaption>
  </figure>
);

export const GroupsPage: FC<{ viewer: Viewer; group: string; ids: string; answer?: GroupsAnswer; error?: Child }> = ({ viewer, group, ids, answer, error }) => (
  <Layout title="Groups of related images" path="/ui/groups" viewer={viewer}>
    <form method="get" action="/ui/groups" class="card">
      <label>
        Group name <input name="group" value={group} />
      </label>
      <label>
        or image IDs (one per line or comma-separated) <textarea name="ids" rows={3}>{ids}</textarea>
      </label>
      <button type="submit">Analyse</button>
    </form>
    {error}
    {answer && (
      <section id="groups-result">
        <p>
          {`${plural(answer.stats.images ?? 0, 'image')}, ${plural(answer.groups.length, 'group')}, ${plural(answer.stats.candidates ?? 0, 'candidate pair')} verified in ${answer.stats.ms ?? 0} ms.`}
        </p>
        <label class="card">
          Thumbnails from local files (matched by file name = image ID) <input type="file" id="thumbs" accept="image/*" multiple />
        </label>
        {answer.groups.map((g, i) => (
          <div class="card group">
            <h2>{`Group ${i + 1} (${g.length} images)`}</h2>
            <div class="thumbs">
              {g.map((id) => (
                <Thumb id={id} />
              ))}
            </div>
          </div>
        ))}
        {answer.edges.length > 0 && (
          <div class="card">
            <h2>Related pairs</h2>
            <table>
              <thead>
                <tr>
                  <th>A</th>
                  <th>B</th>
                  <th>Verdict</th>
                  <th>Inliers</th>
                  <th>Reasons</th>
                </tr>
              </thead>
              <tbody>
                {answer.edges.map((e) => (
                  <tr>
                    <td>{e.a}</td>
                    <td>{e.b}</td>
                    <td>{e.verdict}</td>
                    <td>{String(e.inliers)}</td>
                    <td>{e.reasons.join('; ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {alone(answer).length > 0 && <p>{`Related to no other image of the set: ${alone(answer).join(', ')}`}</p>}
        {answer.missing.length > 0 && <p>{`Without an extracted record: ${answer.missing.join(', ')}`}</p>}
        {answer.without_orb.length > 0 && <p>{`Judged by their hashes alone (no ORB): ${answer.without_orb.join(', ')}`}</p>}
      </section>
    )}
  </Layout>
);

const Action: FC<{ action: string; method: string; confirm: string; label: string; field?: { name: string; label: string } }> = ({ action, method, confirm, label, field }) => (
  <form class="card admin-action" data-action={action} data-method={method} data-confirm={confirm}>
    {field && (
      <label>
        {field.label} <input name={field.name} required />
      </label>
    )}
    <button type="submit" class="danger">
      {label}
    </button>
  </form>
);

export const AdminPage: FC<{ viewer: Viewer }> = ({ viewer }) => (
  <Layout title="Admin actions" path="/ui/admin" viewer={viewer}>
    {viewer.scope === 'read' && <p class="note">Signed in with a read key: the service refuses these actions (403) unless you sign in with a write key.</p>}
    <Action action="/ui/api/analysis/cache/image/{image_id}" method="DELETE" confirm="Invalidate image {image_id}?" label="Invalidate image" field={{ name: 'image_id', label: 'Image ID' }} />
    <Action action="/ui/api/analysis/cache/group/{group}" method="DELETE" confirm="Invalidate every image of group {group}?" label="Invalidate group" field={{ name: 'group', label: 'Group' }} />
    <Action
      action="/ui/api/analysis/cache/cleanup"
      method="POST"
      confirm="Run cleanup? It removes the records of every other feature version (currently including extracted records, docs/HTTP.md)."
      label="Run cleanup"
    />
    <output id="admin-result" aria-live="polite"></output>
    <dialog id="confirm">
      <form method="dialog">
        <p data-slot="message"></p>
        <button value="cancel">Cancel</button> <button value="ok" class="danger">
          Confirm
        </button>
      </form>
    </dialog>
  </Layout>
);
