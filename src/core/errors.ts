/**
 * A user error: bad flag, unreadable input named by the user. The CLI prints its message
 * on one line (no stack trace) and exits with status 3 ("could not run").
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
