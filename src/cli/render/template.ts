/**
 * A Go text/template interpreter for `--format`, with docker's extra
 * functions (json, join, split, upper, lower, title, pad, truncate).
 *
 * Data is plain JavaScript (decoded JSON). Objects behave as Go maps: a
 * missing key prints `<no value>`, keys are visited in sorted order by range.
 * Values print as Go's fmt %v prints them (see go-fmt.ts).
 */
import { compareKeys, formatValue, goTypeName, sprint, sprintf, sprintln } from './go-fmt';
import { TabWriter } from './table';

export type TemplateFunc = (...args: unknown[]) => unknown;

export interface TemplateOptions {
  /** Extra functions, or replacements for the built-in ones. */
  funcs?: Record<string, TemplateFunc>;
}

/** A parse error ("template: :1: unexpected EOF") or an execution error. */
export class TemplateError extends Error {
  readonly phase: 'parse' | 'exec';

  constructor(phase: 'parse' | 'exec', message: string) {
    super(message);
    this.name = 'TemplateError';
    this.phase = phase;
  }
}

// ---------------------------------------------------------------------------
// Lexer

type ItemType =
  | 'text'
  | 'left'
  | 'right'
  | 'space'
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'declare'
  | 'assign'
  | 'field'
  | 'variable'
  | 'dot'
  | 'identifier'
  | 'keyword'
  | 'bool'
  | 'nil'
  | 'number'
  | 'string'
  | 'char'
  | 'charconst'
  | 'eof';

interface Item {
  type: ItemType;
  val: string;
  pos: number;
  line: number;
}

const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with']);
const SPACE = new Set([' ', '\t', '\r', '\n']);

function isAlnum(ch: string | undefined): boolean {
  return ch !== undefined && /^[\p{L}\p{Nd}_]$/u.test(ch);
}

class ParseFailure extends Error {}

