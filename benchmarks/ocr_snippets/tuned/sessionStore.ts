// Session storage backed by Redis.
import { createClient, RedisClientType } from 'redis';

export interface Session {
  userId: string;
  roles: string[];
  expiresAt: number;
}

export class SessionStore {
  private readonly client: RedisClientType;
  private readonly prefix: string;

  constructor(url: string, prefix = 'sess') {
    this.client = createClient({ url });
    this.prefix = prefix;
  }

  private key(id: string): string {
    return `${this.prefix}:${id}`;
  }

  async get(id: string): Promise<Session | null> {
    const raw = await this.client.get(this.key(id));
    if (raw === null) {
      return null;
    }
    const session = JSON.parse(raw) as Session;
    return session.expiresAt > Date.now() ? session : null;
  }

  async save(id: string, session: Session): Promise<void> {
    const ttl = Math.ceil((session.expiresAt - Date.now()) / 1000);
    await this.client.set(this.key(id), JSON.stringify(session), { EX: ttl });
  }
}
