// Waiting on a condition instead of sleeping for a fixed time: poll until it holds, with a
// generous deadline that is only a backstop (a loaded machine may be slow, never wrong).

/** Poll `cond` every `intervalMs` until it is true (returns true) or `timeoutMs` pass (returns false). */
export async function waitUntil(cond: () => boolean | Promise<boolean>, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<boolean> {
  const { timeoutMs = 30_000, intervalMs = 20 } = opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Like waitUntil, but throws `message` (with what `detail` says then) when the backstop runs out. */
export async function waitFor(cond: () => boolean | Promise<boolean>, message: string, opts: { timeoutMs?: number; intervalMs?: number; detail?: () => string } = {}): Promise<void> {
  if (await waitUntil(cond, opts)) return;
  throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${message}${opts.detail ? `\n${opts.detail()}` : ''}`);
}

/** Wait for `re` to match the log `getLog` returns; the match, or an error quoting the log at the backstop. */
export async function waitForLog(getLog: () => string, re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  let m: RegExpExecArray | null = null;
  await waitFor(() => (m = re.exec(getLog())) !== null, `${re}`, { timeoutMs, intervalMs: 25, detail: () => `log:\n${getLog()}` });
  return m!;
}