function* lex(input: string): Generator<Item, void, undefined> {
  let pos = 0;
  const newlines: number[] = [];
  for (let i = input.indexOf('\n'); i >= 0; i = input.indexOf('\n', i + 1)) newlines.push(i);
  const lineAt = (p: number): number => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const fail = (msg: string, at: number = pos): never => {
    throw new ParseFailure(`template: :${lineAt(at)}: ${msg}`);
  };
  const item = (type: ItemType, val: string, start: number): Item => ({ type, val, pos: start, line: lineAt(start) });

  while (pos < input.length) {
    const open = input.indexOf('{{', pos);
    const textEnd = open < 0 ? input.length : open;
    let trimLeft = false;
    let after = open + 2;
    if (open >= 0 && input[after] === '-' && SPACE.has(input[after + 1] ?? '')) {
      trimLeft = true;
      after += 2;
    }
    let text = input.slice(pos, textEnd);
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
    if (text) yield item('text', text, pos);
    if (open < 0) {
      pos = input.length;
      break;
    }
    pos = after;
    if (!input.startsWith('/*', pos)) yield item('left', '{{', open);
    // a comment leaves no action behind
    if (input.startsWith('/*', pos)) {
      const close = input.indexOf('*/', pos + 2);
      if (close < 0) fail('unclosed comment', open);
      pos = close + 2;
      let trimRight = false;
      if (SPACE.has(input[pos] ?? '') && input[pos + 1] === '-' && input.startsWith('}}', pos + 2)) {
        trimRight = true;
        pos += 2;
      }
      if (!input.startsWith('}}', pos)) fail('comment ends before closing delimiter', open);
      pos += 2;
      if (trimRight) pos = skipSpace(input, pos);
      continue;
    }
    // inside an action
    let parenDepth = 0;
    for (;;) {
      if (pos >= input.length) fail('unclosed action', open);
      const ch = input[pos]!;
      if (SPACE.has(ch)) {
        if (atTrimmedClose(input, pos)) {
          if (parenDepth > 0) fail('unclosed left paren', pos);
          yield item('right', '}}', pos + 2);
          pos = skipSpace(input, pos + 4);
          break;
        }
        const start = pos;
        while (pos < input.length && SPACE.has(input[pos]!) && !atTrimmedClose(input, pos)) pos++;
        yield item('space', input.slice(start, pos), start);
        continue;
      }
      if (input.startsWith('}}', pos)) {
        if (parenDepth > 0) fail('unclosed left paren', pos);
        yield item('right', '}}', pos);
        pos += 2;
        break;
      }
      const start = pos;
      if (ch === '|') {
        yield item('pipe', '|', pos++);
      } else if (ch === '(') {
        parenDepth++;
        yield item('lparen', '(', pos++);
      } else if (ch === ')') {
        parenDepth--;
        if (parenDepth < 0) fail(`unexpected right paren`, pos);
        yield item('rparen', ')', pos++);
      } else if (ch === ':') {
        if (input[pos + 1] !== '=') fail('expected :=', pos);
        yield item('declare', ':=', pos);
        pos += 2;
      } else if (ch === '=') {
        yield item('assign', '=', pos++);
      } else if (ch === '"') {
        pos++;
        while (pos < input.length && input[pos] !== '"') {
          if (input[pos] === '\\') pos++;
          if (input[pos] === '\n' || pos >= input.length) fail('unterminated quoted string', start);
          pos++;
        }
        if (pos >= input.length) fail('unterminated quoted string', start);
        pos++;
        yield item('string', input.slice(start, pos), start);
      } else if (ch === '`') {
        const close = input.indexOf('`', pos + 1);
        if (close < 0) fail('unterminated raw quoted string', start);
        pos = close + 1;
        yield item('string', input.slice(start, pos), start);
      } else if (ch === "'") {
        pos++;
        while (pos < input.length && input[pos] !== "'") {
          if (input[pos] === '\\') pos++;
          if (input[pos] === '\n' || pos >= input.length) fail('unterminated character constant', start);
          pos++;
        }
        if (pos >= input.length) fail('unterminated character constant', start);
        pos++;
        yield item('charconst', input.slice(start, pos), start);
      } else if (ch === '$' || (ch === '.' && !/[0-9]/.test(input[pos + 1] ?? ''))) {
        pos++;
        while (isAlnum(input[pos])) pos++;
        const word = input.slice(start, pos);
        if (word === '.') yield item('dot', '.', start);
        else yield item(ch === '$' ? 'variable' : 'field', word, start);
        if (!atTerminator(input, pos)) fail(`bad character ${goRune(input[pos]!)}`, pos);
      } else if (ch === '+' || ch === '-' || ch === '.' || /[0-9]/.test(ch)) {
        const m = NUMBER.exec(input.slice(pos));
        const text = m?.[0] ?? '';
        pos += text.length;
        if (!text || isAlnum(input[pos]) || input[pos] === '.') {
          while (isAlnum(input[pos]) || input[pos] === '.') pos++;
          fail(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`, start);
        }
        yield item('number', text, start);
      } else if (isAlnum(ch)) {
        while (isAlnum(input[pos])) pos++;
        const word = input.slice(start, pos);
        if (KEYWORDS.has(word)) yield item('keyword', word, start);
        else if (word === 'true' || word === 'false') yield item('bool', word, start);
        else if (word === 'nil') yield item('nil', word, start);
        else yield item('identifier', word, start);
        if (!atTerminator(input, pos)) fail(`bad character ${goRune(input[pos]!)}`, pos);
      } else if (ch.charCodeAt(0) < 0x7f && ch.charCodeAt(0) >= 0x20) {
        yield item('char', ch, pos++);
      } else {
        fail(`unrecognized character in action: ${goRune(String.fromCodePoint(input.codePointAt(pos)!))}`, pos);
      }
    }
  }
  yield item('eof', '', input.length);
}

function atTrimmedClose(input: string, pos: number): boolean {
  return SPACE.has(input[pos] ?? '') && input[pos + 1] === '-' && input.startsWith('}}', pos + 2);
}

const NUMBER =
  /^[+-]?(?:0[xX][0-9a-fA-F_]+(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?|\.[0-9][0-9_]*(?:[eE][+-]?[0-9_]+)?)/;

function skipSpace(input: string, pos: number): number {
  while (pos < input.length && SPACE.has(input[pos]!)) pos++;
  return pos;
}

function atTerminator(input: string, pos: number): boolean {
  const ch = input[pos];
  if (ch === undefined || SPACE.has(ch) || '.,|:)('.includes(ch)) return true;
  return input.startsWith('}}', pos);
}

function goRune(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${ch}'`;
}

// ---------------------------------------------------------------------------
// Syntax tree

type Arg =
  | { t: 'field'; pos: number; idents: string[] }
  | { t: 'variable'; pos: number; name: string; idents: string[] }
  | { t: 'chain'; pos: number; node: Arg; idents: string[] }
  | { t: 'identifier'; pos: number; name: string }
  | { t: 'dot'; pos: number }
  | { t: 'nil'; pos: number }
  | { t: 'literal'; pos: number; value: unknown; text: string }
  | { t: 'pipe'; pos: number; pipe: Pipe };

interface Command {
  pos: number;
  args: Arg[];
}

interface Pipe {
  pos: number;
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pos: number; pipe: Pipe }
  | { t: 'if' | 'with'; pos: number; pipe: Pipe; list: Node[]; elseList: Node[] | undefined }
  | { t: 'range'; pos: number; pipe: Pipe; list: Node[]; elseList: Node[] | undefined }
  | { t: 'break' | 'continue'; pos: number }
  | { t: 'template'; pos: number; name: string; pipe: Pipe | undefined };

function argString(a: Arg): string {
  switch (a.t) {
    case 'field':
      return a.idents.map((i) => `.${i}`).join('');
    case 'variable':
      return a.name + a.idents.map((i) => `.${i}`).join('');
    case 'chain':
      return `${a.node.t === 'pipe' ? `(${pipeString(a.node.pipe)})` : argString(a.node)}${a.idents.map((i) => `.${i}`).join('')}`;
    case 'identifier':
      return a.name;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'literal':
      return a.text;
    case 'pipe':
      return `(${pipeString(a.pipe)})`;
  }
}

function commandString(c: Command): string {
  return c.args.map(argString).join(' ');
}

function pipeString(p: Pipe): string {
  const decl = p.decl.length > 0 ? `${p.decl.join(', ')} ${p.isAssign ? '=' : ':='} ` : '';
  return decl + p.cmds.map(commandString).join(' | ');
}

// ---------------------------------------------------------------------------
// Parser

interface Parsed {
  root: Node[];
  defines: Map<string, Node[]>;
  source: string;
}

class Parser {
  readonly #items: Item[] = [];
  readonly #source: Generator<Item, void, undefined>;
  #i = 0;
  readonly #funcs: Set<string>;
  #vars: string[][] = [['$']];
  #rangeDepth = 0;
  readonly defines = new Map<string, Node[]>();

  constructor(source: Generator<Item, void, undefined>, funcs: Set<string>) {
    this.#source = source;
    this.#funcs = funcs;
  }

  #fail(msg: string, item: Item = this.#peek()): never {
    throw new ParseFailure(`template: :${item.line}: ${msg}`);
  }

  #item(i: number): Item {
    while (this.#items.length <= i) {
      const last = this.#items[this.#items.length - 1];
      if (last?.type === 'eof') return last;
      const r = this.#source.next();
      if (r.done) break;
      this.#items.push(r.value);
    }
    return this.#items[Math.min(i, this.#items.length - 1)]!;
  }

  #peek(): Item {
    return this.#item(this.#i);
  }

  #next(): Item {
    const it = this.#item(this.#i);
    this.#i++;
    return it;
  }

  #backup(): void {
    this.#i--;
  }

  #nextNonSpace(): Item {
    let it = this.#next();
    while (it.type === 'space') it = this.#next();
    return it;
  }

  #peekNonSpace(): Item {
    const it = this.#nextNonSpace();
    this.#backup();
    return it;
  }

  #expect(type: ItemType, context: string): Item {
    const it = this.#nextNonSpace();
    if (it.type !== type) this.#unexpected(it, context);
    return it;
  }

  #unexpected(it: Item, context: string): never {
    if (it.type === 'eof') this.#fail(`unexpected EOF in ${context}`, it);
    this.#fail(`unexpected ${describe(it)} in ${context}`, it);
  }

  parse(): Node[] {
    const list: Node[] = [];
    for (;;) {
      const it = this.#peek();
      if (it.type === 'eof') return list;
      if (it.type === 'left') {
        const save = this.#i;
        this.#next();
        const kw = this.#peekNonSpace();
        if (kw.type === 'keyword' && (kw.val === 'define' || kw.val === 'block')) {
          const node = this.#defineOrBlock(this.#nextNonSpace());
          if (node) list.push(node);
          continue;
        }
        this.#i = save;
      }
      const [node, stop] = this.#textOrAction();
      if (stop) this.#fail(`unexpected {{${stop}}}`, it);
      if (node) list.push(node);
    }
  }

  /** Parses one text or action; returns the keyword if it was {{end}} or {{else}}. */
  #textOrAction(): [Node | undefined, string | undefined] {
    const it = this.#next();
    if (it.type === 'text') return [{ t: 'text', text: it.val }, undefined];
    if (it.type !== 'left') this.#unexpected(it, 'input');
    const kw = this.#nextNonSpace();
    if (kw.type === 'keyword') {
      switch (kw.val) {
        case 'end':
          this.#expect('right', 'end');
          return [undefined, 'end'];
        case 'else':
          return [undefined, 'else'];
        case 'if':
        case 'with':
        case 'range':
          return [this.#control(kw.val, kw), undefined];
        case 'break':
        case 'continue':
          if (this.#rangeDepth === 0) this.#fail(`{{${kw.val}}} outside {{range}}`, kw);
          this.#expect('right', kw.val);
          return [{ t: kw.val, pos: kw.pos }, undefined];
        case 'template': {
          const name = this.#nextNonSpace();
          if (name.type !== 'string') this.#unexpected(name, 'template clause');
          let pipe: Pipe | undefined;
          if (this.#peekNonSpace().type !== 'right') pipe = this.#pipeline('template', 'right');
          else this.#nextNonSpace();
          return [{ t: 'template', pos: kw.pos, name: unquote(name.val), pipe }, undefined];
        }
        case 'define':
        case 'block':
          this.#fail(`unexpected <${kw.val}> in command`, kw);
          break;
        default:
          break;
      }
    }
    this.#backup();
    const pipe = this.#pipeline('command', 'right');
    return [{ t: 'action', pos: pipe.pos, pipe }, undefined];
  }

  #defineOrBlock(kw: Item): Node | undefined {
    const name = this.#nextNonSpace();
    if (name.type !== 'string') this.#unexpected(name, `${kw.val} clause`);
    const tname = unquote(name.val);
    let pipe: Pipe | undefined;
    if (kw.val === 'block') pipe = this.#pipeline('block', 'right');
    else this.#expect('right', 'define clause');
    const saved = this.#vars;
    this.#vars = [['$']];
    const [body, stop] = this.#itemList(false);
    this.#vars = saved;
    if (stop !== 'end') this.#fail(`unexpected {{else}} in ${kw.val}`, kw);
    this.defines.set(tname, body);
    return kw.val === 'block' ? { t: 'template', pos: kw.pos, name: tname, pipe } : undefined;
  }

  /** Parses a list up to {{end}} or (if allowed) {{else}}. */
  #itemList(allowElse: boolean): [Node[], 'end' | 'else'] {
    const list: Node[] = [];
    for (;;) {
      if (this.#peek().type === 'eof') this.#fail('unexpected EOF', this.#peek());
      const [node, stop] = this.#textOrAction();
      if (stop === 'end') return [list, 'end'];
      if (stop === 'else') {
        if (!allowElse) this.#fail('unexpected {{else}}', this.#item(this.#i - 1));
        return [list, 'else'];
      }
      if (node) list.push(node);
    }
  }

  #control(kind: 'if' | 'with' | 'range', kw: Item): Node {
    this.#vars.push([]);
    const pipe = this.#pipeline(kind, 'right');
    if (kind === 'range') this.#rangeDepth++;
    const [list, stop] = this.#itemList(true);
    if (kind === 'range') this.#rangeDepth--;
    let elseList: Node[] | undefined;
    if (stop === 'else') {
      const next = this.#peekNonSpace();
      if (kind !== 'range' && next.type === 'keyword' && next.val === kind) {
        // {{else if ...}} is {{else}}{{if ...}} sharing the final {{end}}
        const inner = this.#nextNonSpace();
        elseList = [this.#control(kind, inner)];
      } else {
        this.#expect('right', 'else');
        [elseList] = this.#itemList(false);
      }
    }
    this.#vars.pop();
    if (kind === 'range') return { t: 'range', pos: kw.pos, pipe, list, elseList };
    return { t: kind, pos: kw.pos, pipe, list, elseList };
  }

  #declare(name: string): void {
    this.#vars[this.#vars.length - 1]!.push(name);
  }

  #hasVar(name: string): boolean {
    return this.#vars.some((scope) => scope.includes(name));
  }

  #pipeline(context: string, end: 'right' | 'rparen'): Pipe {
    const start = this.#peekNonSpace();
    const pipe: Pipe = { pos: start.pos, decl: [], isAssign: false, cmds: [] };
    // declarations
    const v = this.#peekNonSpace();
    if (v.type === 'variable') {
      const save = this.#i;
      this.#nextNonSpace();
      const op = this.#nextNonSpace();
      if (op.type === 'declare' || op.type === 'assign') {
        pipe.decl.push(v.val);
        pipe.isAssign = op.type === 'assign';
        if (pipe.isAssign && !this.#hasVar(v.val)) this.#fail(`undefined variable "${v.val}"`, v);
      } else if (op.type === 'char' && op.val === ',' && context === 'range') {
        const v2 = this.#nextNonSpace();
        const op2 = this.#nextNonSpace();
        if (v2.type !== 'variable' || (op2.type !== 'declare' && op2.type !== 'assign')) {
          this.#fail('range can only initialize variables', op);
        }
        pipe.decl.push(v.val, v2.val);
        pipe.isAssign = op2.type === 'assign';
      } else {
        this.#i = save;
      }
      if (!pipe.isAssign) for (const d of pipe.decl) this.#declare(d);
    }
    for (;;) {
      const it = this.#nextNonSpace();
      if (it.type === end) {
        if (pipe.cmds.length === 0) this.#fail(`missing value for ${context}`, it);
        return pipe;
      }
      if (
        ['bool', 'charconst', 'dot', 'field', 'identifier', 'number', 'nil', 'string', 'variable', 'lparen'].includes(
          it.type,
        )
      ) {
        this.#backup();
        pipe.cmds.push(this.#command(end));
        continue;
      }
      this.#unexpected(it, context);
    }
  }

  #command(end: 'right' | 'rparen'): Command {
    const cmd: Command = { pos: this.#peekNonSpace().pos, args: [] };
    for (;;) {
      this.#peekNonSpace();
      const op = this.#operand();
      if (op) cmd.args.push(op);
      const it = this.#next();
      if (it.type === 'space') continue;
      if (it.type === 'right' || it.type === 'rparen') {
        if (it.type !== end) this.#unexpected(it, 'operand');
        this.#backup();
      } else if (it.type !== 'pipe') {
        this.#unexpected(it, 'operand');
      }
      break;
    }
    if (cmd.args.length === 0) this.#fail('empty command');
    return cmd;
  }

  #operand(): Arg | undefined {
    const node = this.#term();
    if (!node) return undefined;
    if (this.#peek().type !== 'field') return node;
    const idents: string[] = [];
    while (this.#peek().type === 'field') idents.push(this.#next().val.slice(1));
    switch (node.t) {
      case 'field':
        return { ...node, idents: [...node.idents, ...idents] };
      case 'variable':
        return { ...node, idents: [...node.idents, ...idents] };
      case 'literal':
      case 'nil':
      case 'dot':
        this.#fail(`unexpected . after term ${JSON.stringify(argString(node))}`);
        break;
      default:
        break;
    }
    return { t: 'chain', pos: node.pos, node, idents };
  }

  #term(): Arg | undefined {
    const it = this.#nextNonSpace();
    switch (it.type) {
      case 'identifier':
        if (!this.#funcs.has(it.val)) this.#fail(`function "${it.val}" not defined`, it);
        return { t: 'identifier', pos: it.pos, name: it.val };
      case 'dot':
        return { t: 'dot', pos: it.pos };
      case 'nil':
        return { t: 'nil', pos: it.pos };
      case 'variable':
        if (!this.#hasVar(it.val)) this.#fail(`undefined variable "${it.val}"`, it);
        return { t: 'variable', pos: it.pos, name: it.val, idents: [] };
      case 'field':
        return { t: 'field', pos: it.pos, idents: [it.val.slice(1)] };
      case 'bool':
        return { t: 'literal', pos: it.pos, value: it.val === 'true', text: it.val };
      case 'number':
        return { t: 'literal', pos: it.pos, value: parseNumber(it.val, (m) => this.#fail(m, it)), text: it.val };
      case 'charconst': {
        const s = unquoteChar(it.val, (m) => this.#fail(m, it));
        return { t: 'literal', pos: it.pos, value: s, text: it.val };
      }
      case 'string':
        return { t: 'literal', pos: it.pos, value: unquote(it.val, (m) => this.#fail(m, it)), text: it.val };
      case 'lparen': {
        const pipe = this.#pipeline('parenthesized pipeline', 'rparen');
        return { t: 'pipe', pos: it.pos, pipe };
      }
      default:
        this.#backup();
        return undefined;
    }
  }
}

function describe(it: Item): string {
  switch (it.type) {
    case 'eof':
      return 'EOF';
    case 'keyword':
      return `<${it.val}>`;
    case 'right':
      return '"}}"';
    case 'space':
      return 'space';
    default:
      return JSON.stringify(it.val);
  }
}

function parseNumber(text: string, fail: (m: string) => never): number {
  let s = text.replace(/_/g, '');
  let sign = 1;
  if (s[0] === '+' || s[0] === '-') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s) || /^0[bB][01]+$/.test(s) || /^0[oO][0-7]+$/.test(s)) n = Number(s);
  else if (/^0[0-7]+$/.test(s)) n = Number.parseInt(s, 8);
  else if (/^0[xX]/.test(s)) fail(`bad number syntax: ${JSON.stringify(text)}`);
  else n = Number(s);
  if (Number.isNaN(n!)) fail(`bad number syntax: ${JSON.stringify(text)}`);
  return sign * n!;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

/** strconv.Unquote for "double" and `raw` strings. */
function unquote(
  text: string,
  fail: (m: string) => never = (m) => {
    throw new ParseFailure(m);
  },
): string {
  if (text.startsWith('`')) return text.slice(1, -1).replace(/\r/g, '');
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = body[++i] ?? '';
    if (e in SIMPLE_ESCAPES && e !== "'") {
      out += SIMPLE_ESCAPES[e];
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail(`invalid syntax`);
      out += e === 'x' ? String.fromCharCode(Number.parseInt(hex, 16)) : String.fromCodePoint(Number.parseInt(hex, 16));
      i += len;
    } else if (/[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) fail('invalid syntax');
      out += String.fromCharCode(Number.parseInt(oct, 8));
      i += 2;
    } else {
      fail(`invalid syntax`);
    }
  }
  return out;
}

function unquoteChar(text: string, fail: (m: string) => never): number {
  const s = unquote(`"${text.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`, fail);
  const cps = [...s];
  if (cps.length !== 1) fail(`malformed character constant: ${text}`);
  return cps[0]!.codePointAt(0)!;
}

// ---------------------------------------------------------------------------
// Execution

class ExecFailure extends Error {}
const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');
/** No value piped in from a previous command. */
const NONE = Symbol('none');

/** The row a table's header is rendered from: every field is its column title. */
class HeaderRow {
  readonly headers: Readonly<Record<string, string>>;

  constructor(headers: Readonly<Record<string, string>>) {
    this.headers = headers;
  }

  lookup(idents: readonly string[]): string {
    const full = idents.join('.');
    const last = idents[idents.length - 1] ?? '';
    return this.headers[full] ?? this.headers[last] ?? defaultHeader(last);
  }
}

/** "CreatedAt" → "CREATED AT", "IPAddress" → "IP ADDRESS", "ID" → "ID". */
export function defaultHeader(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toUpperCase();
}

interface FuncDef {
  fn: TemplateFunc;
  /** Parameter types; the last repeats when variadic. */
  params: readonly ParamType[];
  variadic?: boolean;
}

type ParamType = 'any' | 'string' | 'int' | 'strings';

function truth(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'string':
      return v.length > 0;
    case 'bigint':
      return v !== 0n;
    case 'function':
      return true;
    default:
      if (Array.isArray(v)) return v.length > 0;
      if (v instanceof HeaderRow) return true;
      return Object.keys(v as object).length > 0;
  }
}

function fnError(msg: string): never {
  throw new FuncError(msg);
}

class FuncError extends Error {}

type Basic = 'bool' | 'number' | 'string' | 'nil' | 'other';

function basicKind(v: unknown): Basic {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'string';
  return 'other';
}

function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) fnError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of rest) {
    const k2 = basicKind(b);
    if (k1 !== k2) {
      if (k1 !== 'nil' && k2 !== 'nil') fnError('incompatible types for comparison');
      continue;
    }
    if (k1 === 'other') fnError(`non-comparable type ${formatValue(a, false)}: ${goTypeName(a)}`);
    if (k1 === 'nil' || a === b) return true;
  }
  return false;
}

function less(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if ((k1 !== 'number' && k1 !== 'string') || (k2 !== 'number' && k2 !== 'string')) {
    fnError('invalid type for comparison');
  }
  if (k1 !== k2) fnError('incompatible types for comparison');
  return (a as number | string) < (b as number | string);
}

function goLen(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === 'object' && !(v instanceof HeaderRow)) return Object.keys(v).length;
  if (v === null || v === undefined) fnError('len of nil pointer');
  return fnError(`len of type ${goTypeName(v)}`);
}

