/** The groups Home Assistant always has (homeassistant/auth/const.py); this service has no others. */

export const GROUPS = [
  { id: 'system-admin', label: 'Administrators' },
  { id: 'system-users', label: 'Users' },
  { id: 'system-read-only', label: 'Read-only' },
] as const;

export const DEFAULT_GROUP = 'system-users';

export function groupLabel(id: string): string {
  return GROUPS.find((group) => group.id === id)?.label ?? id;
}

/** Fills a `<select>` with the groups, `selected` chosen. */
export function fillGroups(select: HTMLSelectElement, selected: string): void {
  select.replaceChildren(...GROUPS.map((group) => new Option(group.label, group.id, false, group.id === selected)));
}
