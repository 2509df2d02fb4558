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