/** The zero value of a map's element type, guessed from its other values. */
function zeroOf(map: Record<string, unknown>): unknown {
  const values = Object.values(map);
  if (values.length === 0 || values.every((x) => typeof x === 'string')) return '';
  if (values.every((x) => typeof x === 'number')) return 0;
  if (values.every((x) => typeof x === 'boolean')) return false;
  return null;
}

function goIndex(item: unknown, ...indices: unknown[]): unknown {
  let v = item;
  for (const idx of indices) {
    if (v === null || v === undefined) fnError('index of untyped nil');
    if (Array.isArray(v) || typeof v === 'string') {
      if (typeof idx !== 'number' || !Number.isInteger(idx)) {
        fnError(`cannot index slice/array with type ${goTypeName(idx)}`);
      }
      const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : undefined;
      const len = bytes ? bytes.length : (v as unknown[]).length;
      if (idx < 0 || idx >= len) fnError(`index out of range: ${idx}`);
      v = bytes ? bytes[idx] : (v as unknown[])[idx];
    } else if (typeof v === 'object' && !(v instanceof HeaderRow)) {
      if (typeof idx !== 'string') fnError(`value has type ${goTypeName(idx)}; should be string`);
      const map = v as Record<string, unknown>;
      v = Object.hasOwn(map, idx) ? map[idx] : zeroOf(map);
    } else {
      fnError(`can't index item of type ${goTypeName(v)}`);
    }
  }
  return v;
}

