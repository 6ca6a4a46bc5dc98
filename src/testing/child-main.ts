// The end of a child the CLI forks with an IPC channel (`capstan test`, `capstan preview`).

/** Sends `message` to the parent and resolves once it is written. */
export function sendToParent(child: string, message: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) throw new Error(`${child} must be started with an IPC channel`);
    process.send(message, () => resolve());
  });
}

/** Runs `main` with the arguments; its result is the exit code, an error is one line and code 2. */
export function runChild(command: string, main: (args: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      process.disconnect?.();
    },
    (error: unknown) => {
      process.stderr.write(`${command}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
      process.disconnect?.();
    },
  );
}
