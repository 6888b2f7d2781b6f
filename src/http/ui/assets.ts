/**
 * The dashboard's two static files, named by a digest of their content so they
 * can be cached for a year (a new release changes the name).
 */
import { createHash } from 'node:crypto';
import { CLIENT_SCRIPT } from './client-script.js';
import { STYLES } from './styles.js';

const tag = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);

export interface Asset {
  path: string;
  type: string;
  body: string;
}

export const ASSETS: readonly Asset[] = [
  { path: `/ui/assets/app.${tag(CLIENT_SCRIPT)}.js`, type: 'text/javascript; charset=utf-8', body: CLIENT_SCRIPT },
  { path: `/ui/assets/app.${tag(STYLES)}.css`, type: 'text/css; charset=utf-8', body: STYLES },
];

export const ASSET_PATHS = { js: ASSETS[0]!.path, css: ASSETS[1]!.path } as const;
