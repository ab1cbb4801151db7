/** A problem in the user's metric files. The compiler collects; the CLI renders. */
export interface Diagnostic {
  readonly code: string;
  readonly message: string;
  /** Project-relative path of the metric file. */
  readonly file: string;
  /** Path into the definition: ['measures', 'p99', 'level']. */
  readonly path: readonly (string | number)[];
  readonly line?: number;
  readonly column?: number;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line ? `${d.file}:${d.line}:${d.column ?? 1}` : d.file;
  const path = d.path.length ? ` at ${d.path.join('.')}` : '';
  return `${where} ${d.code}${path}: ${d.message}`;
}

/** One error class with a stable code, for everything hyb throws at users. */
export class HybError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HybError';
  }
}
