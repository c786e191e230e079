#!/usr/bin/env node
/**
 * `vitest` with plain text when its output is not a terminal (a pipe, a log file, CI): vitest
 * decides on colours as it starts, whether or not stdout is a TTY, so NO_COLOR must be set
 * before it loads. On a terminal nothing changes; FORCE_COLOR still forces colours.
 *
 * Usage (package.json scripts): node shared/cli/vitest.mjs run [vitest arguments]
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

if (!process.stdout.isTTY && process.env.FORCE_COLOR === undefined) process.env.NO_COLOR ??= '1';
const bin = createRequire(import.meta.url).resolve('vitest/package.json');
await import(pathToFileURL(path.join(path.dirname(bin), 'vitest.mjs')).href);
