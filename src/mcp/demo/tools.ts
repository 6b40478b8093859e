// The bundled demo agents' tools: deterministic text in, text out, each with a real input schema,
// so a call through the DNS shows where it went and what it was given. No network, no model.

import { z } from 'zod';

export interface DemoTool {
  /** Input schema as a zod raw shape (registerTool's inputSchema). */
  shape: Record<string, z.ZodType>;
  /** What the tool does, for tools/list when the record has no description. */
  summary: string;
  run(args: Record<string, unknown>, agent: string): string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const words = (text: string): string[] => text.split(/\s+/).filter((w) => w.length > 0);
const sentences = (text: string): string[] => text.replace(/\s+/g, ' ').trim().split(/(?<=[.!?])\s+/).filter((s) => s.length > 0);
const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const nonEmpty = (what: string) => z.string().min(1, `${what} must not be empty`).max(20_000);

/** A few words per language, enough to show the tool ran; others are kept and marked. */
const DICTIONARY: Record<string, Record<string, string>> = {
  es: { hello: 'hola', world: 'mundo', agent: 'agente', name: 'nombre', good: 'bueno', morning: 'mañana', thank: 'gracias', you: 'tú', the: 'el' },
  fr: { hello: 'bonjour', world: 'monde', agent: 'agent', name: 'nom', good: 'bon', morning: 'matin', thank: 'merci', you: 'vous', the: 'le' },
  de: { hello: 'hallo', world: 'Welt', agent: 'Agent', name: 'Name', good: 'gut', morning: 'Morgen', thank: 'danke', you: 'du', the: 'die' },
};

export const DEMO_TOOLS: Record<string, DemoTool> = {
  draft_copy: {
    summary: 'Drafts marketing copy for a task',
    shape: { task: nonEmpty('task').describe('What to write, e.g. "Draft a haiku about DNS"'), tone: z.enum(['plain', 'upbeat', 'formal']).optional().describe('Default plain') },
    run(a, agent) {
      const task = str(a.task).trim();
      const tone = str(a.tone) || 'plain';
      const topic = task.replace(/^(draft|write|create)\s+(an?\s+)?/i, '');
      const w = words(topic);
      return [
        `Draft by ${agent} (tone: ${tone})`,
        `Task: ${task}`,
        '',
        `# ${capital(topic)}`,
        `${capital(w.slice(0, 3).join(' '))}, said simply.`,
        `${w.length} words of brief, ${task.length} characters: ${tone === 'upbeat' ? 'ready to ship!' : tone === 'formal' ? 'submitted for review.' : 'ready for an editor.'}`,
      ].join('\n');
    },
  },
  edit_text: {
    summary: 'Edits text for clarity and house style',
    shape: { text: nonEmpty('text').describe('The text to edit') },
    run(a, agent) {
      const before = str(a.text);
      const edited = sentences(before).map((s) => capital(s.replace(/\s+([,.;:!?])/g, '$1'))).map((s) => (/[.!?]$/.test(s) ? s : `${s}.`)).join(' ');
      return `Edited by ${agent} (${before.length} -> ${edited.length} characters):\n${edited}`;
    },
  },
  translate: {
    summary: 'Translates text between languages',
    shape: { text: nonEmpty('text').describe('The text to translate'), target_language: z.enum(['es', 'fr', 'de']).describe('Language code: es, fr or de') },
    run(a, agent) {
      const lang = str(a.target_language);
      const dict = DICTIONARY[lang] ?? {};
      let known = 0;
      const out = str(a.text).replace(/[A-Za-z]+/g, (w) => {
        const t = dict[w.toLowerCase()];
        if (t === undefined) return w;
        known++;
        return w[0] === w[0]!.toUpperCase() ? capital(t) : t;
      });
      return `Translation by ${agent} to ${lang} (${known} of ${words(str(a.text)).length} words from the demo dictionary):\n${out}`;
    },
  },
  research: {
    summary: 'Researches a topic and cites sources',
    shape: { topic: nonEmpty('topic').describe('The topic to research') },
    run(a, agent) {
      const topic = str(a.topic).trim();
      const slug = topic.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'topic';
      return [
        `Research notes by ${agent} on "${topic}":`,
        `1. Background: what ${topic} is and where it comes from [1].`,
        `2. Current practice: how ${topic} is used today [2].`,
        `3. Open questions about ${topic} [1][2].`,
        `[1] https://example.org/${slug}/background`,
        `[2] https://example.org/${slug}/practice`,
      ].join('\n');
    },
  },
  summarize: {
    summary: 'Summarises long documents',
    shape: { text: nonEmpty('text').describe('The document'), max_sentences: z.number().int().min(1).max(20).optional().describe('Default 2') },
    run(a, agent) {
      const all = sentences(str(a.text));
      const n = typeof a.max_sentences === 'number' ? a.max_sentences : 2;
      return `Summary by ${agent} (${Math.min(n, all.length)} of ${all.length} sentences):\n${all.slice(0, n).join(' ')}`;
    },
  },
  plan_project: {
    summary: 'Breaks a goal into a step-by-step plan',
    shape: { goal: nonEmpty('goal').describe('What the project should achieve'), steps: z.number().int().min(2).max(10).optional().describe('Default 4') },
    run(a, agent) {
      const goal = str(a.goal).trim();
      const n = typeof a.steps === 'number' ? a.steps : 4;
      const phases = ['Define what done means for', 'List the work needed for', 'Build the first part of', 'Review and test', 'Ship', 'Gather feedback on', 'Improve', 'Document', 'Hand over', 'Celebrate'];
      return [`Plan by ${agent} for: ${goal}`, ...phases.slice(0, n).map((p, i) => `${i + 1}. ${p} ${goal}`)].join('\n');
    },
  },
  write_code: {
    summary: 'Writes and fixes code',
    shape: { task: nonEmpty('task').describe('What the code should do'), language: z.enum(['typescript', 'python']).optional().describe('Default typescript') },
    run(a, agent) {
      const task = str(a.task).trim();
      const ident = words(task.toLowerCase().replace(/[^a-z0-9 ]/g, ' ')).slice(0, 4).join('_') || 'task';
      if (str(a.language) === 'python') return `# ${agent}: ${task}\ndef ${ident}() -> None:\n    raise NotImplementedError(${JSON.stringify(task)})\n`;
      const camel = ident.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
      return `// ${agent}: ${task}\nexport function ${camel}(): never {\n  throw new Error(${JSON.stringify(`not implemented: ${task}`)});\n}\n`;
    },
  },
  review_code: {
    summary: 'Reviews code changes and flags risks',
    shape: { code: nonEmpty('code').describe('The code or diff to review') },
    run(a, agent) {
      const lines = str(a.code).split('\n');
      const rules: Array<[RegExp, string]> = [[/\beval\s*\(/, 'eval() runs arbitrary code'], [/\bany\b/, '`any` turns off type checks'], [/TODO|FIXME/, 'unfinished work'], [/console\.log/, 'debug output left in']];
      const findings: string[] = [];
      lines.forEach((line, i) => {
        for (const [re, why] of rules) if (re.test(line)) findings.push(`line ${i + 1}: ${why}`);
      });
      return `Review by ${agent} of ${lines.length} line(s): ${findings.length === 0 ? 'no risks flagged' : `${findings.length} finding(s)`}${findings.map((f) => `\n- ${f}`).join('')}`;
    },
  },
};

/** For a tool the demo does not know: echo the task, so any zone's agents can be served. */
export const ECHO_TOOL: DemoTool = {
  summary: 'Echoes the task it is given',
  shape: { task: nonEmpty('task').describe('Anything') },
  run: (a, agent) => `${agent} received: ${str(a.task)}`,
};
