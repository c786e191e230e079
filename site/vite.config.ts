/**
 * `npm run build`: the site and the chat's page as static files in dist/site, served by
 * `npm run serve` (the workshop server with --built). The demos' client code (every lesson's
 * client.ts, the learner's and the reference) is bundled in; the lessons' servers still run
 * in the workshop server.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  logLevel: 'warn',
  build: {
    outDir: 'dist/site',
    emptyOutDir: true,
    rollupOptions: {
      input: {
        site: `${root}site/index.html`,
        chat: `${root}lessons/05-chat/public/index.html`,
      },
    },
  },
});
