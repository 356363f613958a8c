/**
 * Text from an event file (or any input) is shown to an operator's terminal: a raw control
 * character in it could move the cursor, rewrite earlier lines, retitle the window or hide text
 * (ESC/CSI sequences, backspace, carriage return, C1 controls, bidirectional overrides).
 * Every command that echoes input (`ops plan`, later `ops replay`) passes it through here first.
 */

// C0 controls (tab, newline and all), DEL, C1 controls (U+0080–U+009F: U+009B is a one-byte CSI in some
// terminals), the line/paragraph separators, and the bidirectional embedding/override/isolate marks.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this module's job
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** What `JSON.stringify` leaves raw inside strings (it escapes U+0000–U+001F itself; its own newlines stay). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function visible(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of untrusted text made safe to print: every control character becomes a visible `\xNN`/`\uNNNN`. */
export function sanitise(text: string): string {
  return text.replace(UNSAFE, visible);
}

/**
 * JSON for a terminal or a pipe: `JSON.stringify` already escapes C0 controls, but it leaves DEL, the C1
 * controls and the bidi marks raw. They are written as `\uNNNN` escapes here, which is the same JSON value.
 */
export function safeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(
    UNSAFE_IN_JSON,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
