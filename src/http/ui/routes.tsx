/**
 * The dashboard at /ui (docs/UI.md): server-rendered pages (hono/jsx) over the
 * service's own API. A page, and the client script through /ui/api/..., calls
 * the API in process (`dispatch`) with the API key of the signed-in session, so
 * every answer, limit and scope check is the API's own: a read key sees, a
 * write key acts, and nothing here re-implements a route.
 *
 * Security (docs/UI.md, "How the browser carries the key"): the key is typed
 * once into the sign-in form; the browser then holds only an HttpOnly,
 * SameSite=Strict session cookie scoped to /ui (src/http/ui/session.ts), never
 * the key (not in a URL, not in storage, not readable by script). /ui/api/*
 * answers only same-origin script calls carrying the X-Featcache-UI header; the
 * service's Host and Origin guards run before all of this, and every page
 * carries a strict Content-Security-Policy (no inline script or style).
 */
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { ServiceConfig } from '../../config.js';
import type { HealthReport } from '../../types.js';
import { ApiError, HttpErrorCodes } from '../errors.js';
import type { ImageService } from '../images.js';
import { decodeMsgpack } from '../msgpack.js';
import type { AppEnv } from '../route.js';
import { readUpload } from '../upload.js';
import { requestHeader } from '../node-io.js';
import type { Authenticator } from '../auth.js';
import { ASSETS } from './assets.js';
import { describeFeatures } from './feature-summary.js';
import { AdminPage, ErrorNote, FeatureTable, GroupsPage, LoginPage, LookupPage, OverviewPage, UploadPage, type GroupsAnswer, type RecordMetaView, type Stats, type Viewer } from './pages.js';
import { createSessions, SESSION_COOKIE, SESSION_SECONDS } from './session.js';

export interface UiDeps {
  config: ServiceConfig;
  /** `enabled` is false when FEATCACHE_API_KEYS is unset: no sign-in (the service is loopback-only and Host-guarded). The sign-in form shares the API's wrong-key throttle. */
  auth: Pick<Authenticator, 'enabled' | 'assertNotThrottled' | 'failed'>;
  images?: ImageService;
  /** Who sent a request (src/http/client-address.ts): the throttle's key, as for the API. */
  clientOf: (c: Context<AppEnv>) => string;
  /** Runs a request through the app in process (no socket), as the API would answer it. */
  dispatch: (req: Request) => Promise<Response>;
}

/** Every dashboard answer: no script or style but the service's own files, no framing, no caching of data. */
export const UI_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The header the client script sends on every /ui/api call (a cross-origin page cannot send it without a CORS preflight). */
export const UI_CALL_HEADER = 'x-featcache-ui';
/** API paths the client script may reach through /ui/api (everything under /analysis/, and the metrics for the charts). */
const PROXIED = (path: string) => path.startsWith('/analysis/') || path === '/metrics';
const SOURCES = ['any', 'stored', 'extracted'] as const;

interface Session {
  /** undefined with API keys off. */
  key: string | undefined;
  viewer: Viewer;
}

interface Answer<T> {
  status: number;
  body: T;
}

