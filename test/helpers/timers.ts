import { createHook } from 'node:async_hooks';

/**
 * Timers (setTimeout, setInterval) created from now on that are still pending and would keep the process
 * alive, with where they were made. (async_hooks' destroy callback does not fire in vitest's workers, so
 * a Timeout's own `_destroyed` flag — set when it fired or was cleared — says whether it is done.)
 */
export function trackTimers(): { alive(): string[]; stop(): void } {
  type Timer = { hasRef(): boolean; _destroyed?: boolean };
  const made: { timer: Timer; stack: string }[] = [];
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type !== 'Timeout') return;
      const stack = new Error().stack?.split('\n').slice(4, 9).join(' | ') ?? '';
      made.push({ timer: resource as Timer, stack });
    },
  }).enable();
  return {
    alive: () => made.filter((m) => !m.timer._destroyed && m.timer.hasRef()).map((m) => m.stack),
    stop: () => hook.disable(),
  };
}
