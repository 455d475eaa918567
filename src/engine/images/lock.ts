/**
 * A first-come-first-served readers/writer lock. Image loads and imports
 * hold it shared while they create objects nothing references yet; garbage
 * collection holds it exclusively, so it never deletes what a load in
 * progress has just stored.
 */
export class RwLock {
  private readers = 0;
  private writer = false;
  private readonly waiting: Array<{ exclusive: boolean; grant: () => void }> = [];

  /** True when nobody holds or waits for the lock. */
  get idle(): boolean {
    return this.readers === 0 && !this.writer && this.waiting.length === 0;
  }

  shared<T>(fn: () => Promise<T>): Promise<T> {
    return this.run(false, fn);
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.run(true, fn);
  }

  private async run<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((grant) => {
      this.waiting.push({ exclusive, grant });
      this.pump();
    });
    try {
      return await fn();
    } finally {
      if (exclusive) this.writer = false;
      else this.readers--;
      this.pump();
    }
  }

  private pump(): void {
    while (this.waiting.length > 0 && !this.writer) {
      const next = this.waiting[0];
      if (next === undefined) break;
      if (next.exclusive && this.readers > 0) break;
      this.waiting.shift();
      if (next.exclusive) this.writer = true;
      else this.readers++;
      next.grant();
      if (next.exclusive) break;
    }
  }
}
