/** Starting points for new profiles (KeyRx's five, the first-start default, and home-row mods). */
export const TEMPLATE_NAMES = [
  'default',
  'blank',
  'simple_remap',
  'capslock_escape',
  'vim_navigation',
  'gaming',
  'home_row_mods',
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
  home_row_mods:
    'A S D F / J K L ; type letters when tapped, Meta Alt Ctrl Shift when held, without misfires',
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
    case 'home_row_mods':
      return `// Home-row mods: tap for the letter, hold for a modifier (Meta Alt Ctrl Shift | Shift Ctrl Alt Meta).
// While you type they are letters (require_prior_idle_ms); rolls stay letters (balanced, opposite_hand,
// roll_ms). For a modifier on a key of the same hand, hold past the threshold first. Reference: docs/dsl.md.
device_start("*");
    let options = #{ mode: "balanced", require_prior_idle_ms: 150, opposite_hand: true, roll_ms: 80, quick_tap_ms: 120 };
    tap_hold("A", "VK_A", "VK_LMeta", ${tapHoldMs}, options);
    tap_hold("S", "VK_S", "VK_LAlt", ${tapHoldMs}, options);
    tap_hold("D", "VK_D", "VK_LCtrl", ${tapHoldMs}, options);
    tap_hold("F", "VK_F", "VK_LShift", ${tapHoldMs}, options);
    tap_hold("J", "VK_J", "VK_RShift", ${tapHoldMs}, options);
    tap_hold("K", "VK_K", "VK_RCtrl", ${tapHoldMs}, options);
    tap_hold("L", "VK_L", "VK_RAlt", ${tapHoldMs}, options);
    tap_hold("Semicolon", "VK_Semicolon", "VK_RMeta", ${tapHoldMs}, options);
device_end();
`;
  }
}
