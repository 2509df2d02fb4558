// Development only: Node 20 workers do not inherit tsx's loader, so a worker started from
// TypeScript sources registers it first, then imports its real entry module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsEntry);
