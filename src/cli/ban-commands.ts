/**
 * `hass-auth ban …`: the addresses banned for too many failed logins (ha-auth-spec §11). Home
 * Assistant keeps them in `ip_bans.yaml`, edited by hand and read at start; here they are in the
 * store, which every running instance reads on each request, so on Redis a lift takes effect at
 * once, everywhere (on SQLite the server is stopped while the CLI runs). "Not found" is a printed result with exit code 0, as for the
 * other commands; an IP that is no address is a usage error (exit 2).
 */
import { parseIpAddress } from '../domain/network.js';
import { ipBanAdmin } from '../services/bans/login-attempts.js';
import type { CliCommand } from './command.js';
import { printable } from './token-lines.js';

const listBans: CliCommand = {
  words: ['ban', 'list'],
  args: [],
  summary: 'print the banned addresses, oldest ban first',
  async run(context) {
    const bans = await ipBanAdmin(context.store).listBans();
    for (const { ip, bannedAt } of bans) context.out(`${printable(ip)}\t${new Date(bannedAt).toISOString()}`);
    context.out('');
    context.out(`Total bans: ${bans.length}`);
  },
};

/** Also forgets the address' failed logins, else its next failure would ban it again at once. */
const liftBan: CliCommand = {
  words: ['ban', 'lift'],
  args: ['IP'],
  summary: 'lift the ban of an address and forget its failed logins',
  // Bans are kept by address: text that is none could never have been banned.
  checkArgs: ([ip = '']) => (parseIpAddress(ip) === null ? `ban lift: IP must be an IPv4 or IPv6 address, not ${printable(ip)}` : null),
  async run(context, [ip = '']) {
    context.out((await ipBanAdmin(context.store).lift(ip)) ? 'Ban lifted' : 'Ban not found');
  },
};

export const banCommands: CliCommand[] = [listBans, liftBan];
