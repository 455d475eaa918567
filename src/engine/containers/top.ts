/**
 * `docker top` as moby does it: run the host's `ps` with the user's arguments
 * (default `-ef`) and keep the rows whose PID is in the container's cgroup,
 * plus the thread rows (`-` in the PID column) that follow a kept row.
 */
import { invalidArgument } from '../../common/errors';

export interface TopResult {
  titles: string[];
  processes: string[][];
}

/** moby refuses `-o x=PID` style renames of the PID column to anything but `pid`. */
export function validatePsArgs(psArgs: string): void {
  const re = /\s+(\S*)=\s*(PID\S*)/g;
  for (const m of psArgs.matchAll(re)) {
    const k = m[1] ?? '';
    if (k !== 'pid') throw invalidArgument(`specifying "${k}=${m[2] ?? ''}" is not allowed`);
  }
}

/** `ps` arguments: the user's, split on single spaces as moby does; `-ef` when empty. */
export function psArguments(psArgs: string): string[] {
  return (psArgs === '' ? '-ef' : psArgs).split(' ');
}

/** moby's `-q<pid>,<pid>` (a quick select; some options reject it and ps is rerun without). */
export function psPidsArg(pids: readonly number[]): string {
  return `-q${pids.join(',')}`;
}

/** Splits on ASCII whitespace only (moby's fieldsASCII). */
function fieldsAscii(line: string): string[] {
  return line.split(/[ \t\n\v\f\r]+/).filter((f) => f !== '');
}

export function parsePsOutput(output: string, pids: readonly number[]): TopResult {
  const lines = output.split('\n');
  const titles = fieldsAscii(lines[0] ?? '');
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new Error("Couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const processes: string[][] = [];
  const append = (fields: string[]) => {
    const row = fields.slice(0, titles.length - 1);
    row.push(fields.slice(titles.length - 1).join(' '));
    processes.push(row);
  };
  let previousKept = false;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const fields = fieldsAscii(line);
    const pidText = fields[pidIndex];
    if (pidText === undefined) continue;
    if (pidText === '-') {
      if (previousKept) append(fields);
      continue;
    }
    const pid = Number(pidText);
    if (!Number.isInteger(pid)) throw new Error(`Unexpected pid '${pidText}': invalid syntax`);
    previousKept = wanted.has(pid);
    if (previousKept) append(fields);
  }
  return { titles, processes };
}
