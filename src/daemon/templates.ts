/** Starting points for new profiles (KeyRx's five, plus the first-start default). */
export const TEMPLATE_NAMES = [
  'default',
  'blank',
  'simple_remap',
  'capslock_escape',
  'vim_navigation',
  'gaming',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** One line per template, for pickers (web UI, `GET /api/templates`). */
export const TEMPLATE_DESCRIPTIONS: Record<TemplateName, string> = {
  default: 'CapsLock: tap for Escape, hold for a Vim-style arrow layer',
  blank: 'an empty device block: every key passes through',
  simple_remap: 'two one-to-one remaps to start from (A types B, Q types W)',
  capslock_escape: 'CapsLock becomes Escape',
  vim_navigation: 'hold CapsLock for H/J/K/L arrows and U/D page up/down',
  gaming: 'CapsLock is a second Ctrl; ScrollLock locks the Windows key off',
};

export function isTemplateName(name: string): name is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(name);
}

export function renderTemplate(name: TemplateName, tapHoldMs = 200): string {
  switch (name) {
    case 'default':
      return `// keyrx default profile. Edit it in the web UI or in this file; the daemon reloads it on save.
// Reference: docs/dsl.md. Test ideas with: keyrx simulate <file> --events "d:CapsLock t:250 d:H u:H u:CapsLock"

device_start("*");
    // CapsLock: tap for Escape, hold for a navigation layer
    tap_hold("CapsLock", "VK_Escape", "MD_00", ${tapHoldMs});

    when_start("MD_00");
        map("H", "VK_Left");
        map("J", "VK_Down");
        map("K", "VK_Up");
        map("L", "VK_Right");
        map("U", "VK_PageUp");
        map("D", "VK_PageDown");
        map("I", "VK_Home");
        map("A", "VK_End");
    when_end();
device_end();
`;
    case 'blank':
      return `// An empty profile: every key passes through unchanged.
device_start("*");
device_end();
`;
    case 'simple_remap':
      return `// Simple remaps: A types B, Q types W.
device_start("*");
    map("A", "VK_B");
    map("Q", "VK_W");
device_end();
`;
    case 'capslock_escape':
      return `// CapsLock becomes Escape.
device_start("*");
    map("CapsLock", "VK_Escape");
device_end();
`;
    case 'vim_navigation':
      return `// Hold CapsLock for vim-style navigation.
device_start("*");
    map("CapsLock", "MD_00");
    when_start("MD_00");
        map("H", "VK_Left");
        map("J", "VK_Down");
        map("K", "VK_Up");
        map("L", "VK_Right");
        map("U", "VK_PageUp");
        map("D", "VK_PageDown");
    when_end();
device_end();
`;
    case 'gaming':
      return `// Gaming: CapsLock is a second Ctrl; ScrollLock toggles the Windows key off.
device_start("*");
    map("CapsLock", "VK_LCtrl");
    map("ScrollLock", "LK_00");
    when_start("LK_00");
        map("LMeta", "VK_F24");
    when_end();
device_end();
`;
  }
}
