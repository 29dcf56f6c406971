/** Input errors carry a stable code and always name the input they are about. */
export class InputError extends Error {
  readonly code: string;
  readonly input: string;
  constructor(code: string, input: string, message: string) {
    super(message);
    this.name = 'InputError';
    this.code = code;
    this.input = input;
  }
}