export function registerUi(app: Hono<AppEnv>, { config, auth, clientOf, images, dispatch }: UiDeps): void {
  const authEnabled = auth.enabled;
  const sessions = createSessions(config.apiKeys);
  const open: Session = { key: undefined, viewer: { scope: undefined } };

  const sessionOf = (c: Context<AppEnv>): Session | undefined => {
    if (!authEnabled) return open;
    const s = sessions.verify(getCookie(c, SESSION_COOKIE));
    return s && { key: s.key, viewer: { scope: s.scope } };
  };

  /** One API request in process, with the session's key. */
  const callApi = (s: Session, method: string, path: string, init: { body?: RequestInit['body']; headers?: Record<string, string> } = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (s.key !== undefined) headers.set('authorization', `Bearer ${s.key}`);
    const req = new Request(`http://127.0.0.1${path}`, { method, headers, body: init.body ?? null, duplex: 'half' });
    return dispatch(req);
  };
  /** The decoded answer of an API call (msgpack, so typed arrays keep their type). */
  const apiData = async <T,>(s: Session, method: string, path: string, json?: unknown): Promise<Answer<T>> => {
    const headers: Record<string, string> = { accept: 'application/msgpack' };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const res = await callApi(s, method, path, { headers, body: json === undefined ? null : JSON.stringify(json) });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: (type.includes('msgpack') ? decodeMsgpack(bytes) : JSON.parse(new TextDecoder().decode(bytes))) as T };
  };

  const page = async (c: Context<AppEnv>, el: JSX.Element, status: 200 | 401 | 429 = 200, headers: Readonly<Record<string, string>> = {}) =>
    c.html(`<!doctype html>${await el}`, status, headers);

  // security headers on everything under /ui
  app.use('/ui', uiHeaders);
  app.use('/ui/*', uiHeaders);

  for (const a of ASSETS) {
    app.get(a.path, (c) => {
      c.set('route', '/ui/assets');
      return c.body(a.body, 200, { 'content-type': a.type, 'cache-control': 'public, max-age=31536000, immutable' });
    });
  }

  // --- signing in and out ---------------------------------------------------
  app.get('/ui/login', (c) => {
    c.set('route', '/ui/login');
    return authEnabled ? page(c, <LoginPage />) : c.redirect('/ui', 303);
  });
  app.post('/ui/login', bodyLimit({ maxSize: 4096, onError: () => tooLarge() }), async (c) => {
    c.set('route', '/ui/login');
    if (!authEnabled) return c.redirect('/ui', 303);
    const client = clientOf(c);
    try {
      auth.assertNotThrottled(client);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return page(c, <LoginPage error={err.message} />, 429, err.headers);
    }
    const form = await c.req.parseBody();
    const presented = typeof form.key === 'string' ? form.key.trim() : '';
    const key = presented === '' ? undefined : sessions.keyOf(presented);
    if (key === undefined) {
      if (presented !== '') auth.failed(client);
      return page(c, <LoginPage error="That is not an API key of this service." />, 401);
    }
    setCookie(c, SESSION_COOKIE, sessions.issue(key), {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/ui',
      maxAge: SESSION_SECONDS,
      secure: isHttps(c),
    });
    return c.redirect('/ui', 303);
  });
  app.post('/ui/logout', (c) => {
    c.set('route', '/ui/login');
    deleteCookie(c, SESSION_COOKIE, { path: '/ui', secure: isHttps(c), httpOnly: true, sameSite: 'Strict' });
    return c.redirect(authEnabled ? '/ui/login' : '/ui', 303);
  });

  // --- pages ------------------------------------------------------------------
  const withSession = (handler: (c: Context<AppEnv>, s: Session) => Response | Promise<Response>) => (c: Context<AppEnv>) => {
    c.set('route', '/ui');
    const s = sessionOf(c);
    return s === undefined ? c.redirect('/ui/login', 303) : handler(c, s);
  };

  app.get(
    '/ui',
    withSession(async (c, s) => {
      const [health, stats] = await Promise.all([
        apiData<HealthReport>(s, 'GET', '/analysis/cache/health'),
        apiData<{ stats?: Stats }>(s, 'GET', '/analysis/cache/stats'),
      ]);
      const error = stats.status === 200 ? undefined : <ErrorNote status={stats.status} body={stats.body} />;
      return page(c, <OverviewPage viewer={s.viewer} health={'topology' in health.body ? health.body : undefined} stats={stats.body.stats} error={error} />);
    }),
  );

  app.get(
    '/ui/image',
    withSession(async (c, s) => {
      const id = c.req.query('id') ?? '';
      const source = SOURCES.find((x) => x === c.req.query('source')) ?? 'any';
      if (id === '') return page(c, <LookupPage viewer={s.viewer} id="" source={source} />);
      const r = await apiData<{ image_id: string; version: string; source: string; created_at: string; features: Record<string, unknown> }>(
        s,
        'GET',
        `/analysis/cache/image/${encodeURIComponent(id)}?source=${source}`,
      );
      if (r.status !== 200) return page(c, <LookupPage viewer={s.viewer} id={id} source={source} error={<ErrorNote status={r.status} body={r.body} />} />);
      // the metadata of the record just shown: the source it came from
      const m = await apiData<RecordMetaView>(s, 'GET', `/analysis/cache/image/${encodeURIComponent(id)}/meta?source=${r.body.source}`);
      const record = { ...r.body, lines: describeFeatures(r.body.features), meta: m.status === 200 ? m.body : undefined };
      return page(c, <LookupPage viewer={s.viewer} id={id} source={source} record={record} />);
    }),
  );

  app.get(
    '/ui/upload',
    withSession((c, s) => page(c, <UploadPage viewer={s.viewer} />)),
  );

  app.get(
    '/ui/groups',
    withSession(async (c, s) => {
      const group = (c.req.query('group') ?? '').trim();
      const idsText = c.req.query('ids') ?? '';
      const ids = idsText.split(/[\s,]+/).filter(Boolean);
      const render = (extra: { answer?: GroupsAnswer; error?: JSX.Element }) => page(c, <GroupsPage viewer={s.viewer} group={group} ids={idsText} {...extra} />);
      if (group !== '') {
        const g = await apiData<{ image_ids: string[] }>(s, 'GET', `/analysis/cache/group/${encodeURIComponent(group)}`);
        if (g.status !== 200) return render({ error: <ErrorNote status={g.status} body={g.body} /> });
        ids.push(...g.body.image_ids);
      }
      if (ids.length === 0) return render(group === '' ? {} : { error: <p class="error">{`Group ${group} has no images.`}</p> });
      const unique = [...new Set(ids)];
      const r = await apiData<GroupsAnswer>(s, 'POST', '/analysis/groups', { image_ids: unique });
      return render(r.status === 200 ? { answer: { ...r.body, ids: unique } } : { error: <ErrorNote status={r.status} body={r.body} /> });
    }),
  );

  app.get(
    '/ui/admin',
    withSession((c, s) => page(c, <AdminPage viewer={s.viewer} />)),
  );

  // --- the client script's calls -----------------------------------------------
  const apiSession = (c: Context<AppEnv>): Session => {
    c.set('route', '/ui/api');
    const site = requestHeader(c, 'sec-fetch-site');
    if (requestHeader(c, UI_CALL_HEADER) !== '1' || (site !== undefined && site !== 'same-origin')) {
      throw new ApiError(403, HttpErrorCodes.CROSS_ORIGIN_REFUSED, 'Dashboard calls are answered only to the dashboard\'s own pages (same origin, X-Featcache-UI header)');
    }
    const s = sessionOf(c);
    if (s === undefined) throw new ApiError(401, HttpErrorCodes.UNAUTHORIZED, 'Sign in at /ui/login first');
    return s;
  };

  // the features of an uploaded image, as the dashboard's table (nothing stored; read scope)
  app.post('/ui/api/extract', async (c) => {
    apiSession(c);
    if (!images) throw new ApiError(404, HttpErrorCodes.NOT_FOUND, 'This service does not extract images');
    const upload = await readUpload(c, config.images.maxImageBytes, {}, ['image']);
    const features = await images.extractOnly(upload.bytes);
    return c.html(await (<FeatureTable lines={describeFeatures(features)} />));
  });

  app.all('/ui/api/*', async (c) => {
    const s = apiSession(c);
    const url = new URL(c.req.url);
    const path = url.pathname.slice('/ui/api'.length);
    if (!PROXIED(path)) throw new ApiError(404, HttpErrorCodes.NOT_FOUND, 'Route not found');
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'content-length', 'accept']) {
      const v = requestHeader(c, h);
      if (v !== undefined) headers[h] = v;
    }
    const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    const answer = await callApi(s, c.req.method, path + url.search, { headers, body: hasBody ? c.req.raw.body : null });
    c.set('forwarded', true);
    return answer;
  });
}

async function uiHeaders(c: Context<AppEnv>, next: () => Promise<void>): Promise<void> {
  await next();
  for (const [k, v] of Object.entries(UI_HEADERS)) {
    if (!(k === 'cache-control' && c.res.headers.has(k))) c.header(k, v);
  }
}

function tooLarge(): never {
  throw new ApiError(413, HttpErrorCodes.PAYLOAD_TOO_LARGE, 'The sign-in form is larger than 4 KB');
}

/** Whether the browser reached the service over TLS (directly or through a proxy that says so): the cookie is then Secure. */
function isHttps(c: Context<AppEnv>): boolean {
  return c.req.url.startsWith('https:') || requestHeader(c, 'x-forwarded-proto') === 'https';
}