function goSlice(item: unknown, ...indices: unknown[]): unknown {
  if (typeof item !== 'string' && !Array.isArray(item)) fnError(`can't slice item of type ${goTypeName(item)}`);
  if (indices.length > 2 && typeof item === 'string') fnError('cannot 3-index slice a string');
  if (indices.length > 3) fnError(`too many slice indexes: ${indices.length}`);
  const len = item.length;
  const idx = indices.map((i) => {
    if (typeof i !== 'number' || !Number.isInteger(i)) fnError(`cannot index slice/array with type ${goTypeName(i)}`);
    if (i < 0 || i > len) fnError(`index out of range: ${i}`);
    return i;
  });
  const start = idx[0] ?? 0;
  const end = idx[1] ?? len;
  if (start > end) fnError(`invalid slice index: ${start} > ${end}`);
  return item.slice(start, end);
}

/** strings.Title: upper-cases the first letter of each word. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const sep = /^[\p{L}\p{Nd}_]$/u.test(prev) ? false : prev.codePointAt(0)! < 0x80 || /\s/u.test(prev);
    out += sep ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

/** docker's json: compact, HTML characters left as they are (SetEscapeHTML(false)). */
function toJson(v: unknown): string {
  if (v instanceof HeaderRow) return '';
  const s = JSON.stringify(v === undefined ? null : v);
  return (s ?? 'null').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function htmlEscape(s: string): string {
  return s.replace(/[&'<>"\0]/g, (c) =>
    c === '\0' ? '\uFFFD' : { '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;' }[c]!,
  );
}

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '"') out += '\\"';
    else if ('<>&='.includes(ch)) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else if (cp < 0x20) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

function argsText(args: readonly unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

const BUILTINS: Record<string, FuncDef> = {
  and: { fn: () => undefined, params: ['any'], variadic: true },
  or: { fn: () => undefined, params: ['any'], variadic: true },
  not: { fn: (v) => !truth(v), params: ['any'] },
  len: { fn: goLen, params: ['any'] },
  index: { fn: goIndex, params: ['any', 'any'], variadic: true },
  slice: { fn: goSlice, params: ['any', 'any'], variadic: true },
  eq: { fn: eq, params: ['any', 'any'], variadic: true },
  ne: { fn: (a, b) => !eq(a, b), params: ['any', 'any'] },
  lt: { fn: (a, b) => less(a, b), params: ['any', 'any'] },
  le: { fn: (a, b) => less(a, b) || eq(a, b), params: ['any', 'any'] },
  gt: { fn: (a, b) => !less(a, b) && !eq(a, b), params: ['any', 'any'] },
  ge: { fn: (a, b) => !less(a, b), params: ['any', 'any'] },
  print: { fn: (...a) => sprint(a), params: ['any'], variadic: true },
  printf: { fn: (f, ...a) => sprintf(f as string, a), params: ['string', 'any'], variadic: true },
  println: { fn: (...a) => sprintln(a), params: ['any'], variadic: true },
  html: { fn: (...a) => htmlEscape(argsText(a)), params: ['any'], variadic: true },
  js: { fn: (...a) => jsEscape(argsText(a)), params: ['any'], variadic: true },
  urlquery: {
    fn: (...a) =>
      encodeURIComponent(argsText(a))
        .replace(/%20/g, '+')
        .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    params: ['any'],
    variadic: true,
  },
  // docker's additions
  json: { fn: toJson, params: ['any'] },
  split: { fn: (s, sep) => splitGo(s as string, sep as string), params: ['string', 'string'] },
  join: { fn: (a, sep) => (a as string[]).join(sep as string), params: ['strings', 'string'] },
  title: { fn: (s) => title(s as string), params: ['string'] },
  lower: { fn: (s) => (s as string).toLowerCase(), params: ['string'] },
  upper: { fn: (s) => (s as string).toUpperCase(), params: ['string'] },
  pad: {
    fn: (s, pre, suf) => ((s as string) === '' ? '' : ' '.repeat(pre as number) + s + ' '.repeat(suf as number)),
    params: ['string', 'int', 'int'],
  },
  truncate: {
    fn: (s, n) => {
      const str = s as string;
      return str.length < (n as number) ? str : [...str].slice(0, n as number).join('');
    },
    params: ['string', 'int'],
  },
};

/** docker's header functions: the column title passes through unchanged. */
const HEADER_FUNCS: Record<string, FuncDef> = {
  json: { fn: (v) => v, params: ['any'] },
  split: { fn: (v) => v, params: ['any', 'any'] },
  join: { fn: (v) => v, params: ['any', 'any'] },
  title: { fn: (v) => v, params: ['any'] },
  lower: { fn: (v) => v, params: ['any'] },
  upper: { fn: (v) => v, params: ['any'] },
  truncate: { fn: (v) => v, params: ['any', 'any'] },
};

function splitGo(s: string, sep: string): string[] {
  if (sep === '') return [...s];
  return s.split(sep);
}

interface Var {
  name: string;
  value: unknown;
}

class Exec {
  readonly out: string[] = [];
  #vars: Var[];
  readonly #parsed: Parsed;
  readonly #funcs: Record<string, FuncDef>;
  #node = '';
  #pos = 0;
  #depth = 0;

  constructor(parsed: Parsed, funcs: Record<string, FuncDef>, data: unknown) {
    this.#parsed = parsed;
    this.#funcs = funcs;
    this.#vars = [{ name: '$', value: data }];
  }

  fail(msg: string): never {
    const src = this.#parsed.source;
    const before = src.slice(0, this.#pos);
    const line = before.split('\n').length;
    const col = this.#pos - (before.lastIndexOf('\n') + 1);
    const ctx = this.#node.length > 20 ? `${this.#node.slice(0, 20)}...` : this.#node;
    throw new ExecFailure(`template: :${line}:${col}: executing "" at <${ctx}>: ${msg}`);
  }

  #at(pos: number, text: string): void {
    this.#pos = pos;
    this.#node = text;
  }

  walkList(dot: unknown, list: readonly Node[]): void {
    for (const node of list) this.walk(dot, node);
  }

  walk(dot: unknown, node: Node): void {
    switch (node.t) {
      case 'text':
        this.out.push(node.text);
        return;
      case 'action': {
        const v = this.#pipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.out.push(this.#print(v));
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.#vars.length;
        const v = this.#pipeline(dot, node.pipe);
        if (truth(v)) this.walkList(node.t === 'with' ? v : dot, node.list);
        else if (node.elseList) this.walkList(dot, node.elseList);
        this.#vars.length = mark;
        return;
      }
      case 'range':
        this.#range(dot, node);
        return;
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      case 'template': {
        const body = this.#parsed.defines.get(node.name);
        this.#at(node.pos, `template "${node.name}"`);
        if (!body) this.fail(`no such template "${node.name}"`);
        if (++this.#depth > 100_000) this.fail('exceeded maximum template depth (100000)');
        const newDot = node.pipe ? this.#pipeline(dot, node.pipe) : undefined;
        const saved = this.#vars;
        this.#vars = [{ name: '$', value: newDot }];
        this.walkList(newDot, body!);
        this.#vars = saved;
        this.#depth--;
        return;
      }
    }
  }

  #range(dot: unknown, node: Extract<Node, { t: 'range' }>): void {
    const mark = this.#vars.length;
    const v = this.#pipeline(dot, node.pipe);
    const decl = node.pipe.decl;
    let entries: [unknown, unknown][];
    if (v === undefined || v === null) entries = [];
    else if (Array.isArray(v)) entries = v.map((e, i) => [i, e]);
    else if (typeof v === 'number' && Number.isInteger(v)) {
      if (decl.length > 1) this.fail(`can't use ${v} to iterate over more than one variable`);
      entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    } else if (typeof v === 'object' && !(v instanceof HeaderRow)) {
      const map = v as Record<string, unknown>;
      entries = Object.keys(map)
        .sort(compareKeys)
        .map((k) => [k, map[k]]);
    } else {
      this.fail(`range can't iterate over ${formatValue(v)}`);
    }
    // the pipeline declared its variables already; the loop overwrites them
    const base = this.#vars.length - decl.length;
    for (const [key, elem] of entries!) {
      if (decl.length === 1) this.#vars[base]!.value = elem;
      else if (decl.length === 2) {
        this.#vars[base]!.value = key;
        this.#vars[base + 1]!.value = elem;
      }
      const inner = this.#vars.length;
      try {
        this.walkList(elem, node.list);
      } catch (e) {
        this.#vars.length = inner;
        if (e === BREAK) break;
        if (e === CONTINUE) continue;
        throw e;
      }
      this.#vars.length = inner;
    }
    if (entries!.length === 0 && node.elseList) this.walkList(dot, node.elseList);
    this.#vars.length = mark;
  }

  #print(v: unknown): string {
    if (v instanceof HeaderRow) return '';
    return formatValue(v, true);
  }

  #pipeline(dot: unknown, pipe: Pipe): unknown {
    let value: unknown = NONE;
    for (const cmd of pipe.cmds) {
      value = this.#command(dot, cmd, value);
    }
    if (value === NONE) value = undefined;
    if (pipe.isAssign) {
      for (const name of pipe.decl) {
        const slot = [...this.#vars].reverse().find((x) => x.name === name);
        if (!slot) this.fail(`undefined variable: ${name}`);
        slot!.value = value;
      }
    } else {
      for (const name of pipe.decl) this.#vars.push({ name, value });
    }
    return value;
  }

  #command(dot: unknown, cmd: Command, final: unknown): unknown {
    const first = cmd.args[0]!;
    this.#at(first.pos, commandString(cmd));
    switch (first.t) {
      case 'field':
        return this.#fieldChain(dot, dot, first.idents, cmd.args, final, first);
      case 'chain': {
        this.#at(first.pos, argString(first));
        const base = this.#arg(dot, first.node);
        return this.#fieldChain(dot, base, first.idents, cmd.args, final, first);
      }
      case 'identifier':
        return this.#call(dot, first.name, cmd.args.slice(1), final, cmd);
      case 'variable': {
        const base = this.#variable(first.name);
        if (first.idents.length === 0) {
          if (cmd.args.length > 1 || final !== NONE) this.fail(`can't give argument to non-function ${first.name}`);
          return base;
        }
        return this.#fieldChain(dot, base, first.idents, cmd.args, final, first);
      }
      case 'pipe':
        this.#notAFunction(cmd, final);
        return this.#pipelineNested(dot, first.pipe);
      case 'dot':
        this.#notAFunction(cmd, final);
        return dot;
      case 'nil':
        return this.fail('nil is not a command');
      case 'literal':
        this.#notAFunction(cmd, final);
        return first.value;
    }
  }

  #pipelineNested(dot: unknown, pipe: Pipe): unknown {
    const mark = this.#vars.length;
    const v = this.#pipeline(dot, pipe);
    this.#vars.length = mark;
    return v;
  }

  #notAFunction(cmd: Command, final: unknown): void {
    if (cmd.args.length > 1 || final !== NONE)
      this.fail(`can't give argument to non-function ${argString(cmd.args[0]!)}`);
  }

  #variable(name: string): unknown {
    for (let i = this.#vars.length - 1; i >= 0; i--) {
      if (this.#vars[i]!.name === name) return this.#vars[i]!.value;
    }
    return this.fail(`undefined variable: ${name}`);
  }

  /** Evaluates .A.B.C on receiver; the last field gets the command's arguments. */
  #fieldChain(
    dot: unknown,
    receiver: unknown,
    idents: readonly string[],
    args: readonly Arg[],
    final: unknown,
    node: Arg,
  ): unknown {
    if (receiver instanceof HeaderRow) return receiver.lookup(idents);
    let v = receiver;
    for (let i = 0; i < idents.length; i++) {
      const last = i === idents.length - 1;
      v = this.#field(dot, idents[i]!, node, last ? args : [], last ? final : NONE, v);
      if (v instanceof HeaderRow) return v.lookup(idents.slice(i + 1));
    }
    return v;
  }

  #field(dot: unknown, name: string, node: Arg, args: readonly Arg[], final: unknown, receiver: unknown): unknown {
    const hasArgs = args.length > 1 || final !== NONE;
    if (receiver === undefined) return undefined;
    if (receiver === null) this.fail(`nil pointer evaluating interface {}.${name}`);
    if (typeof receiver !== 'object' || Array.isArray(receiver)) {
      this.fail(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
    }
    const map = receiver as Record<string, unknown>;
    const value = Object.hasOwn(map, name) ? map[name] : undefined;
    if (typeof value === 'function') {
      const vals = args.slice(1).map((a) => this.#arg(dot, a));
      if (final !== NONE) vals.push(final);
      try {
        return (value as TemplateFunc).apply(receiver, vals);
      } catch (e) {
        this.#at(node.pos, argString(node));
        return this.fail(`error calling ${name}: ${(e as Error).message}`);
      }
    }
    if (hasArgs) this.fail(`${name} is not a method but has arguments`);
    return value;
  }

  #arg(dot: unknown, a: Arg): unknown {
    this.#at(a.pos, argString(a));
    switch (a.t) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'literal':
        return a.value;
      case 'field':
        return this.#fieldChain(dot, dot, a.idents, [], NONE, a);
      case 'variable': {
        const base = this.#variable(a.name);
        return a.idents.length === 0 ? base : this.#fieldChain(dot, base, a.idents, [], NONE, a);
      }
      case 'chain':
        return this.#fieldChain(dot, this.#arg(dot, a.node), a.idents, [], NONE, a);
      case 'pipe':
        return this.#pipelineNested(dot, a.pipe);
      case 'identifier':
        return this.#call(dot, a.name, [], NONE, { pos: a.pos, args: [a] });
    }
  }

  #call(dot: unknown, name: string, argNodes: readonly Arg[], final: unknown, cmd: Command): unknown {
    const def = this.#funcs[name];
    if (!def) return this.fail(`"${name}" is not a defined function`);
    const label = commandString(cmd);
    const pos = cmd.pos;
    const total = argNodes.length + (final === NONE ? 0 : 1);
    const want = def.params.length;
    if (def.variadic ? total < want - 1 : total !== want) {
      this.#at(pos, label);
      this.fail(
        `wrong number of args for ${name}: want ${def.variadic ? 'at least ' : ''}${def.variadic ? want - 1 : want} got ${total}`,
      );
    }
    if (name === 'and' || name === 'or') {
      if (total === 0) this.fail(`wrong number of args for ${name}: want at least 1 got 0`);
      let v: unknown;
      const n = argNodes.length;
      for (let i = 0; i < total; i++) {
        v = i < n ? this.#arg(dot, argNodes[i]!) : final;
        if (truth(v) === (name === 'or')) return v;
      }
      return v;
    }
    const values: unknown[] = [];
    argNodes.forEach((a, i) => {
      values.push(this.#checked(this.#arg(dot, a), def.params[Math.min(i, want - 1)]!));
    });
    if (final !== NONE) values.push(this.#checked(final, def.params[Math.min(values.length, want - 1)]!));
    this.#at(pos, label);
    try {
      return def.fn(...values);
    } catch (e) {
      if (e instanceof ExecFailure) throw e;
      return this.fail(`error calling ${name}: ${(e as Error).message}`);
    }
  }

  #checked(v: unknown, type: ParamType): unknown {
    switch (type) {
      case 'any':
        return v === undefined ? null : v;
      case 'string':
        if (v === undefined) this.fail('invalid value; expected string');
        if (typeof v !== 'string') this.fail(`wrong type for value; expected string; got ${goTypeName(v)}`);
        return v;
      case 'int':
        if (v === undefined) this.fail('invalid value; expected int');
        if (typeof v !== 'number' || !Number.isInteger(v)) {
          this.fail(`wrong type for value; expected int; got ${goTypeName(v)}`);
        }
        return v;
      case 'strings':
        if (v === undefined) this.fail('invalid value; expected []string');
        if (!Array.isArray(v) || !v.every((e) => typeof e === 'string')) {
          this.fail(`wrong type for value; expected []string; got ${goTypeName(v)}`);
        }
        return v;
    }
  }
}

