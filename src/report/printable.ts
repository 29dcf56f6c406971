/**
 * Log bytes are the attacker's words: printed raw, a URL or user agent holding ESC [2J clears
 * the operator's screen, ESC ]0; retitles the terminal, a CR or a bidi override rewrites what
 * the line seems to say. Everything from the input that goes to a terminal or into a text file
 * (the text report, the live view, block-list comments) goes through `printable`: C0 and C1
 * controls and DEL as \xHH (as Apache escapes them in its own logs), bidi controls as \uHHHH.
 * JSON and HTML escape for themselves.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (ch) => {
    const c = ch.charCodeAt(0);
    return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
  });
}
