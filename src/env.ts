/**
 * Environment variables -> the fields of a zod object schema, by name. Each
 * field's default, bounds and description live in the schema alone; this module
 * only finds a field's variable (`FEATCACHE_` + the field name in upper snake
 * case, or the `env` of its metadata), turns the text into the field's input
 * type (number, boolean, list) and lets the schema validate it. The same walk
 * gives the rows of the generated environment table (scripts/docs-env.ts).
 */
import { z } from 'zod';

/** Metadata a field may carry (`.meta({...})`, outermost). */
export interface EnvMeta {
  /** Variable name when not `FEATCACHE_<FIELD_NAME>`. */
  env?: string;
  /** Older names still read (documented as such). */
  aliases?: readonly string[];
  /** The default as the docs show it, when it is computed at start-up. */
  defaultText?: string;
  description?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** An invalid variable; the message starts with its name. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type AnyField = z.ZodType;
type Def = { type: string; innerType?: AnyField; in?: AnyField; element?: AnyField; defaultValue?: unknown };
const defOf = (s: AnyField): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** `ttlSeconds` -> `FEATCACHE_TTL_SECONDS`, unless the field names its variable. */
export function envName(field: string, schema: AnyField): string {
  const meta = metaOf(schema);
  return meta.env ?? `FEATCACHE_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function metaOf(schema: AnyField): EnvMeta {
  return (z.globalRegistry.get(schema) ?? {});
}

/** The schema a raw string must become an input of: through default, optional and the input side of pipes. */
function inputType(schema: AnyField): AnyField {
  let s = schema;
  for (;;) {
    const d = defOf(s);
    if ((d.type === 'default' || d.type === 'optional' || d.type === 'nullable' || d.type === 'prefault') && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** Text -> the field's input type; a value that does not convert is passed on as text for the schema to refuse. */
function fromText(schema: AnyField, raw: string): unknown {
  const t = raw.trim();
  const target = inputType(schema);
  switch (defOf(target).type) {
    case 'number':
      return /^[-+]?(\d+\.?\d*|\.\d+)$/.test(t) ? Number(t) : t;
    case 'boolean': {
      const v = t.toLowerCase();
      return TRUE.has(v) ? true : FALSE.has(v) ? false : t;
    }
    case 'array': {
      const element = defOf(target).element;
      const items = t.split(',').map((x) => x.trim()).filter(Boolean);
      return element ? items.map((x) => fromText(element, x)) : items;
    }
    case 'string':
    case 'enum':
      return t;
    default:
      return raw;
  }
}

/** The first issue of a failed parse as a readable message. */
function describeIssue(issue: z.core.$ZodIssue | undefined, raw: unknown): string {
  if (issue === undefined) return 'invalid value';
  if (issue.code === 'invalid_type') return `${JSON.stringify(raw)} is not ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}`;
  return issue.message;
}

/**
 * Reads every field of `schema` from `env` (absent or blank: the schema's
 * default) and validates the whole object.
 * @throws ConfigError naming the first invalid variable
 */
export function readEnv<S extends z.ZodObject>(schema: S, env: Env): z.output<S> {
  const input: Record<string, unknown> = {};
  const source: Record<string, { name: string; raw: unknown }> = {};
  for (const [field, fieldSchema] of Object.entries<AnyField>(schema.shape)) {
    const names = [envName(field, fieldSchema), ...(metaOf(fieldSchema).aliases ?? [])];
    const name = names.find((n) => env[n] !== undefined && env[n].trim() !== '');
    if (name === undefined) continue;
    const value = fromText(fieldSchema, env[name]!);
    input[field] = value;
    source[field] = { name, raw: value };
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = String(issue?.path[0] ?? '');
  const where = source[field];
  throw new ConfigError(where?.name ?? field, describeIssue(issue, where?.raw));
}

/** One row of the environment table. */
export interface EnvRow {
  variable: string;
  default: string;
  meaning: string;
}

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return `\`${v.join(',')}\``;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1024 * 1024 && v % (1024 * 1024) === 0) return `\`${v}\` (${v / (1024 * 1024)} MiB)`;
  return `\`${String(v)}\``;
}

/** Bounds or choices of a field, as text ("1..64", "`lz4`, `none`"), from the schema. */
function boundsOf(schema: AnyField): string {
  const t = inputType(schema) as AnyField & { minValue?: number | null; maxValue?: number | null; options?: readonly unknown[] };
  // the output side of a pipe carries the bounds of a coerced value
  let target: AnyField = schema;
  for (;;) {
    const d = defOf(target);
    if ((d.type === 'default' || d.type === 'optional') && d.innerType) target = d.innerType;
    else break;
  }
  const d = defOf(target) as Def & { out?: AnyField };
  const checked = (d.type === 'pipe' && d.out ? d.out : t) as AnyField & { minValue?: number | null; maxValue?: number | null; options?: readonly unknown[] };
  if (Array.isArray(checked.options)) return checked.options.map((o) => `\`${String(o)}\``).join(', ');
  const min = checked.minValue;
  const max = checked.maxValue;
  const finite = (n: number | null | undefined): n is number => typeof n === 'number' && Number.isFinite(n) && Math.abs(n) < Number.MAX_SAFE_INTEGER;
  if (finite(min) && finite(max)) return `${min}..${max}`;
  if (finite(min)) return `>= ${min}`;
  if (finite(max)) return `<= ${max}`;
  return '';
}

/** The rows of `schema`'s variables, in field order. */
export function envRows(schema: z.ZodObject): EnvRow[] {
  return Object.entries(schema.shape as Record<string, AnyField>).map(([field, s]) => {
    const meta = metaOf(s);
    const d = defOf(s);
    const dflt = meta.defaultText ?? (d.type === 'default' ? formatValue(d.defaultValue) : 'unset');
    const bounds = boundsOf(s);
    const aliases = meta.aliases?.length ? ` (formerly ${meta.aliases.map((a) => `\`${a}\``).join(', ')})` : '';
    const meaning = `${meta.description ?? s.description ?? ''}${bounds ? ` (${bounds})` : ''}${aliases}`.trim();
    return { variable: envName(field, s), default: dflt, meaning };
  });
}

/** A markdown table of rows. */
export function envTable(rows: readonly EnvRow[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows.map((r) => `| \`${r.variable}\` | ${esc(r.default)} | ${esc(r.meaning)} |`)].join('\n');
}