// ---------------------------------------------------------------------------
// Public API

export interface CompiledTemplate {
  /** Renders the template against data; throws TemplateError on execution errors. */
  (data: unknown): string;
  /** The format this was compiled from. */
  readonly source: string;
}

function buildFuncs(options: TemplateOptions, header: boolean): Record<string, FuncDef> {
  const funcs: Record<string, FuncDef> = { ...BUILTINS };
  for (const [name, fn] of Object.entries(options.funcs ?? {})) funcs[name] = { fn, params: ['any'], variadic: true };
  if (header) Object.assign(funcs, HEADER_FUNCS);
  return funcs;
}

function parseTemplate(format: string, funcs: Record<string, FuncDef>): Parsed {
  try {
    const parser = new Parser(lex(format), new Set(Object.keys(funcs)));
    const root = parser.parse();
    return { root, defines: parser.defines, source: format };
  } catch (e) {
    if (e instanceof ParseFailure) throw new TemplateError('parse', e.message);
    throw e;
  }
}

function execute(parsed: Parsed, funcs: Record<string, FuncDef>, data: unknown, partial: boolean): string {
  const exec = new Exec(parsed, funcs, data);
  try {
    exec.walkList(data, parsed.root);
  } catch (e) {
    if (partial) return exec.out.join('');
    if (e instanceof ExecFailure) throw new TemplateError('exec', e.message);
    if (e === BREAK || e === CONTINUE) throw new TemplateError('exec', 'template: break or continue outside range');
    throw e;
  }
  return exec.out.join('');
}

