/** The pure core: key table, config model, engine, scripts. Runs in Node and in the browser. */
export * from './keys.ts';
export * from './config.ts';
export * from './glob.ts';
export * from './engine.ts';
export * from './script.ts';
export * from './simulate.ts';
export * from './scenario.ts';
export * from './layouts.ts';
export * from './kle.ts';
export * from './describe.ts';
export * from './text.ts';
export * from './plural.ts';
export * from './config-diff.ts';
