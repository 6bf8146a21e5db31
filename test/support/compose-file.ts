/**
 * docker-compose.yml read as data: no Docker engine runs in CI, so the tests check the file
 * (docker-compose.test.ts) and run its nginx configuration and the replicas' environment and
 * configuration on loopback (cluster/through-compose-nginx.test.ts).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ComposeService {
  build?: string;
  command?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  networks?: Record<string, { ipv4_address?: string }>;
  configs?: Array<{ source: string; target: string }>;
  stop_grace_period?: string;
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, { ipam?: { config?: Array<{ subnet?: string }> } }>;
  configs: Record<string, { content: string }>;
  volumes?: Record<string, unknown>;
}

export function readCompose(): ComposeFile {
  return parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as ComposeFile;
}

export function composeService(compose: ComposeFile, name: string): ComposeService {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/**
 * The text a container finds at `target`: the content of the config mounted there, after Compose's
 * interpolation (which turns `$$` into a literal `$`; the file uses no variables).
 */
export function mountedConfig(compose: ComposeFile, service: string, target: string): string {
  const mount = composeService(compose, service).configs?.find((config) => config.target === target);
  if (mount === undefined) throw new Error(`docker-compose.yml mounts no config at ${target} in ${service}`);
  const content = compose.configs[mount.source]?.content;
  if (content === undefined) throw new Error(`docker-compose.yml has no config ${mount.source}`);
  return content.replaceAll('$$', '$');
}

/** A service's fixed address on the default network. */
export function fixedAddress(compose: ComposeFile, service: string): string {
  const address = composeService(compose, service).networks?.default?.ipv4_address;
  if (address === undefined) throw new Error(`docker-compose.yml gives ${service} no ipv4_address on the default network`);
  return address;
}
