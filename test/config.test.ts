import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const KEY = randomBytes(32).toString('hex');

describe('loadConfig', () => {
  it('defaults to the embedded store on port 8123 on every interface', () => {
    expect(loadConfig({})).toEqual({
      port: 8123,
      host: '0.0.0.0',
      dataDir: './data',
      redisUrl: null,
      redisSentinel: null,
      redisCluster: null,
      redisMinReplicasAck: 0,
      redisKeyPrefix: 'hass-auth:',
      logLevel: 'info',
      internalUrl: null,
      externalUrl: null,
      corsAllowedOrigins: ['https://cast.home-assistant.io'],
      haVersion: '2025.6.3',
      configFile: null,
      statelyInspectUrl: null,
      metricsToken: null,
      metricsPort: null,
      secretsKeys: null,
    });
  });

  it('reads every variable, and treats an empty REDIS_URL as unset', () => {
    const env = {
      PORT: '9000', HOST: '127.0.0.1', DATA_DIR: '/var/lib/hass-auth', REDIS_URL: 'redis://r:6379/2', REDIS_KEY_PREFIX: 'ha1:', LOG_LEVEL: 'warn',
      INTERNAL_URL: 'http://homeassistant.local:8123', EXTERNAL_URL: 'https://ha.example.com/',
      CORS_ALLOWED_ORIGINS: 'https://cast.home-assistant.io, https://ha.example.com', HA_VERSION: '2026.4.1', CONFIG_FILE: '/etc/hass-auth.yaml',
      STATELY_INSPECT_URL: 'ws://127.0.0.1:8080', METRICS_TOKEN: `${'f'.repeat(60)}0a+/=`, METRICS_PORT: '9464', SECRETS_KEY: KEY,
    };
    expect(loadConfig(env)).toEqual({
      port: 9000, host: '127.0.0.1', dataDir: '/var/lib/hass-auth', redisUrl: 'redis://r:6379/2', redisSentinel: null, redisCluster: null, redisMinReplicasAck: 0, redisKeyPrefix: 'ha1:', logLevel: 'warn',
      internalUrl: 'http://homeassistant.local:8123', externalUrl: 'https://ha.example.com/',
      corsAllowedOrigins: ['https://cast.home-assistant.io', 'https://ha.example.com'], haVersion: '2026.4.1', configFile: '/etc/hass-auth.yaml',
      statelyInspectUrl: 'ws://127.0.0.1:8080', metricsToken: `${'f'.repeat(60)}0a+/=`, metricsPort: 9464,
      secretsKeys: { source: 'SECRETS_KEY', keys: [Buffer.from(KEY, 'hex')] },
    });
    expect(loadConfig({ REDIS_URL: '' }).redisUrl).toBeNull();
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT must be integer'],
    [{ PORT: '70000' }, 'PORT must be <= 65535'],
    [{ REDIS_URL: 'http://redis:6379' }, 'REDIS_URL must match pattern'],
    [{ REDIS_KEY_PREFIX: 'has space' }, 'REDIS_KEY_PREFIX must match pattern'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be equal to one of the allowed values'],
    [{ EXTERNAL_URL: 'ha.example.com' }, 'EXTERNAL_URL must match pattern'],
    [{ INTERNAL_URL: 'http://host/path?query' }, 'INTERNAL_URL must match pattern'],
    [{ HA_VERSION: 'latest' }, 'HA_VERSION must match pattern'],
    [{ STATELY_INSPECT_URL: 'http://127.0.0.1:8080' }, 'STATELY_INSPECT_URL must match pattern'],
    [{ REDIS_SENTINELS: 'sentinel-1', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINELS must match pattern'],
    [{ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_MASTER: 'm', REDIS_MIN_REPLICAS_ACK: '-1' }, 'REDIS_MIN_REPLICAS_ACK must be >= 0'],
    [{ REDIS_SENTINELS: 's1:26379,s2:70000', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINELS has port 70000 out of range in "s2:70000"'],
    [{ REDIS_SENTINELS: 's1:26379' }, 'REDIS_SENTINELS is set without REDIS_SENTINEL_MASTER'],
    [{ REDIS_SENTINEL_MASTER: 'mymaster' }, 'REDIS_SENTINEL_MASTER is set without REDIS_SENTINELS'],
    [{ REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_URL and REDIS_SENTINELS are both set'],
    [{ REDIS_CLUSTER_NODES: 'r1:7000,r2:7000' }, 'REDIS_CLUSTER_NODES must match pattern'],
    [{ REDIS_CLUSTER_NODES: 'redis://r1:7000, redis://r2:7000' }, 'REDIS_CLUSTER_NODES must match pattern'],
    [{ REDIS_CLUSTER_NODES: 'redis://r1:7000,redis://r2' }, 'REDIS_CLUSTER_NODES needs host:port in "redis://r2"'],
    [{ REDIS_CLUSTER_NODES: 'redis://r1:70000' }, 'REDIS_CLUSTER_NODES has an unparsable URL "redis://r1:70000"'],
    [{ REDIS_CLUSTER_NODES: 'redis://r1:7000/2' }, 'REDIS_CLUSTER_NODES names a database in "redis://r1:7000/2"'],
    [{ REDIS_CLUSTER_NODES: 'redis://r1:7000,rediss://r2:7000' }, 'REDIS_CLUSTER_NODES mixes redis:// and rediss://'],
    [{ REDIS_CLUSTER_NODES: 'redis://r1:7000', REDIS_URL: 'redis://r:6379' }, 'REDIS_URL and REDIS_CLUSTER_NODES are both set'],
    [{ REDIS_CLUSTER_NODES: 'redis://r1:7000', REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set'],
    [{ REDIS_CLUSTER_NODES: 'redis://r1:7000', REDIS_SENTINEL_MASTER: 'm' }, 'REDIS_SENTINEL_MASTER is set without REDIS_SENTINELS'],
    [{ REDIS_CLUSTER_NODES: 'redis://r1:7000', REDIS_MIN_REPLICAS_ACK: '1' }, 'REDIS_MIN_REPLICAS_ACK is not supported with REDIS_CLUSTER_NODES'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN must match pattern'],
    [{ METRICS_TOKEN: `${'a'.repeat(40)} b` }, 'METRICS_TOKEN must match pattern'],
    [{ METRICS_PORT: 'nine' }, 'METRICS_PORT must be integer'],
    [{ METRICS_PORT: '0' }, 'METRICS_PORT must be >= 1'],
    [{ METRICS_PORT: '8123' }, 'METRICS_PORT must differ from PORT'],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(`Invalid configuration: ${message}`);
  });

  it('reads the nodes of a cluster, credentials and TLS included, and never repeats a password in a refusal', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: 'rediss://app:s3cret@r1:7000,rediss://app:s3cret@10.0.0.2:7001,rediss://app:s3cret@[fd00::3]:7002', SECRETS_KEY: KEY });
    expect(config.redisCluster).toEqual({ nodes: ['rediss://app:s3cret@r1:7000', 'rediss://app:s3cret@10.0.0.2:7001', 'rediss://app:s3cret@[fd00::3]:7002'] });
    expect(config.redisUrl).toBeNull();
    expect(config.redisSentinel).toBeNull();
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis://app:s3cret@r1' })).toThrow('REDIS_CLUSTER_NODES needs host:port in "redis://r1"');
  });

  it('reads a sentinel set with its master name, IPv6 hosts in brackets, and the replica acknowledgements', () => {
    const config = loadConfig({ REDIS_SENTINELS: 'sentinel-1:26379,10.0.0.2:26380,[fd00::3]:26381', REDIS_SENTINEL_MASTER: 'mymaster', REDIS_MIN_REPLICAS_ACK: '1', SECRETS_KEY: KEY });
    expect(config.redisSentinel).toEqual({
      sentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
        { host: 'fd00::3', port: 26381 },
      ],
      masterName: 'mymaster',
    });
    expect(config.redisUrl).toBeNull();
    expect(config.redisMinReplicasAck).toBe(1);
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' }).port).toBe(8123);
  });

  describe('the key that seals stored secrets', () => {
    const refusal = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('expected a refusal');
    };

    it('is required with Redis, one server, Sentinel or a cluster, and optional with the embedded store', () => {
      const required = 'Invalid configuration: SECRETS_KEY (or SECRETS_KEY_FILE) is required with Redis';
      expect(refusal({ REDIS_URL: 'redis://r:6379' })).toContain(required);
      expect(refusal({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_MASTER: 'm' })).toContain(required);
      expect(refusal({ REDIS_CLUSTER_NODES: 'redis://r1:7000' })).toContain(required);
      expect(loadConfig({ DATA_DIR: '/data' }).secretsKeys).toBeNull();
      expect(loadConfig({ SECRETS_KEY: KEY }).secretsKeys?.source).toBe('SECRETS_KEY');
    });

    it('reads several keys, the first one sealing', () => {
      const old = randomBytes(32).toString('hex');
      expect(loadConfig({ REDIS_URL: 'redis://r:6379', SECRETS_KEY: `${KEY},${old}` }).secretsKeys?.keys.map((key) => key.toString('hex'))).toEqual([KEY, old]);
    });

    it.each([
      [`${KEY.slice(0, 60)}`, 'it has 60 characters'],
      [`${KEY},zz${KEY.slice(2)}`, 'key 2 has 64 characters that are not all hex'],
    ])('refuses a malformed SECRETS_KEY by name, without repeating it', (value, detail) => {
      const message = refusal({ REDIS_URL: 'redis://r:6379', SECRETS_KEY: value });
      expect(message).toBe(`Invalid configuration: SECRETS_KEY must be 64 hex characters (32 bytes, e.g. from \`openssl rand -hex 32\`), or several separated by commas; ${detail}`);
      expect(message).not.toContain(KEY.slice(2, 60));
    });

    it('reads SECRETS_KEY_FILE (a Docker secret), names it when it cannot, and takes only one of the two', () => {
      const dir = mkdtempSync(join(tmpdir(), 'hass-auth-key-'));
      try {
        writeFileSync(join(dir, 'key'), `${KEY}\n`);
        expect(loadConfig({ REDIS_URL: 'redis://r:6379', SECRETS_KEY_FILE: join(dir, 'key') }).secretsKeys).toEqual({
          source: `SECRETS_KEY_FILE (${join(dir, 'key')})`,
          keys: [Buffer.from(KEY, 'hex')],
        });
        expect(refusal({ SECRETS_KEY_FILE: join(dir, 'none') })).toBe(`Invalid configuration: SECRETS_KEY_FILE: cannot read ${join(dir, 'none')} (ENOENT)`);
        expect(refusal({ SECRETS_KEY: KEY, SECRETS_KEY_FILE: join(dir, 'key') })).toBe('Invalid configuration: SECRETS_KEY and SECRETS_KEY_FILE are both set; set one');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
