/**
 * This instance's authenticated sockets, by the refresh token they authenticated with, so that an
 * end of that token heard on the revocation bus closes them (ha-auth-spec §10.4; Home Assistant's
 * `async_register_revoke_token_callback`). A socket is registered before its token is checked, so
 * that an end published while the check runs is not missed.
 */
export interface SessionHolder {
  readonly refreshTokenId: string;
  /** The session ended: close without a message, as Home Assistant cancels the connection. */
  sessionEnded(): void;
}

export class OpenSockets {
  readonly #byToken = new Map<string, Set<SessionHolder>>();

  add(holder: SessionHolder): void {
    const holders = this.#byToken.get(holder.refreshTokenId) ?? new Set();
    holders.add(holder);
    this.#byToken.set(holder.refreshTokenId, holders);
  }

  remove(holder: SessionHolder): void {
    const holders = this.#byToken.get(holder.refreshTokenId);
    holders?.delete(holder);
    if (holders?.size === 0) this.#byToken.delete(holder.refreshTokenId);
  }

  /** Ends every socket of this refresh token. */
  end(refreshTokenId: string): void {
    for (const holder of [...(this.#byToken.get(refreshTokenId) ?? [])]) holder.sessionEnded();
  }

  /** The refresh token ids that sockets hold now. */
  refreshTokenIds(): string[] {
    return [...this.#byToken.keys()];
  }

  get size(): number {
    let count = 0;
    for (const holders of this.#byToken.values()) count += holders.size;
    return count;
  }
}