/** Parses a Go template once for rendering many values. Throws TemplateError on syntax errors. */
export function compileTemplate(format: string, options: TemplateOptions = {}): CompiledTemplate {
  const funcs = buildFuncs(options, false);
  const parsed = parseTemplate(format, funcs);
  const render = (data: unknown): string => execute(parsed, funcs, data, false);
  return Object.assign(render, { source: format });
}

/** Renders a Go template against data. */
export function renderTemplate(format: string, data: unknown, options?: TemplateOptions): string {
  return compileTemplate(format, options)(data);
}

/** True for docker's `table ...` formats. */
export function isTableFormat(format: string): boolean {
  return format.startsWith('table');
}

/**
 * docker's preFormat: drops the `table` prefix, turns `json` into
 * `{{json .}}`, trims spaces and expands literal `\t` and `\n`.
 */
export function prepareFormat(format: string): string {
  let f = format;
  if (isTableFormat(f)) f = f.slice('table'.length);
  else if (f === 'json') f = '{{json .}}';
  return f.replace(/^ +| +$/g, '').replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

export interface FormatTableOptions extends TemplateOptions {
  /** Used for a bare `table` format (docker's default columns for the command). */
  defaultTable?: string;
}

/**
 * Renders rows with a `--format` value as docker's list commands do:
 * `table TEMPLATE` gets a header row (each field replaced by its title from
 * `headers`, or a title derived from the field name) and tabwriter alignment;
 * `json` prints one JSON object per line; any other template one line per row.
 */
export function formatTable(
  format: string,
  rows: readonly unknown[],
  headers: Readonly<Record<string, string>> = {},
  options: FormatTableOptions = {},
): string {
  let effective = format;
  if (isTableFormat(format) && prepareFormat(format) === '' && options.defaultTable !== undefined) {
    effective = options.defaultTable;
  }
  const body = prepareFormat(effective);
  const funcs = buildFuncs(options, false);
  const parsed = parseTemplate(body, funcs);
  const lines = rows.map((row) => `${execute(parsed, funcs, row, false)}\n`);
  if (!isTableFormat(effective)) return lines.join('');
  const headerFuncs = buildFuncs(options, true);
  const header = execute(parseTemplate(body, headerFuncs), headerFuncs, new HeaderRow(headers), true);
  const w = new TabWriter();
  w.write(`${header}\n`);
  for (const line of lines) w.write(line);
  return w.flush();
}
