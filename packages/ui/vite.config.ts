import { defineConfig } from 'vite';

// The server serves dist/ at / (packages/server/src/ui): index.html for client routes, dist/assets/* with
// content hashes in their names, cached for a year.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 600,
  },
});
