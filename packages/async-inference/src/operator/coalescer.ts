/**
 * Gathers records for one `infer` call until `maxRows` rows are waiting or the oldest has
 * waited `maxDelayMs`. A record that would overflow the batch sends the waiting ones first, so
 * a batch exceeds `maxRows` only when a single record alone does.
 */
export class Coalescer<T extends { readonly rows: number }> {
  private waiting: T[] = [];
  private rows = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onTimer = (): void => this.flush();

  constructor(
    private readonly maxRows: number,
    private readonly maxDelayMs: number,
    private readonly send: (members: T[]) => void,
  ) {}

  add(item: T): void {
    if (this.waiting.length > 0 && this.rows + item.rows > this.maxRows) this.flush();
    this.waiting.push(item);
    this.rows += item.rows;
    if (this.rows >= this.maxRows) this.flush();
    else if (this.waiting.length === 1) this.timer = setTimeout(this.onTimer, this.maxDelayMs);
  }

  /** Takes back a waiting item (its deadline passed); false when it was not waiting. */
  remove(item: T): boolean {
    const index = this.waiting.indexOf(item);
    if (index < 0) return false;
    this.waiting.splice(index, 1);
    this.rows -= item.rows;
    if (this.waiting.length === 0) this.clear();
    return true;
  }

  /** Sends whatever is waiting now. */
  flush(): void {
    if (this.waiting.length === 0) return;
    const members = this.waiting;
    this.clear();
    this.send(members);
  }

  /** Forgets everything waiting, without sending. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = [];
    this.rows = 0;
  }
}
