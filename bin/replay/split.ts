/**
 * A streaming splitter for event files: text goes in chunk by chunk, the text of each event comes out,
 * without ever holding more than one event's text (and the current chunk). It understands:
 *
 * - a CloudTrail log file, `{"Records":[ record, record, … ]}` as the trail writes it to S3: each record
 *   comes out on its own (`Records[i]`); any other key of that object is skipped;
 * - JSON values one after another: one event, NDJSON (`line N`), or events simply concatenated
 *   (`{…}{…}`, as Firehose writes an EventBridge stream to S3);
 * - a top-level JSON array of events (`[i]`), e.g. an export of an archive's events.
 *
 * It tracks only strings (with escapes) and bracket depth: a value's own syntax is checked later by
 * `JSON.parse`, so one malformed event is one error and the next one is read normally. A line of
 * something that is not JSON comes out as that line; a value still open at the end of the input comes out
 * as an error (truncated input); a value longer than `maxValueChars` is skipped and reported. Input whose
 * first character is not `{` or `[` is not a file of events: it is one error, and the rest is not read.
 */

export type Piece =
  | { readonly kind: 'event'; readonly text: string; readonly where: string }
  | { readonly kind: 'error'; readonly reason: string; readonly where: string };

/** EventBridge events are at most 256 KB; CloudTrail records are smaller. Anything past this is not an event. */
export const MAX_VALUE_CHARS = 8 * 1024 * 1024;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === NEWLINE || c === 0x0d || c === 0x09 || c === 0xfeff;
}

