/**
 * Network records on disk: one JSON file per network (with its endpoints)
 * under `<root>/networks/`, plus the ledger of kernel links berth created
 * (`<root>/links.json`), so that clean-up at start-up removes only berth's
 * own leftovers and never a dockerd's `br-…`/`veth…` links.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readJsonIfExists, removeTempFiles, writeJsonAtomic } from '../../common/atomic';
import { errnoCode } from '../../common/errors';
import type { Endpoint, Network } from './types';

export interface StoredNetwork {
  network: Network;
  endpoints: Endpoint[];
  /** The subnet came from the user (static addresses allowed). */
  userSubnet: boolean;
  /** The embedded DNS port last used at the gateway, reused after a restart. */
  dnsPort?: number;
}

export interface LedgerEntry {
  name: string;
  kind: 'bridge' | 'veth';
}

const ID = /^[0-9a-f]{64}$/;

export class NetworkStore {
  private readonly records = new Map<string, StoredNetwork>();
  private ledger: LedgerEntry[] = [];

  private constructor(private readonly root: string) {}

  static async open(root: string): Promise<NetworkStore> {
    const store = new NetworkStore(root);
    const dir = path.join(root, 'networks');
    await fs.mkdir(dir, { recursive: true });
    await removeTempFiles(dir);
    await removeTempFiles(root);
    for (const name of await fs.readdir(dir)) {
      const m = /^([0-9a-f]{64})\.json$/.exec(name);
      if (m === null) continue;
      const file = path.join(dir, name);
      try {
        const rec = await readJsonIfExists<StoredNetwork>(file);
        if (rec === undefined || !ID.test(rec.network?.id ?? '') || !Array.isArray(rec.endpoints)) {
          throw new Error('bad record');
        }
        store.records.set(rec.network.id, rec);
      } catch {
        await fs.rename(file, `${file}.corrupt-${Date.now()}`).catch(() => undefined);
      }
    }
    try {
      const ledger = await readJsonIfExists<LedgerEntry[]>(store.ledgerFile());
      if (Array.isArray(ledger)) store.ledger = ledger.filter((e) => typeof e?.name === 'string');
    } catch {
      store.ledger = [];
    }
    return store;
  }

  all(): StoredNetwork[] {
    return [...this.records.values()];
  }

  get(id: string): StoredNetwork | undefined {
    return this.records.get(id);
  }

  async put(rec: StoredNetwork): Promise<void> {
    await writeJsonAtomic(path.join(this.root, 'networks', `${rec.network.id}.json`), rec);
    this.records.set(rec.network.id, rec);
  }

  async delete(id: string): Promise<void> {
    try {
      await fs.rm(path.join(this.root, 'networks', `${id}.json`));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    this.records.delete(id);
  }

  links(): LedgerEntry[] {
    return [...this.ledger];
  }

  /** Records a link before it is created. */
  async addLink(entry: LedgerEntry): Promise<void> {
    if (this.ledger.some((e) => e.name === entry.name)) return;
    this.ledger.push(entry);
    await writeJsonAtomic(this.ledgerFile(), this.ledger);
  }

  /** Forgets a link after it is deleted. */
  async dropLink(name: string): Promise<void> {
    const before = this.ledger.length;
    this.ledger = this.ledger.filter((e) => e.name !== name);
    if (this.ledger.length !== before) await writeJsonAtomic(this.ledgerFile(), this.ledger);
  }

  private ledgerFile(): string {
    return path.join(this.root, 'links.json');
  }
}
