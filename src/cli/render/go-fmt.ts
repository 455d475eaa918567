/**
 * Go's fmt rules, for the output docker users know: `%v` printing of values,
 * floating-point formatting (`%e %f %g` with exact, round-half-even decimal
 * rounding as strconv does) and a `Sprintf` with Go's verbs and its
 * `%!d(string=x)` complaints.
 *
 * Values are plain JavaScript data (decoded JSON): integral numbers stand for
 * Go ints, other numbers for float64, arrays for slices, objects for maps.
 * `undefined` is Go's "no value" (a missing map key), `null` is `<nil>`.
 */

/** A Go-like type name for a value, as fmt and text/template print it in errors. */
export function goTypeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'bigint') return 'int64';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'function') return 'func';
  return 'map[string]interface {}';
}

// ---------------------------------------------------------------------------
// Exact decimal digits of a double.

interface Decimal {
  /** Significant digits, no leading or trailing zeros ('' for zero). */
  d: string;
  /** Position of the decimal point: value = 0.d × 10^dp. */
  dp: number;
}

const f64 = new DataView(new ArrayBuffer(8));

/** The exact decimal expansion of a finite, non-negative double. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { d: '', dp: 0 };
  f64.setFloat64(0, x);
  const hi = f64.getUint32(0);
  const lo = f64.getUint32(4);
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (bexp === 0) {
    e2 = -1074;
  } else {
    mant |= 1n << 52n;
    e2 = bexp - 1075;
  }
  let digits: string;
  let dp: number;
  if (e2 >= 0) {
    digits = (mant << BigInt(e2)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-e2)).toString();
    dp = digits.length + e2;
  }
  return trimDecimal({ d: digits, dp });
}

function trimDecimal(dec: Decimal): Decimal {
  let { d, dp } = dec;
  let start = 0;
  while (start < d.length && d[start] === '0') start++;
  d = d.slice(start);
  dp -= start;
  let end = d.length;
  while (end > 0 && d[end - 1] === '0') end--;
  d = d.slice(0, end);
  if (d === '') dp = 0;
  return { d, dp };
}

/** Round to nd significant digits, half to even (the expansion is exact). */
function roundDecimal(dec: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= dec.d.length) return dec;
  const next = dec.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (nd + 1 < dec.d.length) up = true;
  else up = nd > 0 && (dec.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  let kept = dec.d.slice(0, nd);
  let dp = dec.dp;
  if (up) {
    let i = kept.length - 1;
    const chars = kept.split('');
    while (i >= 0 && chars[i] === '9') {
      chars[i] = '0';
      i--;
    }
    if (i < 0) {
      chars.unshift('1');
      dp++;
    } else {
      chars[i] = String.fromCharCode(chars[i]!.charCodeAt(0) + 1);
    }
    kept = chars.join('');
  }
  return trimDecimal({ d: kept, dp });
}

/** The shortest digits that read back as x (what Go's shortest formatting uses). */
function shortestDecimal(x: number): Decimal {
  if (x === 0) return { d: '', dp: 0 };
  const s = x.toExponential();
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s)!;
  return trimDecimal({ d: m[1]! + (m[2] ?? ''), dp: Number(m[3]) + 1 });
}

function digitAt(dec: Decimal, i: number): string {
  return i >= 0 && i < dec.d.length ? dec.d[i]! : '0';
}

function fmtE(dec: Decimal, prec: number, upper: boolean): string {
  let out = digitAt(dec, 0);
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += digitAt(dec, i);
  }
  const exp = dec.d === '' ? 0 : dec.dp - 1;
  const ae = Math.abs(exp);
  out += (upper ? 'E' : 'e') + (exp < 0 ? '-' : '+') + (ae < 10 ? '0' : '') + String(ae);
  return out;
}

function fmtF(dec: Decimal, prec: number): string {
  let out = '';
  if (dec.dp > 0) {
    for (let i = 0; i < dec.dp; i++) out += digitAt(dec, i);
  } else {
    out = '0';
  }
  if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) out += digitAt(dec, dec.dp + i);
  }
  return out;
}

/**
 * strconv.FormatFloat(x, fmt, prec, 64): fmt is one of e E f g G; prec -1 means
 * the shortest representation that reads back exactly.
 */
