/**
 * How the adapter declares a Lua script: node-redis' `defineScript`, which calls it by EVALSHA and
 * falls back to EVAL when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH), so each script
 * stays one round trip without a loading step at start.
 *
 * Every script is called as `client.<name>(keys, args)`: the keys it declares (node-redis pushes
 * their count) and its string arguments. Replies are checked by a parser of the script's own, so
 * that the rest of the adapter reads typed values, never RESP leftovers.
 */
import { defineScript, type CommandParser } from 'redis';

/** Redis answered something a script cannot return: a bug, or keys written by something else. */
export class UnexpectedReplyError extends Error {
  constructor(what: string, reply: unknown) {
    super(`unexpected Redis reply for ${what}: ${JSON.stringify(reply) ?? String(reply)}`);
    this.name = 'UnexpectedReplyError';
  }
}

export function luaScript<R>(source: string, parseReply: (reply: unknown) => R) {
  return defineScript({
    SCRIPT: source,
    parseCommand(parser: CommandParser, keys: string[], args: string[]) {
      parser.pushKeysLength(keys);
      parser.push(...args);
    },
    transformReply: (reply: unknown): R => parseReply(reply),
  });
}

export function integerReply(what: string) {
  return (reply: unknown): number => {
    if (typeof reply !== 'number' || !Number.isInteger(reply)) throw new UnexpectedReplyError(what, reply);
    return reply;
  };
}

/** A Lua `false`/nil arrives as null (RESP3 may also give `false`): both mean "nothing". */
export function optionalStringReply(what: string) {
  return (reply: unknown): string | null => {
    if (reply === null || reply === false) return null;
    if (typeof reply !== 'string') throw new UnexpectedReplyError(what, reply);
    return reply;
  };
}

/** A fixed-length array of strings or nils (a Lua `false` in a returned table arrives as null). */
export function optionalStringsReply(what: string, length: number) {
  return (reply: unknown): Array<string | null> => {
    if (!Array.isArray(reply) || reply.length !== length || !reply.every((item) => item === null || typeof item === 'string')) {
      throw new UnexpectedReplyError(what, reply);
    }
    return reply as Array<string | null>;
  };
}

export function stringArrayReply(what: string) {
  return (reply: unknown): string[] => {
    if (!Array.isArray(reply) || !reply.every((item) => typeof item === 'string')) {
      throw new UnexpectedReplyError(what, reply);
    }
    return reply;
  };
}
