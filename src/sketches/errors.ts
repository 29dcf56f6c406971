/**
 * Errors raised by sketches carry a stable code (undici style) so callers and tests can
 * match on the code rather than on the wording.
 */
export class SketchError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SketchError';
    this.code = code;
  }
}
