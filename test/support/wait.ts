/**
 * How long a test waits for something before calling it a hang. Waits end as soon as their
 * condition holds, so this only matters when something is broken; it is generous because CI
 * shares a loaded 2-core machine (a daemon through tsx can take seconds to start there).
 */
export const HANG_MS = 60_000;
