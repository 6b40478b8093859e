// Progress of one long piece of work (a directory crawl, a large zone load): how much of how much
// is done, the items found and the errors met. The terminal line (cli/progress-line.ts), /readyz's
// body and the aop_progress_* gauges (metrics.ts) all read the same object.

export interface ProgressSnapshot {
  task: string;
  running: boolean;
  /** Units done and planned (zones of a crawl, records of a load); total 0 while unknown. */
  done: number;
  total: number;
  /** Things found so far (agents, records). */
  items: number;
  errors: number;
  /** Milliseconds since it started (or it took, once finished). */
  ms: number;
}

export class Progress {
  private doneUnits = 0;
  private totalUnits = 0;
  private itemCount = 0;
  private errorCount = 0;
  private startedAt = 0;
  private endedAt: number | undefined = 0;
  private begun = false;
  private detail: string | undefined;
  private readonly listeners: Array<() => void> = [];

  /** `unit` and `itemName` say what the line counts: "zones", "agents". */
  constructor(readonly task: string, readonly unit = 'zones', readonly itemName = 'agents', private readonly now: () => number = Date.now) {}

  /** A new run: counts back to zero. `total` may grow later (plan). */
  start(total = 0): void {
    this.detail = undefined;
    this.doneUnits = 0;
    this.itemCount = 0;
    this.errorCount = 0;
    this.totalUnits = total;
    this.startedAt = this.now();
    this.endedAt = undefined;
    this.begun = true;
    this.changed();
  }

  /** Whether it ran at all (a task never started is not reported). */
  get started(): boolean {
    return this.begun;
  }

  plan(total: number): void {
    this.totalUnits = total;
    this.changed();
  }

  /** One unit done, with what it found. */
  step(items: number, errors: number): void {
    this.doneUnits++;
    this.itemCount += items;
    this.errorCount += errors;
    this.changed();
  }

  finish(): void {
    this.endedAt = this.now();
    this.detail = undefined;
    this.changed();
  }

  /** What the unit in hand has come to (`bench.agents.zone 42%`), shown after the counts while running; undefined clears it. */
  note(detail: string | undefined): void {
    if (detail === this.detail) return;
    this.detail = detail;
    this.changed();
  }

  get running(): boolean {
    return this.endedAt === undefined;
  }

  snapshot(): ProgressSnapshot {
    return {
      task: this.task, running: this.running, done: this.doneUnits, total: this.totalUnits, items: this.itemCount, errors: this.errorCount,
      ms: (this.endedAt ?? this.now()) - this.startedAt,
    };
  }

  /** `directory crawl: 3/10 zones, 120 agents, 1 error, 2.1 s` (and ", done" once finished). */
  line(): string {
    const s = this.snapshot();
    const of = s.total > 0 ? `${s.done}/${s.total}` : `${s.done}`;
    const detail = s.running && this.detail !== undefined ? `; ${this.detail}` : '';
    return `${s.task}: ${of} ${this.unit}, ${s.items} ${this.itemName}, ${s.errors} error${s.errors === 1 ? '' : 's'}, ${(s.ms / 1000).toFixed(1)} s${s.running ? '' : ', done'}${detail}`;
  }

  /** Called after every change (the terminal line redraws). */
  onChange(f: () => void): void {
    this.listeners.push(f);
  }

  private changed(): void {
    for (const f of this.listeners) f();
  }
}
