import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The daemon a dev server (`npm run dev:ui`) talks to; its origin must be allowed with
// KEYRX_ALLOWED_ORIGINS=http://localhost:5173 for state-changing requests. The proxy sends the
// daemon's own Host (changeOrigin): the daemon answers no other name.
const daemon = process.env.KEYRX_DAEMON_URL ?? 'http://127.0.0.1:9867';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      '/api': { target: daemon, changeOrigin: true },
      '/login': { target: daemon, changeOrigin: true },
      '/ws': { target: daemon.replace(/^http/, 'ws'), ws: true, changeOrigin: true },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.tsx', 'test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // only to catch a hang: CI shares its cores, and jsdom renders the key palette slowly under load
    testTimeout: 60_000,
  },
});
