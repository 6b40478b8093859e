// The one logger: JSON lines with the message in `msg`, or the text line `time level msg key=value`;
// auto picks text only on a terminal; levels below the minimum are not written.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createLogger, resolveFormat, textLine } from '../../src/base/log.js';

t.test('json: one object a line, level as its name, message in msg, fields beside it', async (t) => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', write: (l) => lines.push(l) });
  log.debug('not written');
  log.info('listening on 127.0.0.1:5300 (udp, tcp)');
  log.warn('refused "AXFR"\nsecond line', { client: '192.0.2.1', port: 53 });
  t.equal(lines.length, 2, 'debug is below info');
  const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(a, { level: 'info', msg: 'listening on 127.0.0.1:5300 (udp, tcp)', pid: process.pid });
  t.match(a!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.match(b, { level: 'warn', msg: 'refused "AXFR"\nsecond line', client: '192.0.2.1', port: 53 });
  t.match(lines[0], /listening on 127\.0\.0\.1:(\d+)/, 'a pattern for the text line finds the JSON line too');
  t.notOk(lines.some((l) => l.includes('\n')), 'one line each');
});

t.test('text: today\'s line, plus key=value fields', async (t) => {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', format: 'text', write: (l) => lines.push(l), fields: { worker: 2 } });
  log.debug('zone acme.agents. loaded serial 7');
  log.error('cannot save', { file: '/var/lib/aop/a b.zone', n: 3, ok: false, o: { x: 1 } });
  t.match(lines[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z debug zone acme\.agents\. loaded serial 7 worker=2$/);
  t.match(lines[1], / error cannot save worker=2 file="\/var\/lib\/aop\/a b\.zone" n=3 ok=false o=\{"x":1\}$/);
  t.equal(textLine('{"level":"info","time":"T","pid":1,"msg":"m %s","k":""}'), 'T info m %s k=""', 'no printf, empty values quoted');
});

t.test('auto: text on a terminal, json elsewhere', async (t) => {
  t.equal(resolveFormat('auto', true), 'text');
  t.equal(resolveFormat('auto', false), 'json');
  t.equal(resolveFormat('json', true), 'json');
  t.equal(resolveFormat('text', false), 'text');
});

t.test('stderr: written synchronously, nothing lost at exit', async (t) => {
  const code = "import { createLogger } from './src/base/log.ts'; const l = createLogger(); for (let i = 0; i < 2000; i++) l.info('line ' + i); process.exit(0);";
  const r = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', code], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 2000, 'every line is there after process.exit');
  t.match(JSON.parse(lines[1999]!), { msg: 'line 1999' }, 'not a terminal: json');
});
