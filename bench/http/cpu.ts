/**
 * CPU time of a process tree from /proc (Linux): the service's CPU cost per
 * request is far steadier than its throughput on a machine shared with other work.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

function statOf(pid: number): { ppid: number; cpuMs: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields after "(comm)": state ppid ... utime(12) stime(13) counted from state = index 0
    return { ppid: Number(rest[1]), cpuMs: (Number(rest[11]) + Number(rest[12])) * TICK_MS };
  } catch {
    return null;
  }
}

/** User+system CPU milliseconds of `pid` and all its descendants; null where /proc is missing. */
export function treeCpuMs(pid: number): number | null {
  const root = statOf(pid);
  if (root === null) return null;
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return null;
  }
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const e of entries) {
    const st = statOf(Number(e));
    if (st === null) continue;
    cpu.set(Number(e), st.cpuMs);
    const list = children.get(st.ppid) ?? [];
    list.push(Number(e));
    children.set(st.ppid, list);
  }
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    total += cpu.get(p) ?? 0;
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}
