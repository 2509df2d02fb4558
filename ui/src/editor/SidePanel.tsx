/**
 * The editor's side panel: the keyboard map and the simulator of the text being edited, as ARIA
 * tabs (arrow keys, Home and End move between them). A tab is mounted on first view and kept, so
 * the simulator's script survives a look at the keyboard.
 */
import type { KeyboardEvent } from 'react';
import { memo, useId, useRef, useState } from 'react';
import type { Config, DeviceView, MappingSource } from '../../../src/core/index.ts';
import type { KeyboardEditing } from '../keyboard/KeyboardView.tsx';
import { KeyboardView } from '../keyboard/KeyboardView.tsx';
import { SimulatorPanel } from '../simulator/SimulatorPanel.tsx';

const TABS = [
  { id: 'keyboard', label: 'Keyboard' },
  { id: 'simulator', label: 'Simulator' },
] as const;
type TabId = (typeof TABS)[number]['id'];

// Re-rendered only when their data changes, not when the note above them does.
const KeyboardTab = memo(KeyboardView);
const SimulatorTab = memo(SimulatorPanel);

export interface SidePanelProps {
  config: Config | null;
  views: DeviceView[];
  onKeySource: (source: MappingSource) => void;
  /** set while the text has errors: the panel shows the last version that compiled */
  staleNote: string | null;
  /** a click on a keyboard key edits it (the mapping dialog) */
  edit?: KeyboardEditing;
}

export const SidePanel = memo(function SidePanel({
  config,
  views,
  onKeySource,
  staleNote,
  edit,
}: SidePanelProps) {
  const [selected, setSelected] = useState<TabId>('keyboard');
  const [visited, setVisited] = useState<ReadonlySet<TabId>>(() => new Set<TabId>(['keyboard']));
  const tabRefs = useRef(new Map<TabId, HTMLButtonElement>());
  const baseId = useId();

  const select = (id: TabId, focus: boolean) => {
    setSelected(id);
    setVisited((v) => (v.has(id) ? v : new Set([...v, id])));
    if (focus) tabRefs.current.get(id)?.focus();
  };

  const onTabKeyDown = (e: KeyboardEvent<HTMLButtonElement>) => {
    const index = TABS.findIndex((t) => t.id === selected);
    let next: number | null = null;
    if (e.key === 'ArrowRight') next = (index + 1) % TABS.length;
    else if (e.key === 'ArrowLeft') next = (index - 1 + TABS.length) % TABS.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = TABS.length - 1;
    if (next === null) return;
    e.preventDefault();
    select(TABS[next].id, true);
  };

  return (
    <aside className="editor-side" aria-label="Preview">
      <div role="tablist" aria-label="Preview of this profile" className="editor-tabs">
        {TABS.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              if (el) tabRefs.current.set(t.id, el);
              else tabRefs.current.delete(t.id);
            }}
            type="button"
            role="tab"
            id={`${baseId}-tab-${t.id}`}
            aria-selected={selected === t.id}
            aria-controls={`${baseId}-panel-${t.id}`}
            tabIndex={selected === t.id ? 0 : -1}
            className="editor-tab"
            onClick={() => select(t.id, false)}
            onKeyDown={onTabKeyDown}
          >
            {t.label}
          </button>
        ))}
      </div>
      {staleNote && (
        <p className="editor-stale-note" role="note">
          {staleNote}
        </p>
      )}
      {TABS.map((t) => (
        <div
          key={t.id}
          role="tabpanel"
          id={`${baseId}-panel-${t.id}`}
          aria-labelledby={`${baseId}-tab-${t.id}`}
          hidden={selected !== t.id}
          tabIndex={0}
          className="editor-tabpanel"
        >
          {visited.has(t.id) &&
            (t.id === 'keyboard' ? (
              <KeyboardTab views={views} onKeySource={onKeySource} edit={edit} />
            ) : (
              <SimulatorTab config={config} views={views} onKeySource={onKeySource} />
            ))}
        </div>
      ))}
    </aside>
  );
});
