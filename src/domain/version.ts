/**
 * The Home Assistant version this service answers as (`ha_version` on the WebSocket, the `version` a
 * refresh token records): the release whose authentication behaviour it matches (ha-auth-spec §0).
 */
export const HA_VERSION = '2025.6.3';
