// fstrm_capture (fstrm-bin) as a dnstap collector for a test: listening on a unix socket, writing a file.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { waitFor } from './wait.js';

/** fstrm_capture on `sock` writing `file`, started and listening; stop() ends it (SIGINT) so the file is complete. */
export async function capture(sock: string, file: string): Promise<{ proc: ChildProcess; stop: () => Promise<void> }> {
  const proc = spawn('fstrm_capture', ['-t', 'protobuf:dnstap.Dnstap', '-u', sock, '-w', file], { stdio: 'ignore' });
  await waitFor(() => existsSync(sock), `fstrm_capture to listen on ${sock}`);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return { proc, stop: async () => { proc.kill('SIGINT'); await exited; } };
}