export function formatFloat(x: number, fmt: 'e' | 'E' | 'f' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return '+Inf';
  if (x === Number.NEGATIVE_INFINITY) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  const shortest = prec < 0;
  let dec: Decimal;
  if (shortest) {
    dec = shortestDecimal(abs);
    const nd = dec.d.length;
    if (fmt === 'e' || fmt === 'E') prec = Math.max(nd - 1, 0);
    else if (fmt === 'f') prec = Math.max(nd - dec.dp, 0);
    else prec = nd;
  } else {
    const exact = exactDecimal(abs);
    if (fmt === 'e' || fmt === 'E') dec = roundDecimal(exact, prec + 1);
    else if (fmt === 'f') dec = roundDecimal(exact, exact.dp + prec);
    else {
      if (prec === 0) prec = 1;
      dec = roundDecimal(exact, prec);
    }
  }
  let body: string;
  if (fmt === 'e' || fmt === 'E') {
    body = fmtE(dec, prec, fmt === 'E');
  } else if (fmt === 'f') {
    body = fmtF(dec, prec);
  } else {
    const nd = dec.d.length;
    const dp = dec.d === '' ? 1 : dec.dp;
    let eprec = prec;
    if (eprec > nd && nd >= dp) eprec = nd;
    if (shortest) eprec = 6;
    const exp = dp - 1;
    if (exp < -4 || exp >= eprec) {
      if (prec > nd) prec = nd;
      body = fmtE(dec, Math.max(prec - 1, 0), fmt === 'G');
    } else {
      if (prec > dp) prec = nd;
      body = fmtF(dec, Math.max(prec - dp, 0));
    }
  }
  return (neg ? '-' : '') + body;
}

// ---------------------------------------------------------------------------
// %v printing

/** An integer as Go prints it: all digits, never an exponent. */
function formatInt(n: number): string {
  if (Math.abs(n) < 1e21) return String(n === 0 ? 0 : n);
  return BigInt(n).toString();
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** A value as Go's fmt prints it with %v (maps with sorted keys, slices in brackets). */
export function formatValue(v: unknown, top = true): string {
  if (v === undefined) return top ? '<no value>' : '<nil>';
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return Number.isInteger(v) ? formatInt(v) : formatFloat(v, 'g', -1);
    case 'bigint':
      return v.toString();
    case 'function':
      return '<func>';
    default:
      break;
  }
  if (Array.isArray(v)) return `[${v.map((e) => formatValue(e, false)).join(' ')}]`;
  if (v instanceof Date) return v.toISOString();
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort(compareKeys);
  return `map[${keys.map((k) => `${k}:${formatValue(obj[k], false)}`).join(' ')}]`;
}

/** Go sorts map keys by byte order; for ASCII keys that is code-unit order. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a ?? null, false);
  });
  return out;
}

/** fmt.Sprintln: spaces always, newline at the end. */
export function sprintln(args: readonly unknown[]): string {
  return `${args.map((a) => formatValue(a ?? null, false)).join(' ')}\n`;
}

// ---------------------------------------------------------------------------
// Quoting

/** strconv.Quote: Go-syntax double-quoted string. */
export function quoteString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
      default:
        break;
    }
    if (isPrintable(cp)) out += ch;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

function isPrintable(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp >= 0x80 && cp < 0xa0) return false;
  if (cp >= 0xd800 && cp < 0xe000) return false;
  if (cp === 0xad || cp === 0xfeff || cp === 0x2028 || cp === 0x2029) return false;
  return true;
}

function quoteRune(cp: number): string {
  if (cp === 0x27) return "'\\''";
  const q = quoteString(String.fromCodePoint(cp));
  const inner = q.slice(1, -1).replace(/\\"/g, '"');
  return `'${inner}'`;
}

// ---------------------------------------------------------------------------
// Sprintf

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function runeLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined) return s;
  const n = runeLength(s);
  if (n >= spec.width) return s;
  const fill = spec.width - n;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(fill) + s.slice(sign.length);
  }
  return ' '.repeat(fill) + s;
}