/** The head of a CloudTrail log file, up to the `[` that opens its records. */
const RECORDS_HEAD = /^\{\s*"Records"\s*:\s*$/;

export class EventSplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Depth whose values are the units: 0 (top-level values), 1 (a top-level array), 2 (CloudTrail Records). */
  private splitDepth = 0;
  /** Inside a CloudTrail file's object after its Records array: the rest is skipped. */
  private skipping = false;
  private line = 1;
  private valueNo = 0;
  private elementNo = 0;
  /** The open unit: 'container' ({…} / […]), 'scalar' (anything else, up to its end), or none. */
  private unit: 'container' | 'scalar' | undefined;
  private unitStart = 0;
  private unitWhere = '';
  private parts: string[] = [];
  private partsChars = 0;
  private oversize = false;
  /** Whether the first character that is not white space has been seen, and whether it ruled the input out. */
  private started = false;
  private rejected = false;
  /** Where the next backslash of the current chunk is (-1: not looked up yet; Infinity: none). */
  private nextSlash = -1;
  /** Characters fed so far (for error messages). */
  private fed = 0;

  constructor(private readonly maxValueChars = MAX_VALUE_CHARS) {}

  /** Feeds the next chunk of text; returns the pieces completed within it. */
  push(chunk: string): Piece[] {
    const out: Piece[] = [];
    if (this.rejected) return out;
    const n = chunk.length;
    let i = 0;
    this.nextSlash = -1;
    if (this.unit) this.unitStart = 0;
    while (i < n) {
      if (this.inString) {
        i = this.skipString(chunk, i);
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (this.unit === 'scalar' && this.scalarEnds(c)) {
        this.emit(out, chunk, i);
        continue; // the character that ended it is read again, outside the unit
      }
      if (c === NEWLINE) this.line++;
      if (this.unit === 'scalar') {
        if (c === QUOTE) this.inString = true;
        i++;
        continue;
      }
      if (this.unit === 'container') {
        if (c === QUOTE) this.inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          this.depth++;
          if (
            c === OPEN_BRACKET &&
            this.splitDepth === 0 &&
            this.depth === 2 &&
            this.isRecordsHead(chunk, i)
          ) {
            // A CloudTrail log file: its records are the units from here on.
            this.dropUnit();
            this.splitDepth = 2;
            this.elementNo = 0;
          }
        } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          this.depth--;
          if (this.depth === this.splitDepth) {
            this.emit(out, chunk, i + 1);
            i++;
            continue;
          }
        }
        i++;
        continue;
      }
      // No unit open.
      if (isSpace(c)) {
        i++;
        continue;
      }
      if (!this.started) {
        this.started = true;
        if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
          // Not a file of JSON events at all (a README beside the logs, a binary): one error, not one per line.
          this.rejected = true;
          out.push({
            kind: 'error',
            where: `line ${this.line}`,
            reason: `not JSON events: the input starts with ${JSON.stringify(chunk.slice(i, i + 40))}`,
          });
          break;
        }
      }
      if (this.depth > this.splitDepth || this.skipping) {
        // Inside something we do not split (the rest of a CloudTrail file's object): track depth only.
        if (c === QUOTE) this.inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          this.depth--;
          if (this.depth === 0) this.skipping = false;
        }
        i++;
        continue;
      }
      if (this.splitDepth > 0 && c === COMMA) {
        i++;
        continue;
      }
      if (this.splitDepth > 0 && (c === CLOSE_BRACKET || c === CLOSE_BRACE)) {
        // The array being split ends.
        this.depth--;
        if (this.splitDepth === 2) this.skipping = this.depth > 0;
        this.splitDepth = 0;
        i++;
        continue;
      }
      if (this.splitDepth === 0 && c === OPEN_BRACKET) {
        // A top-level array: its elements are the events.
        this.valueNo++;
        this.depth = 1;
        this.splitDepth = 1;
        this.elementNo = 0;
        i++;
        continue;
      }
      this.open(c === OPEN_BRACE || c === OPEN_BRACKET ? 'container' : 'scalar', i);
      if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
      else if (c === QUOTE) this.inString = true;
      i++;
    }
    if (this.unit && !this.oversize && !this.rejected) this.keep(chunk.slice(this.unitStart));
    this.fed += n;
    return out;
  }

  /** The input has ended: an open value is reported as truncated. */
  end(): Piece[] {
    const out: Piece[] = [];
    if (this.rejected) return out;
    if (this.unit === 'scalar' && !this.inString) {
      this.emit(out, '', 0);
    } else if (this.unit || this.depth > 0) {
      const where = this.unit ? this.unitWhere : this.splitDepth === 2 ? 'Records' : `value ${this.valueNo}`;
      out.push({
        kind: 'error',
        where,
        reason: `truncated: the input ends inside a JSON ${this.inString ? 'string' : 'value'} (after ${this.fed} characters)`,
      });
    }
    this.unit = undefined;
    this.parts = [];
    return out;
  }

  private skipString(chunk: string, from: number): number {
    let i = from;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    while (i < chunk.length) {
      const quote = chunk.indexOf('"', i);
      const end = quote === -1 ? chunk.length : quote;
      // A backslash before the quote escapes whatever follows it. (Its position is looked up once per
      // chunk and again only when passed, not once per string: that would rescan the chunk each time.)
      if (this.nextSlash !== Number.POSITIVE_INFINITY && this.nextSlash < i) {
        const found = chunk.indexOf('\\', i);
        this.nextSlash = found === -1 ? Number.POSITIVE_INFINITY : found;
      }
      const slash = this.nextSlash;
      if (slash < end) {
        if (slash + 1 >= chunk.length) {
          this.escaped = true;
          return chunk.length;
        }
        i = slash + 2;
        continue;
      }
      if (quote === -1) return chunk.length;
      this.inString = false;
      return quote + 1;
    }
    return i;
  }

  private scalarEnds(c: number): boolean {
    if (this.splitDepth === 0) return c === NEWLINE || c === OPEN_BRACE || c === OPEN_BRACKET;
    return c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE;
  }

  private isRecordsHead(chunk: string, i: number): boolean {
    const head = this.partsChars + (i - this.unitStart);
    if (head > 64) return false;
    return RECORDS_HEAD.test(this.parts.join('') + chunk.slice(this.unitStart, i));
  }

  private open(unit: 'container' | 'scalar', at: number): void {
    this.unit = unit;
    this.unitStart = at;
    this.parts = [];
    this.partsChars = 0;
    this.oversize = false;
    if (this.splitDepth === 2) this.unitWhere = `Records[${this.elementNo++}]`;
    else if (this.splitDepth === 1) this.unitWhere = `[${this.elementNo++}]`;
    else {
      this.valueNo++;
      this.unitWhere = `line ${this.line}`;
    }
  }

  private keep(text: string): void {
    this.partsChars += text.length;
    if (this.partsChars > this.maxValueChars) {
      this.oversize = true;
      this.parts = [];
    } else this.parts.push(text);
  }

  private dropUnit(): void {
    this.unit = undefined;
    this.parts = [];
    this.partsChars = 0;
  }

  private emit(out: Piece[], chunk: string, endExclusive: number): void {
    const where = this.unitWhere;
    if (!this.oversize) this.keep(chunk.slice(this.unitStart, endExclusive));
    if (this.oversize) {
      out.push({
        kind: 'error',
        where,
        reason: `skipped: a JSON value longer than ${this.maxValueChars} characters is not an event`,
      });
    } else {
      const text = this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join('');
      out.push({ kind: 'event', text: this.unit === 'scalar' ? text.trim() : text, where });
    }
    this.dropUnit();
  }
}
