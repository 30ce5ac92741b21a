/**
 * @internal The codes of the warnings a context can leave at process exit:
 * it has work but was never run, or work was added after its run ended
 * (it is stopped) and nobody called `restart()`.
 */
export type ExitWarningCode = 'PROACTOR_CONTEXT_NEVER_RUN' | 'PROACTOR_CONTEXT_STOPPED_WITH_WORK';

/** @internal What a context tells the exit check: its warning, or `null` when it has nothing to say. */
export interface ExitWarning {
  readonly code: ExitWarningCode;
  readonly message: string;
}

/** @internal Something the exit check asks, at exit, whether it has a warning to leave. */
export interface ExitWarningSource {
  exitWarning(): ExitWarning | null;
}

/**
 * The contexts being watched. Weak, so a context nobody references can still
 * be collected (its registration goes with it), and one `'exit'` listener
 * for the whole process, added with the first context watched.
 */
const watched = new Set<WeakRef<ExitWarningSource>>();
const collected = new FinalizationRegistry<WeakRef<ExitWarningSource>>((ref) => {
  watched.delete(ref);
});
let listening = false;

/** The warning as Node prints it: `(node:PID) [code] ProactorWarning: message`. */
function warningOf(warning: ExitWarning): Error {
  const error = new Error(warning.message);
  error.name = 'ProactorWarning';
  (error as Error & { code: string }).code = warning.code;
  return error;
}

function onExit(code: number): void {
  // A process already failing (an uncaught exception, a non-zero exit) has
  // told its user something went wrong; a warning about the context would
  // only add noise to that.
  if (code !== 0) return;
  for (const ref of watched) {
    const warning = ref.deref()?.exitWarning() ?? null;
    // process.emitWarning reports on the next tick, which never comes once
    // 'exit' is emitted; emitting 'warning' reaches Node's printer (and any
    // listener of the application) now, and `--no-warnings` still silences it.
    if (warning !== null) process.emit('warning', warningOf(warning));
  }
  watched.clear();
}

/**
 * @internal Watches `source` until `unwatchAtExit`: when the process exits
 * normally, its `exitWarning()` is asked and a warning it returns is
 * emitted, once. Called when a context first gets work it will not run on
 * its own, never per operation.
 */
export function watchAtExit(source: ExitWarningSource): WeakRef<ExitWarningSource> {
  const ref = new WeakRef(source);
  watched.add(ref);
  collected.register(source, ref, ref);
  if (!listening) {
    listening = true;
    process.once('exit', onExit);
  }
  return ref;
}

/** @internal Stops watching what `watchAtExit` returned `ref` for. */
export function unwatchAtExit(ref: WeakRef<ExitWarningSource>): void {
  watched.delete(ref);
  collected.unregister(ref);
}
