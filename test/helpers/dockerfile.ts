/**
 * A small Dockerfile reader for tests (no Docker engine here): instructions with
 * their continuation lines joined, grouped by stage, ARG defaults substituted in
 * FROM; and a .dockerignore matcher for the patterns this repository uses.
 */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  op: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  args: string;
  line: number;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === undefined && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (pending !== undefined && line.trimStart().startsWith('#')) return; // comments inside a continuation
    const continued = line.endsWith('\\');
    const part = continued ? line.slice(0, -1) : line;
    pending = pending === undefined ? { text: part.trim(), line: i + 1 } : { text: `${pending.text} ${part.trim()}`, line: pending.line };
    if (continued) return;
    const m = /^(\S+)\s*(.*)$/.exec(pending.text);
    if (m) instructions.push({ op: m[1]!.toUpperCase(), args: m[2]!, line: pending.line });
    pending = undefined;
  });
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const [image = '', as, name] = ins.args.split(/\s+/);
      const resolved = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => globalArgs[(a ?? b)!] ?? '');
      stages.push({ image: resolved, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.op === 'ARG') {
        const [k, v = ''] = ins.args.split('=');
        globalArgs[k!.trim()] = v.trim();
      }
    } else stages.at(-1)!.instructions.push(ins);
  }
  return { globalArgs, stages };
}

/** The JSON-array (exec) form of CMD / HEALTHCHECK CMD / ENTRYPOINT. */
export function execForm(args: string): string[] {
  const start = args.indexOf('[');
  if (start < 0) throw new Error(`not in exec form: ${args}`);
  return JSON.parse(args.slice(start)) as string[];
}

/** `KEY=value KEY2=value` pairs of ENV (unquoted values, as this repository writes them). */
export function envPairs(args: string): Record<string, string> {
  return Object.fromEntries(args.split(/\s+/).filter(Boolean).map((p) => p.split('=', 2) as [string, string]));
}

/** COPY's flags (--from, --chown) and its sources and destination. */
export function copyArgs(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/).filter(Boolean);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

/** True when `path` (relative to the context) is excluded by one of the .dockerignore lines. */
export function dockerIgnored(ignoreFile: string, path: string): boolean {
  const patterns = ignoreFile
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  let ignored = false;
  for (const p of patterns) {
    const negate = p.startsWith('!');
    const glob = (negate ? p.slice(1) : p).replace(/^\/+|\/+$/g, '');
    const re = new RegExp(`^${globToRegex(glob)}(/.*)?$`);
    if (re.test(path)) ignored = !negate;
  }
  return ignored;
}

/** Docker's glob: a double star is any number of directories (also none, before a slash), a star and ? stay within one. */
function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (glob.startsWith('**/', i)) {
      out += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      out += '.*';
      i += 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}