function badVerb(verb: string, arg: unknown): string {
  if (arg === null || arg === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(arg)}=${formatValue(arg, false)})`;
}

function signed(s: string, neg: boolean, spec: Spec): string {
  if (neg) return `-${s}`;
  if (spec.plus) return `+${s}`;
  if (spec.space) return ` ${s}`;
  return s;
}

function formatIntVerb(n: number, verb: string, spec: Spec): string {
  const neg = n < 0;
  let abs: bigint;
  try {
    abs = BigInt(Math.abs(n));
  } catch {
    return badVerb(verb, n);
  }
  let digits: string;
  switch (verb) {
    case 'd':
    case 'v':
      digits = abs.toString(10);
      break;
    case 'x':
      digits = abs.toString(16);
      if (spec.sharp) digits = `0x${digits}`;
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      if (spec.sharp) digits = `0X${digits}`;
      break;
    case 'o':
      digits = abs.toString(8);
      if (spec.sharp) digits = `0${digits}`;
      break;
    case 'O':
      digits = `0o${abs.toString(8)}`;
      break;
    case 'b':
      digits = abs.toString(2);
      break;
    default:
      return badVerb(verb, n);
  }
  if (spec.prec !== undefined && digits.length < spec.prec) digits = digits.padStart(spec.prec, '0');
  return pad(signed(digits, neg, spec), spec, spec.prec === undefined);
}

function formatFloatVerb(x: number, verb: string, spec: Spec): string {
  let fmt: 'e' | 'E' | 'f' | 'g' | 'G';
  let prec = spec.prec ?? -1;
  switch (verb) {
    case 'e':
    case 'E':
      fmt = verb;
      if (spec.prec === undefined) prec = 6;
      break;
    case 'f':
    case 'F':
      fmt = 'f';
      if (spec.prec === undefined) prec = 6;
      break;
    case 'g':
    case 'G':
    case 'v':
      fmt = verb === 'G' ? 'G' : 'g';
      break;
    default:
      return badVerb(verb, x);
  }
  let s = formatFloat(x, fmt, prec);
  if (!s.startsWith('-') && !s.startsWith('+Inf')) s = signed(s, false, spec);
  else if (s === '+Inf' && !spec.plus) s = spec.space ? ' Inf' : '+Inf';
  return pad(s, spec, Number.isFinite(x));
}

function hexString(s: string, upper: boolean, spec: Spec): string {
  const bytes = Buffer.from(s, 'utf8');
  let out = '';
  bytes.forEach((b, i) => {
    if (i > 0 && spec.space) out += ' ';
    if (spec.sharp && (i === 0 || spec.space)) out += upper ? '0X' : '0x';
    out += b.toString(16).padStart(2, '0');
  });
  return upper ? out.toUpperCase() : out;
}

function formatOne(arg: unknown, verb: string, spec: Spec): string {
  if (verb === 'T') return pad(goTypeName(arg), spec, false);
  if (arg === null || arg === undefined) {
    if (verb === 'v' || verb === 's') return pad('<nil>', spec, false);
    return badVerb(verb, arg);
  }
  if (Array.isArray(arg) && verb !== 'v') {
    // Go applies the verb to each element of a slice
    return pad(`[${arg.map((e) => formatOne(e, verb, { ...spec, width: undefined })).join(' ')}]`, spec, false);
  }
  switch (typeof arg) {
    case 'boolean':
      if (verb === 'v' || verb === 't') return pad(arg ? 'true' : 'false', spec, false);
      return badVerb(verb, arg);
    case 'number':
      if (verb === 'c' || verb === 'q' || verb === 'U') {
        if (!Number.isInteger(arg)) return badVerb(verb, arg);
        if (verb === 'c') return pad(String.fromCodePoint(arg), spec, false);
        if (verb === 'q') return pad(quoteRune(arg), spec, false);
        return pad(`U+${arg.toString(16).toUpperCase().padStart(4, '0')}`, spec, false);
      }
      if (Number.isInteger(arg) && 'dvxXobO'.includes(verb)) return formatIntVerb(arg, verb, spec);
      if ('eEfFgGv'.includes(verb)) return formatFloatVerb(arg, verb, spec);
      return badVerb(verb, arg);
    case 'string': {
      let s = arg;
      switch (verb) {
        case 'v':
        case 's':
          if (spec.prec !== undefined) s = [...s].slice(0, spec.prec).join('');
          return pad(s, spec, false);
        case 'q':
          if (spec.prec !== undefined) s = [...s].slice(0, spec.prec).join('');
          if (spec.sharp && !s.includes('`') && [...s].every((c) => c === '\t' || isPrintable(c.codePointAt(0)!)))
            return pad(`\`${s}\``, spec, false);
          return pad(quoteString(s), spec, false);
        case 'x':
        case 'X':
          if (spec.prec !== undefined) s = Buffer.from(s, 'utf8').subarray(0, spec.prec).toString('latin1');
          return pad(hexString(s, verb === 'X', spec), spec, false);
        default:
          return badVerb(verb, arg);
      }
    }
    default:
      break;
  }
  if (typeof arg === 'object' && verb !== 'v' && verb !== 's') {
    return badVerb(verb, arg);
  }
  return pad(formatValue(arg, false), spec, false);
}

/** fmt.Sprintf with Go's verbs, flags, width and precision. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  const n = format.length;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const spec: Spec = {
      minus: false,
      plus: false,
      sharp: false,
      space: false,
      zero: false,
      width: undefined,
      prec: undefined,
    };
    flags: while (i < n) {
      switch (format[i]) {
        case '-':
          spec.minus = true;
          spec.zero = false;
          break;
        case '+':
          spec.plus = true;
          break;
        case '#':
          spec.sharp = true;
          break;
        case ' ':
          spec.space = true;
          break;
        case '0':
          spec.zero = !spec.minus;
          break;
        default:
          break flags;
      }
      i++;
    }
    const readNum = (): number | undefined => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        if (isInt(a)) return a;
        out += '%!(BADWIDTH)';
        return undefined;
      }
      const start = i;
      while (i < n && format[i]! >= '0' && format[i]! <= '9') i++;
      return i > start ? Number(format.slice(start, i)) : undefined;
    };
    spec.width = readNum();
    if (spec.width !== undefined && spec.width < 0) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (format[i] === '.') {
      i++;
      spec.prec = readNum() ?? 0;
    }
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(args[argi++], verb, spec);
  }
  if (argi < args.length) {
    const extra = args
      .slice(argi)
      .map((a) => (a === null || a === undefined ? '<nil>' : `${goTypeName(a)}=${formatValue(a, false)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}
