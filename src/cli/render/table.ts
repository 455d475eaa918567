/**
 * An elastic-tabstop writer with the semantics of Go's text/tabwriter, as
 * docker configures it for every table: `NewWriter(out, 10, 1, 3, ' ', 0)`.
 *
 * Cells are tab-terminated: the text after the last tab of a line is not part
 * of a column. A column is a run of consecutive lines that all have a cell in
 * that position; its width is the widest cell plus padding, at least minWidth.
 */

export interface TabWriterOptions {
  /** Minimal cell width including padding (docker: 10). */
  minWidth?: number;
  /** Width of a tab when padChar is a tab (docker: 1). */
  tabWidth?: number;
  /** Added to the widest cell of a column (docker: 3). */
  padding?: number;
  /** docker: ' '. */
  padChar?: string;
  /** Right-align cell contents (text/tabwriter's AlignRight). */
  alignRight?: boolean;
}

interface Cell {
  text: string;
  width: number;
}

/** Display width: wide East Asian characters and emoji count 2, combining marks 0. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x300) {
      w += cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? 0 : 1;
    } else if ((cp >= 0x300 && cp < 0x370) || (cp >= 0x200b && cp <= 0x200f) || cp === 0xfe0f) {
      // combining marks and zero-width characters
    } else if (
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x1f300 && cp <= 0x1f64f) ||
      (cp >= 0x1f900 && cp <= 0x1f9ff) ||
      (cp >= 0x20000 && cp <= 0x3fffd)
    ) {
      w += 2;
    } else {
      w += 1;
    }
  }
  return w;
}

/** Buffers text and aligns its tab-terminated cells when flushed. */
export class TabWriter {
  readonly #minWidth: number;
  readonly #tabWidth: number;
  readonly #padding: number;
  readonly #padChar: string;
  readonly #alignRight: boolean;
  #pending = '';

  constructor(options: TabWriterOptions = {}) {
    this.#minWidth = options.minWidth ?? 10;
    this.#tabWidth = options.tabWidth ?? 1;
    this.#padding = options.padding ?? 3;
    this.#padChar = options.padChar ?? ' ';
    this.#alignRight = (options.alignRight ?? false) && this.#padChar !== '\t';
  }

  write(text: string): void {
    this.#pending += text;
  }

  /** Formats everything written so far and returns it; the writer is then empty. */
  flush(): string {
    const text = this.#pending;
    this.#pending = '';
    const lines: Cell[][] = text
      .split('\n')
      .map((line) => line.split('\t').map((t) => ({ text: t, width: displayWidth(t) })));
    const out: string[] = [];
    this.#format(lines, 0, lines.length, [], out);
    return out.join('');
  }

  #format(lines: Cell[][], line0: number, line1: number, widths: number[], out: string[]): void {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      // a cell exists in this column: print the lines before the block
      this.#writeLines(lines, line0, i, widths, out);
      line0 = i;
      let width = this.#minWidth;
      for (; i < line1; i++) {
        const line = lines[i]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + this.#padding);
      }
      widths.push(width);
      this.#format(lines, line0, i, widths, out);
      widths.pop();
      line0 = i;
    }
    this.#writeLines(lines, line0, line1, widths, out);
  }

  #writeLines(lines: Cell[][], line0: number, line1: number, widths: number[], out: string[]): void {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      line.forEach((cell, j) => {
        const padded = j < widths.length;
        if (cell.text === '') {
          if (padded) out.push(this.#pad(0, widths[j]!));
        } else if (this.#alignRight) {
          if (padded) out.push(this.#pad(cell.width, widths[j]!));
          out.push(cell.text);
        } else {
          out.push(cell.text);
          if (padded) out.push(this.#pad(cell.width, widths[j]!));
        }
      });
      if (i + 1 < lines.length) out.push('\n');
    }
  }

  #pad(textWidth: number, cellWidth: number): string {
    if (this.#padChar === '\t') {
      if (this.#tabWidth === 0) return '';
      const cw = Math.ceil(cellWidth / this.#tabWidth) * this.#tabWidth;
      return '\t'.repeat(Math.ceil((cw - textWidth) / this.#tabWidth));
    }
    return this.#padChar.repeat(Math.max(0, cellWidth - textWidth));
  }
}

/** Aligns tab-separated text with docker's table settings (or the given ones). */
export function tabwrite(text: string, options?: TabWriterOptions): string {
  const w = new TabWriter(options);
  w.write(text);
  return w.flush();
}

/**
 * Renders rows of cells as docker's default tables do: cells joined by tabs,
 * one line per row, aligned with minwidth 10, padding 3. Every line ends
 * with a newline.
 */
export function renderTable(rows: readonly (readonly string[])[], options?: TabWriterOptions): string {
  if (rows.length === 0) return '';
  return tabwrite(`${rows.map((r) => r.join('\t')).join('\n')}\n`, options);
}
