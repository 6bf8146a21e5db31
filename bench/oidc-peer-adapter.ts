/**
 * node-oidc-provider's Redis adapter as its repository shows it (`example/adapters/redis.js`), in
 * TypeScript on the `redis` package instead of ioredis: the same keys and the same round trips, so
 * the peer of bench/peer-comparison.ts does what a deployment following its documentation does.
 *
 * - Tokens that can be consumed (codes, refresh tokens) are hashes `{payload, consumed}`; the
 *   others a JSON string. Every key expires with its token.
 * - A token of a grant is also appended to the list `grant:<grantId>` (for `revokeByGrantId`), whose
 *   TTL is read first and raised to the token's: an upsert is two round trips (TTL, then MULTI).
 * - `uid` and `userCode` get an index key each; `consume` sets the hash's `consumed` field.
 */
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';
import type { createClient } from 'redis';

export type PeerRedis = ReturnType<typeof createClient>;

const consumable = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);
const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/** The adapter class the provider instantiates once per model name, on `client` under `keyPrefix` (the example's `oidc:`). */
export function redisAdapter(client: PeerRedis, keyPrefix: string): AdapterConstructor {
  const grantKey = (grantId: string) => `${keyPrefix}grant:${grantId}`;
  const userCodeKey = (userCode: string) => `${keyPrefix}userCode:${userCode}`;
  const uidKey = (uid: string) => `${keyPrefix}uid:${uid}`;

  return class RedisAdapter implements Adapter {
    constructor(private readonly name: string) {}

    private key(id: string): string {
      return `${keyPrefix}${this.name}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const key = this.key(id);
      const multi = client.multi();
      if (consumable.has(this.name)) multi.hSet(key, { payload: JSON.stringify(payload) });
      else multi.set(key, JSON.stringify(payload));
      if (expiresIn) multi.expire(key, expiresIn);
      if (grantable.has(this.name) && payload.grantId) {
        const list = grantKey(payload.grantId);
        multi.rPush(list, key);
        // The example's own remark: a long-lived grant's list grows with every token; LTRIM would bound it.
        const ttl = await client.ttl(list);
        if (expiresIn && expiresIn > ttl) multi.expire(list, expiresIn);
      }
      const expiry = expiresIn ? { EX: expiresIn } : undefined;
      if (payload.userCode) multi.set(userCodeKey(payload.userCode), id, expiry);
      if (payload.uid) multi.set(uidKey(payload.uid), id, expiry);
      await multi.exec();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (!consumable.has(this.name)) {
        const text = await client.get(this.key(id));
        return text === null ? undefined : (JSON.parse(text) as AdapterPayload);
      }
      const { payload, ...rest } = (await client.hGetAll(this.key(id))) as Record<string, string>;
      return payload === undefined ? undefined : { ...rest, ...(JSON.parse(payload) as AdapterPayload) };
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await client.get(uidKey(uid));
      return id === null ? undefined : this.find(id);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await client.get(userCodeKey(userCode));
      return id === null ? undefined : this.find(id);
    }

    async destroy(id: string): Promise<void> {
      await client.del(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const list = grantKey(grantId);
      const tokens = await client.lRange(list, 0, -1);
      await client.multi().del([...tokens, list]).exec();
    }

    async consume(id: string): Promise<void> {
      await client.hSet(this.key(id), 'consumed', Math.floor(Date.now() / 1000));
    }
  };
}
