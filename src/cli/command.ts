// What every command module exports: run(argv) → exit code. Commands throw
// SnapctlError for bad input; main.ts maps it to an exit code.
export interface CommandModule {
  run(argv: string[]): Promise<number>;
}
