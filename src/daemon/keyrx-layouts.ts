/** KeyRx's layout names (its settings.json `global_layout`, its device registry) and ours. */
export const KEYRX_LAYOUTS: Readonly<Record<string, string>> = {
  ANSI_104: 'ansi-104',
  ISO_105: 'iso-105',
  JIS_109: 'jis-109',
  HHKB: 'hhkb',
  NUMPAD: 'numpad',
};

/** A KeyRx layout name as ours; anything else as given (the daemon checks it). */
export function keyrxLayoutId(layout: string): string {
  return KEYRX_LAYOUTS[layout] ?? layout;
}

/**
 * The id a KeyRx custom layout gets here (its name, or its file name without `.json`): lower
 * case, runs of other characters as `-`. Layouts and the devices naming them use the same.
 */
export function keyrxCustomLayoutId(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'keyrx-layout'
  );
}
